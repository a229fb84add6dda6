"""JSON-LD compaction for the documents the fast path cannot read (`check_context` said
`"jsonld"`): aliases of ActivityStreams terms, `as:` CURIE keys, expanded form.

pyld expands the document and compacts it again to the ActivityStreams terms, so the keys
mean what ActivityStreams says whatever names the sender chose. Contexts come only from the
bundled loader (`federation.contexts`); the network is never used. pyld is CPU-bound and
synchronous: callers on the event loop run `compact` in a thread (`asyncio.to_thread`).

Importing pyld imports `requests`, whose `urllib3` probes for IPv6 at import by binding a
socket to `::1` (never connecting); tests/test_imports.py allows exactly that probe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyld import jsonld  # type: ignore[import-untyped]

from federation.contexts import ACTIVITYSTREAMS, bundled_context_urls, document_loader
from federation.jsonld_guard import ContextRefusedError, check_context


def _known_context(context: Any) -> Any:
    """The context without the URLs we do not bundle. Like Mastodon, we ignore a context we
    do not know rather than refuse the document (the fast path does the same); the terms only
    it defines stay undefined (ActivityStreams' `"@vocab": "_:"` keeps them, meaning nothing)."""
    entries = context if isinstance(context, list) else [context]
    return [e for e in entries if not isinstance(e, str) or e in bundled_context_urls()]


def _without_unknown_contexts(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _known_context(item) if key == "@context" else _without_unknown_contexts(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_unknown_contexts(item) for item in value]
    return value


def _target_context(document: Mapping[str, Any]) -> list[Any]:
    """ActivityStreams first, then the other bundled contexts the document names (the
    security vocabulary's `publicKey`), so their terms come back as terms, not IRIs."""
    context = document.get("@context")
    named = context if isinstance(context, list) else [context]
    others = [c for c in named if isinstance(c, str) and c in bundled_context_urls()]
    return [ACTIVITYSTREAMS, *[c for c in others if c.rstrip("#") != ACTIVITYSTREAMS]]


def compact(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document compacted to the ActivityStreams context, its `@context` replaced by the
    target context. Checks the context first (hostile redefinitions never reach pyld).
    Raises ContextRefusedError for a refused context or a document pyld cannot process."""
    check_context(document)
    target = _target_context(document)
    options = {"documentLoader": document_loader}
    try:
        expanded = jsonld.expand(_without_unknown_contexts(document), options)
        compacted = jsonld.compact(expanded, {"@context": target}, options)
    except jsonld.JsonLdError as error:
        raise ContextRefusedError(f"the document is not valid JSON-LD: {error.type}") from None
    result: dict[str, Any] = dict(compacted)
    if "@graph" in result:
        raise ContextRefusedError("the document holds several objects, not one activity")
    return result
