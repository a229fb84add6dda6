"""The `@context` of every activity this node sends: ActivityStreams, the security vocabulary
and Mastodon's extension terms inline (never a context URL a receiver would have to fetch)."""

from __future__ import annotations

from typing import Any

from federation.contexts import ACTIVITYSTREAMS, SECURITY_V1
from outbox.actor_document import ACTOR_CONTEXT

# The actor document's terms (an Update(Person) embeds one) plus those a Note uses.
_TERMS: dict[str, Any] = {
    **ACTOR_CONTEXT[2],
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "blurhash": "toot:blurhash",
    # Mastodon reads focalPoint as an ordered [x, y] list; without @list it becomes a set.
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
}

ACTIVITY_CONTEXT: list[Any] = [ACTIVITYSTREAMS, SECURITY_V1, _TERMS]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def with_context(document: dict[str, Any]) -> dict[str, Any]:
    """The top-level document as sent: `@context` first, then the document."""
    return {"@context": ACTIVITY_CONTEXT, **document}


def without_context(document: dict[str, Any]) -> dict[str, Any]:
    """A document to embed in another: the outer document's `@context` covers it."""
    return {key: value for key, value in document.items() if key != "@context"}
