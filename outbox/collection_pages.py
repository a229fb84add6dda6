"""ActivityStreams collections as this node serves them (outbox, followers, following,
featured), in Mastodon's shapes: an `OrderedCollection` with `totalItems` and a link to its
`first` page, and `OrderedCollectionPage`s paged by id (`?page=true&max_id=…`), newest first.
Plain data in, dicts out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from outbox.as2.context import with_context


def page_url(collection: str, *, max_id: int | None = None, min_id: int | None = None) -> str:
    query: dict[str, str] = {"page": "true"}
    if max_id is not None:
        query["max_id"] = str(max_id)
    if min_id is not None:
        query["min_id"] = str(min_id)
    return f"{collection}?{urlencode(query)}"


def ordered_collection(collection: str, total: int, *, paged: bool = True) -> dict[str, Any]:
    """The collection itself: its size, and where its pages start."""
    document: dict[str, Any] = {
        "id": collection,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if paged:
        document["first"] = page_url(collection)
    return with_context(document)


def ordered_items(collection: str, items: list[Any]) -> dict[str, Any]:
    """A small collection served whole (featured): no pages."""
    return with_context(
        {
            "id": collection,
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


def ordered_collection_page(
    collection: str,
    page_id: str,
    items: list[Any],
    *,
    next_max_id: int | None,
    prev_min_id: int | None,
) -> dict[str, Any]:
    """One page; `next` (older items) and `prev` (newer ones) appear when there may be any."""
    document: dict[str, Any] = {
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection,
    }
    if next_max_id is not None:
        document["next"] = page_url(collection, max_id=next_max_id)
    if prev_min_id is not None:
        document["prev"] = page_url(collection, min_id=prev_min_id)
    document["orderedItems"] = items
    return with_context(document)
