"""What an inbound document's `@context` may do before we read it as plain JSON.

Fediverse servers read activities by their compact keys (`id`, `actor`, `object`…), as
Mastodon does, and so do we: the fast path. That reading is only right while the document's
`@context` leaves the ActivityStreams terms as ActivityStreams defines them. A sender could
otherwise write `"actor"` meaning something else to us than to a JSON-LD processor (and so
to a signature checker or another server), and two readers would disagree on who did what.

`check_context` decides, without the network:
- `"compact"`: only context URLs (bundled or not: unbundled ones are never fetched, and like
  Mastodon we do not let them change how we read the keys) and inline term definitions that
  agree with ActivityStreams; read the keys directly;
- `"normalise"`: inline definitions give an ActivityStreams meaning another name (an alias),
  so the keys must be recomputed: `normalise` renames each alias to the term it stands for,
  which is what JSON-LD compaction to the ActivityStreams context would do for these
  documents (pyld itself is not imported here: it pulls in `requests`, which probes the
  network stack at import, and full expansion would need contexts we never fetch);
- `ContextRefusedError`: a redefinition of an ActivityStreams term (`id`, `type`, `actor`…)
  to another meaning, an alias of a JSON-LD keyword, a `null` that resets the context, or a
  context that is not a string, object or array of them.
Embedded objects carrying their own `@context` are checked the same way."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from federation.contexts import ACTIVITYSTREAMS, bundled_context

Reading = Literal["compact", "normalise"]
_AS = "https://www.w3.org/ns/activitystreams#"
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
            reading = "normalise"
    return reading


def _context_reading(context: Any) -> Reading:
    reading: Reading = "compact"
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str):
            continue
        if isinstance(entry, Mapping):
            if _inline_reading(entry) == "normalise":
                reading = "normalise"
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
            if "@context" in value and _context_reading(value["@context"]) == "normalise":
                reading = "normalise"
            pending.extend((v, depth + 1) for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return reading


def _aliases(context: Any, prefixes: Mapping[str, str]) -> dict[str, str]:
    """Inline term → the ActivityStreams term it is another name for."""
    by_iri = {iri: term for term, iri in _as_terms().items()}
    found: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if not isinstance(entry, Mapping):
            continue
        local_prefixes = {**prefixes, **{k: v for k, v in entry.items() if isinstance(v, str)}}
        for term, definition in entry.items():
            iri = definition.get("@id") if isinstance(definition, Mapping) else definition
            if isinstance(iri, str) and term not in by_iri.values():
                target = by_iri.get(_expand(iri, local_prefixes))
                if target is not None:
                    found[term] = target
    return found


def normalise(document: Mapping[str, Any], _aliased: Mapping[str, str] | None = None) -> Any:
    """The document with inline aliases renamed to the ActivityStreams terms they stand for
    (`{"by": "as:actor"}` makes `"by"` read as `"actor"`), recursively, honouring the
    `@context` of embedded objects. A term already present is never overwritten. Call only
    on a document `check_context` passed."""
    aliased = dict(_aliased or {})
    if "@context" in document:
        aliased.update(_aliases(document["@context"], {"as": _AS}))
    renamed: dict[str, Any] = {}
    for key, value in document.items():
        if key == "@context":
            renamed[key] = value
            continue
        target = aliased.get(key, key)
        if target in document and target != key:
            target = key
        renamed[target] = _normalise_value(value, aliased)
    return renamed


def _normalise_value(value: Any, aliased: Mapping[str, str]) -> Any:
    if isinstance(value, Mapping):
        return normalise(value, aliased)
    if isinstance(value, list):
        return [_normalise_value(item, aliased) for item in value]
    return value
