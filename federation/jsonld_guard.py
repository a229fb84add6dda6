"""What an inbound document's `@context` may do, and whether it can be read as plain JSON.

Fediverse servers read activities by their compact keys (`id`, `actor`, `object`…), as
Mastodon does, and so do we: the fast path. That reading is only right while the document's
`@context` leaves the ActivityStreams terms as ActivityStreams defines them. A sender could
otherwise write `"actor"` meaning something else to us than to a JSON-LD processor (and so
to a signature checker or another server), and two readers would disagree on who did what.

`check_context` decides, without the network and before any JSON-LD processing:
- `"compact"`: only context URLs (bundled or not: unbundled ones are never fetched, and like
  Mastodon we do not let them change how we read the keys) and inline term definitions that
  agree with ActivityStreams, and keys that are plain terms; read the keys directly;
- `"jsonld"`: the document is not hostile but its keys are not the ActivityStreams terms:
  an inline definition gives an ActivityStreams meaning another name (an alias), or keys are
  `as:` CURIEs, full ActivityStreams IRIs or JSON-LD keywords (`@id`, `@type`: expanded
  form). `federation.jsonld_compaction` compacts it with pyld to the ActivityStreams terms;
- `ContextRefusedError`: a redefinition of an ActivityStreams term (`id`, `type`, `actor`…)
  to another meaning, an alias of a JSON-LD keyword, a `null` that resets the context, or a
  context that is not a string, object or array of them.
Embedded objects carrying their own `@context` are checked the same way."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from federation.contexts import ACTIVITYSTREAMS, bundled_context

Reading = Literal["compact", "jsonld"]
_AS = "https://www.w3.org/ns/activitystreams#"
# Keys that only a JSON-LD processor reads right: ActivityStreams IRIs spelt out or as CURIEs,
# and keywords used directly (expanded form). Other CURIE keys (`diaspora:guid`, `vcard:bday`
# from Friendica, Misskey…) are extensions we do not read and stay on the fast path.
_EXPANDED_KEYS = ("as:", _AS, "http://www.w3.org/ns/activitystreams#", "@")
_MAX_DEPTH = 8


class ContextRefusedError(ValueError):
    """The document's `@context` changes what ActivityStreams terms mean."""


# The ActivityStreams properties this node reads; with every type name (`Note`, `Create`…)
# they may not change meaning. Other terms may (Mobilizon makes `location` schema.org's).
_READ_PROPERTIES = frozenset(
    {
        "id", "type", "actor", "object", "target", "result", "origin", "to", "cc", "bto",
        "bcc", "audience", "attributedTo", "inReplyTo", "content", "contentMap", "summary",
        "name", "published", "updated", "tag", "attachment", "url", "href", "mediaType",
        "oneOf", "anyOf", "endTime", "followers", "following", "inbox", "outbox",
        "preferredUsername", "endpoints", "sharedInbox", "icon", "image", "alsoKnownAs",
        "movedTo", "Public",
    }
)  # fmt: skip


@cache
def _as_terms() -> dict[str, str]:
    """Protected term → the IRI (or keyword) ActivityStreams gives it, prefixes expanded."""
    definitions = bundled_context(ACTIVITYSTREAMS)["@context"]
    prefixes = {k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith("#")}
    terms: dict[str, str] = {}
    for term, definition in definitions.items():
        if term.startswith("@") or term in prefixes:
            continue
        if term not in _READ_PROPERTIES and not term[:1].isupper():
            continue
        iri = definition if isinstance(definition, str) else definition.get("@id")
        if isinstance(iri, str):
            terms[term] = _expand(iri, prefixes)
    return terms


def _expand(iri: str, prefixes: Mapping[str, str]) -> str:
    prefix, colon, rest = iri.partition(":")
    if colon and prefix in prefixes and not rest.startswith("//"):
        return prefixes[prefix] + rest
    return iri


def _as_iris() -> frozenset[str]:
    return frozenset(_as_terms().values())


def _inline_reading(definitions: Mapping[str, Any]) -> Reading:
    terms = _as_terms()
    prefixes = {"as": _AS, **{k: v for k, v in definitions.items() if isinstance(v, str)}}
    reading: Reading = "compact"
    for term, definition in definitions.items():
        if term.startswith("@"):
            continue  # @language, @vocab, @version: they define no term we read
        if definition is None:
            if term in terms:
                raise ContextRefusedError(f"the @context removes the term {term!r}")
            continue
        iri = definition if isinstance(definition, str) else None
        if isinstance(definition, Mapping):
            iri = definition.get("@id") if isinstance(definition.get("@id"), str) else None
            if iri is None and "@reverse" in definition:
                raise ContextRefusedError(f"the @context makes {term!r} a reverse property")
        if iri is None:
            if term in terms:
                raise ContextRefusedError(f"the @context redefines {term!r}")
            continue
        expanded = _expand(iri, prefixes)
        if term in terms:
            if expanded != terms[term]:
                raise ContextRefusedError(f"the @context redefines {term!r}")
        elif expanded.startswith("@"):
            raise ContextRefusedError(f"the @context makes {term!r} an alias of {expanded}")
        elif expanded in _as_iris():
            reading = "jsonld"
    return reading


def _context_reading(context: Any) -> Reading:
    reading: Reading = "compact"
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str):
            continue
        if isinstance(entry, Mapping):
            if _inline_reading(entry) == "jsonld":
                reading = "jsonld"
            continue
        if entry is None:
            raise ContextRefusedError("the @context resets the ActivityStreams terms (null)")
        raise ContextRefusedError("the @context is neither a URL nor an object")
    return reading


def check_context(document: Mapping[str, Any]) -> Reading:
    """How to read the document (see the module docstring); raises ContextRefusedError."""
    reading: Reading = "compact"
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > _MAX_DEPTH:
            continue
        if isinstance(value, Mapping):
            if "@context" in value and _context_reading(value["@context"]) == "jsonld":
                reading = "jsonld"
            if any(k != "@context" and k.startswith(_EXPANDED_KEYS) for k in value):
                reading = "jsonld"
            pending.extend((v, depth + 1) for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return reading
