"""Reading a fetched ActivityStreams actor (Person, Service, Group, Application, Organization)
into plain data, in the compact form every server sends it.

Only what can be trusted and used is kept: ids must be absolute http(s) URLs, a public key
counts only when it is owned by the actor itself and lives on the actor's origin (FEP-fe34),
and a document whose `@context` gives the terms we read another meaning is refused, since we
read them by name. Text (`name`, `summary`, field values) is returned as received, capped in
length; sanitising HTML is the job of whoever renders it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from federation.multikeys import MultikeyError, public_key_from_multibase
from federation.organisation_terms import LABELS, OrganisationDoc, parse_organisation
from federation.origin import host_of, origin_of, same_origin
from federation.signing_keys import KeyFormatError, load_public_key

ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Application", "Organization"})
AS_NS = "https://www.w3.org/ns/activitystreams#"
SEC_NS = "https://w3id.org/security#"
# Caps on what a remote profile may make us store; longer text is cut, not refused.
MAX_NAME = 100
MAX_SUMMARY = 10_000
MAX_FIELDS = 16
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 2_047
MAX_USERNAME = 255
MAX_ALIASES = 16
# Word characters, dots and dashes, starting and ending with a word character (Mastodon's
# USERNAME_RE with Unicode letters, which some servers allow).
_USERNAME = re.compile(r"^\w(?:[\w.-]*\w)?$")
# The terms this module reads by name: a context must not make them mean something else.
_AS_TERMS = frozenset(
    [
        "inbox",
        "outbox",
        "followers",
        "following",
        "endpoints",
        "sharedInbox",
        "preferredUsername",
        "name",
        "summary",
        "url",
        "icon",
        "image",
    ]
)
_SEC_TERMS = frozenset({"publicKey", "owner", "publicKeyPem"})


class ActorDocumentError(ValueError):
    """The document is not an actor we can use; the message is safe to log or show."""


@dataclass(frozen=True, slots=True)
class PublicKeyDoc:
    id: str
    owner: str
    pem: str


@dataclass(frozen=True, slots=True)
class AssertionKeyDoc:
    """An Ed25519 key the actor publishes as `assertionMethod` (FEP-521a), to check the
    integrity proofs (FEP-8b32) of what it signs."""

    id: str
    public_key_multibase: str


@dataclass(frozen=True, slots=True)
class ProfileField:
    name: str
    value: str  # HTML as received


@dataclass(frozen=True, slots=True)
class RemoteActorDoc:
    id: str
    type: str
    preferred_username: str
    name: str
    summary: str  # HTML as received
    url: str | None
    inbox: str
    outbox: str | None
    followers: str | None
    following: str | None
    shared_inbox: str | None
    public_keys: tuple[PublicKeyDoc, ...]
    icon_url: str | None
    image_url: str | None
    manually_approves_followers: bool
    discoverable: bool
    fields: tuple[ProfileField, ...]
    also_known_as: tuple[str, ...]
    moved_to: str | None
    # A Rukun actor's typed organisation profile; None from other servers.
    organisation: OrganisationDoc | None = None
    assertion_keys: tuple[AssertionKeyDoc, ...] = ()

    @property
    def domain(self) -> str:
        """The domain of the actor's handle: the host of its id."""
        return host_of(self.id)

    @property
    def bot(self) -> bool:
        return self.type in ("Service", "Application")

    def key(self, key_id: str) -> PublicKeyDoc | None:
        return next((key for key in self.public_keys if key.id == key_id), None)

    @property
    def main_key(self) -> PublicKeyDoc | None:
        """The key to remember: the first usable one (Mastodon's `#main-key`, usually)."""
        return self.public_keys[0] if self.public_keys else None


def _values(value: Any) -> Iterator[Any]:
    """A property's values: JSON-LD allows one value or an array of them."""
    if isinstance(value, list):
        yield from value
    elif value is not None:
        yield value


def _url(value: Any) -> str | None:
    """An absolute http(s) URL from a string, or from the `id` of an embedded object."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and origin_of(value) is not None:
        return value.strip()
    return None


def _text(value: Any, limit: int) -> str:
    # A language map (`nameMap`) is not read; a non-string name counts as none.
    return value.strip()[:limit] if isinstance(value, str) else ""


def _types(document: dict[str, Any]) -> set[str]:
    return {kind for kind in _values(document.get("type")) if isinstance(kind, str)}


def _profile_url(value: Any) -> str | None:
    """`url` is a string, a Link, or an array of them (Funkwhale, PeerTube): prefer the HTML
    page, else the first http(s) one."""
    first: str | None = None
    for item in _values(value):
        href = item.get("href") if isinstance(item, dict) else item
        if not isinstance(href, str) or origin_of(href) is None:
            continue
        if isinstance(item, dict) and item.get("mediaType") == "text/html":
            return href
        first = first or href
    return first


def _image_url(value: Any) -> str | None:
    """`icon`/`image`: a URL, an Image (its `url` a string, a Link or an array), or an array
    of Images in several sizes (PeerTube): the widest is taken."""
    best: tuple[int, str] | None = None
    for item in _values(value):
        if isinstance(item, str):
            url, width = _url(item), 0
        elif isinstance(item, dict):
            url = _profile_url(item.get("url"))
            width = item["width"] if isinstance(item.get("width"), int) else 0
        else:
            continue
        if url is not None and (best is None or width > best[0]):
            best = (width, url)
    return best[1] if best else None


def _public_keys(document: dict[str, Any], actor_id: str) -> tuple[PublicKeyDoc, ...]:
    """The keys the actor owns. A key without `owner` is taken as the actor's (some servers
    leave it out); one owned by another actor, on another origin, or not a readable RSA or
    Ed25519 PEM is skipped."""
    keys: list[PublicKeyDoc] = []
    for item in _values(document.get("publicKey")):
        if not isinstance(item, dict):
            continue
        key_id, pem = _url(item.get("id")), item.get("publicKeyPem")
        owner = item.get("owner", actor_id)
        if key_id is None or not isinstance(pem, str) or owner != actor_id:
            continue
        if not same_origin(key_id, actor_id):
            continue
        try:
            load_public_key(pem)
        except (KeyFormatError, ValueError):
            continue
        keys.append(PublicKeyDoc(key_id, actor_id, pem))
    return tuple(keys)


def _assertion_keys(document: dict[str, Any], actor_id: str) -> tuple[AssertionKeyDoc, ...]:
    """The actor's `assertionMethod` Multikeys: only Ed25519 keys the actor controls, on its
    own origin (a key elsewhere could be anyone's); others are skipped."""
    keys: list[AssertionKeyDoc] = []
    for item in _values(document.get("assertionMethod")):
        if not isinstance(item, dict) or item.get("type") != "Multikey":
            continue
        key_id, encoded = _url(item.get("id")), item.get("publicKeyMultibase")
        if key_id is None or not isinstance(encoded, str) or item.get("controller") != actor_id:
            continue
        if not same_origin(key_id, actor_id):
            continue
        try:
            public_key_from_multibase(encoded)
        except MultikeyError:
            continue
        keys.append(AssertionKeyDoc(key_id, encoded))
    return tuple(keys)


def _fields(document: dict[str, Any], skipped: frozenset[str]) -> tuple[ProfileField, ...]:
    """The `PropertyValue` attachments, except those named in `skipped`."""
    fields: list[ProfileField] = []
    for item in _values(document.get("attachment")):
        if isinstance(item, dict) and "PropertyValue" in _types(item):
            name, value = item.get("name"), item.get("value")
            if isinstance(name, str) and isinstance(value, str) and name not in skipped:
                fields.append(ProfileField(name[:MAX_FIELD_NAME], value[:MAX_FIELD_VALUE]))
        if len(fields) == MAX_FIELDS:
            break
    return tuple(fields)


def _redefinitions(context: Any) -> Iterator[str]:
    """Terms in inline contexts that would change the meaning of what we read: an alias of
    `@id`/`@type`, or one of our terms mapped anywhere but its usual IRI."""
    for item in _values(context):
        if not isinstance(item, dict):
            continue
        for term, definition in item.items():
            target = definition.get("@id") if isinstance(definition, dict) else definition
            if term in ("id", "type"):
                usual: tuple[str, ...] = (f"@{term}",)
            elif term in _AS_TERMS:
                usual = (f"as:{term}", AS_NS + term)
            elif term in _SEC_TERMS:
                usual = (f"sec:{term}", SEC_NS + term)
            else:
                usual = ()
            aliases_keyword = target in ("@id", "@type")
            if (usual and target not in usual) or (not usual and aliases_keyword):
                yield term


def check_context(document: dict[str, Any]) -> None:
    """Refuse a document whose inline `@context` redefines `id`, `type` or a term we read.
    Raises ActorDocumentError."""
    redefined = sorted(set(_redefinitions(document.get("@context"))))
    if redefined:
        raise ActorDocumentError(f"@context redefines {', '.join(redefined)}")


def is_actor(document: dict[str, Any]) -> bool:
    return bool(_types(document) & ACTOR_TYPES)


def parse_actor(document: dict[str, Any]) -> RemoteActorDoc:
    """The actor a fetched document describes. It needs an http(s) `id`, an actor type
    (alone or among others, e.g. `["Person", "vcard:individual"]`), a `preferredUsername`
    usable in a handle and an http(s) `inbox`. Keys may be missing (the caller decides
    whether it can do without one).

    Raises ActorDocumentError naming the first thing that is unusable."""
    if not isinstance(document, dict):
        raise ActorDocumentError("the actor is not a JSON object")
    check_context(document)
    actor_id = _url(document.get("id"))
    if actor_id is None or actor_id != document.get("id"):
        raise ActorDocumentError("the actor has no http(s) id")
    kinds = _types(document) & ACTOR_TYPES
    if not kinds:
        raise ActorDocumentError("the document is not an actor (Person, Service, Group, …)")
    username = document.get("preferredUsername")
    if not isinstance(username, str) or not username.strip():
        raise ActorDocumentError("the actor has no preferredUsername")
    username = username.strip()
    if len(username) > MAX_USERNAME or not _USERNAME.match(username):
        raise ActorDocumentError("the actor's preferredUsername cannot be used in a handle")
    inbox = _url(document.get("inbox"))
    if inbox is None:
        raise ActorDocumentError("the actor has no http(s) inbox")
    endpoints = document.get("endpoints")
    # Servers from before `endpoints` put `sharedInbox` on the actor itself.
    shared_inbox = _url(
        endpoints.get("sharedInbox") if isinstance(endpoints, dict) else document.get("sharedInbox")
    )
    url = _profile_url(document.get("url"))
    if url is not None and host_of(url) != host_of(actor_id):
        url = None  # as Mastodon: a profile page elsewhere could pass for someone else's
    approves = document.get("manuallyApprovesFollowers")
    discoverable = document.get("discoverable")
    organisation = parse_organisation(document)
    # A Rukun actor shows its typed values as attachments too (for Mastodon); they are kept
    # typed, not a second time as free fields.
    skipped = frozenset(LABELS.values()) if organisation is not None else frozenset()
    return RemoteActorDoc(
        id=actor_id,
        # One type is stored: of several actor types, the first in ACTOR_TYPES' sorted order.
        type=next(kind for kind in sorted(kinds)),
        preferred_username=username,
        name=_text(document.get("name"), MAX_NAME),
        summary=_text(document.get("summary"), MAX_SUMMARY),
        url=url,
        inbox=inbox,
        outbox=_url(document.get("outbox")),
        followers=_url(document.get("followers")),
        following=_url(document.get("following")),
        shared_inbox=shared_inbox,
        public_keys=_public_keys(document, actor_id),
        icon_url=_image_url(document.get("icon")),
        image_url=_image_url(document.get("image")),
        manually_approves_followers=approves is True,
        # Mastodon reads a missing `discoverable` as false: not listed, not suggested.
        discoverable=discoverable is True,
        fields=_fields(document, skipped),
        also_known_as=tuple(url for url in map(_url, _values(document.get("alsoKnownAs"))) if url)[
            :MAX_ALIASES
        ],
        moved_to=_url(document.get("movedTo")),
        organisation=organisation,
        assertion_keys=_assertion_keys(document, actor_id),
    )


def key_owner(document: dict[str, Any]) -> str | None:
    """When a key id dereferences to a key document (`{"id", "owner", "publicKeyPem"}`, as
    some servers serve `…#main-key` or `…/main-key`), the actor owning it; else None."""
    if is_actor(document):
        return None
    return _url(document.get("owner")) or _url(document.get("controller"))
