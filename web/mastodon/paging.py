"""Mastodon's paging: `max_id`, `since_id`, `min_id`, `limit`, and the `Link` header that points
at the next (older) and previous (newer) pages."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from web.keys import config
from web.mastodon.params import Params


@dataclass(frozen=True, slots=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int


def page_from(params: Params, *, default: int = 20, maximum: int = 40) -> Page:
    limit = params.integer("limit", default=default, minimum=1)
    return Page(
        max_id=params.id("max_id"),
        since_id=params.id("since_id"),
        min_id=params.id("min_id"),
        limit=min(limit or default, maximum),
    )


_NOT_CARRIED = frozenset({"max_id", "since_id", "min_id", "access_token"})


def link_header(request: web.Request, newest_id: int | None, oldest_id: int | None) -> str | None:
    """`<…?max_id=OLDEST>; rel="next", <…?min_id=NEWEST>; rel="prev"` as Mastodon sends it; the
    other query parameters (types, limit, …) are kept."""
    if newest_id is None or oldest_id is None:
        return None
    # Links name the node's public address, not the socket the request came in on (proxies).
    url = URL(config(request).site.base_url).join(request.rel_url)
    # Repeated keys (`types[]=a&types[]=b`) are kept; a token passed as a parameter is not.
    query = [(k, v) for k, v in request.query.items() if k not in _NOT_CARRIED]
    older = url.with_query([*query, ("max_id", str(oldest_id))])
    newer = url.with_query([*query, ("min_id", str(newest_id))])
    return f'<{older}>; rel="next", <{newer}>; rel="prev"'


def with_link(response: web.Response, request: web.Request, ids: list[int]) -> web.Response:
    if ids:
        header = link_header(request, max(ids), min(ids))
        if header:
            response.headers["Link"] = header
    return response
