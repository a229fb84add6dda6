"""JSON-LD contexts bundled with Rukun, and a pyld document loader that serves only those.

pyld's default loader fetches `@context` URLs over the network, blocking the event loop and
letting any sender make us fetch anything. Ours answers from package data and refuses the rest.
Sources: `ns/activitystreams.jsonld` of github.com/w3c/activitystreams and
`contexts/security-v1.jsonld` of github.com/w3c-ccg/security-vocab, unchanged."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

ACTIVITYSTREAMS = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"

# Every spelling of a bundled context's URL we have seen in @context arrays.
_FILES = {
    ACTIVITYSTREAMS: "activitystreams.jsonld",
    "http://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://www.w3.org/ns/activitystreams.jsonld": "activitystreams.jsonld",
    SECURITY_V1: "security-v1.jsonld",
    "http://w3id.org/security/v1": "security-v1.jsonld",
}


class UnknownContextError(LookupError):
    """A document named a context that is not bundled; we never fetch one."""


def bundled_context_urls() -> frozenset[str]:
    return frozenset(_FILES)


@cache
def _parsed(file_name: str) -> dict[str, Any]:
    text = resources.files("federation").joinpath("contexts", file_name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def bundled_context(url: str) -> dict[str, Any]:
    """The context document for a bundled URL (a fresh copy: pyld may keep references).
    Raises UnknownContextError for any other URL."""
    file_name = _FILES.get(url.rstrip("#"))
    if file_name is None:
        raise UnknownContextError(f"JSON-LD context {url!r} is not bundled; it is never fetched")
    return copy.deepcopy(_parsed(file_name))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader (`options={"documentLoader": document_loader}`) serving only the
    bundled contexts. Raises UnknownContextError for anything else; pyld reports it as a
    JsonLdError ("loading remote context failed")."""
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
    }
