"""Inbound ActivityStreams activities and posts parsed into plain data.

Pure and tolerant: servers disagree on nearly every shape, so every reader here accepts what
the fediverse actually sends (see `../shared/fixtures/activities/`):
- a property may be one value or an array of them (`to`, `tag`, `attachment`, `actor`);
- a reference may be a URI string, an embedded object with an `id`, or a Link with `href`;
- `type` may be an array (`["Person", "vcard:individual"]`);
- `content` may be missing when `contentMap` carries it; `sensitive` may be null;
- JSON null stands for "absent" everywhere.

What cannot be used at all (no id, no type, no actor) raises `ObjectError`; everything else
is normalised, and deciding what to do with it is the inbox's business. HTML is returned as
received: sanitising is `content`'s job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# JSON-LD compaction and older servers spell the public collection these ways too.
_PUBLIC_FORMS = frozenset({PUBLIC, "as:Public", "Public"})
POST_TYPES = frozenset({"Note", "Article", "Page", "Question"})
_MEDIA_TYPES = {"Image": "image", "Video": "video", "Audio": "audio", "Document": "unknown"}
_MAJOR_TYPES = {"image": "image", "video": "video", "audio": "audio"}
_MAX_LIST = 500  # more recipients, tags or attachments than this is abuse, not a post


class ObjectError(ValueError):
    """The document is not a usable activity or post; the message says what is missing."""


# -- reading values ------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """One value, an array, or null → a list (null and empty strings drop out)."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items[:_MAX_LIST] if item is not None]


def id_of(value: Any) -> str | None:
    """The URI a reference names: a string, an object's `id`, a Link's `href`, or the first
    of an array."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("id", "href"):
            found = value.get(key)
            if isinstance(found, str) and found:
                return found
        return None
    if isinstance(value, list):
        for item in value:
            found_id = id_of(item)
            if found_id is not None:
                return found_id
    return None


def ids_of(value: Any) -> tuple[str, ...]:
    return tuple(found for item in as_list(value) if (found := id_of(item)) is not None)


def type_of(value: Any) -> str:
    """A document's type; for an array of types the first plain one (`Person` in
    `["Person", "vcard:individual"]`). Empty when there is none."""
    if not isinstance(value, Mapping):
        return ""
    kind = value.get("type")
    for item in as_list(kind):
        if isinstance(item, str) and ":" not in item:
            return item
    return kind if isinstance(kind, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_time(value: Any) -> datetime | None:
    """An xsd:dateTime as servers write it (`Z`, offsets, fractions); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_public(address: str) -> bool:
    return address in _PUBLIC_FORMS


def _url_of(value: Any) -> str | None:
    """A post's human-facing URL: a string, a Link, or the first HTML Link of an array
    (PeerTube and Funkwhale list several; Prismo sends one Link object)."""
    links = as_list(value)
    for link in links:
        if isinstance(link, Mapping) and link.get("mediaType", link.get("mimeType")) in (
            "text/html",
        ):
            return id_of(link)
    return id_of(links) if links else None


# -- posts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagRef:
    """A `tag` entry: `Mention` (href = the actor), `Hashtag` (name without `#`), `Emoji`…"""

    type: str
    name: str
    href: str | None


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A media attachment by reference (fetched later, if ever)."""

    url: str
    type: str  # image, video, audio or unknown, as Mastodon's media types
    media_type: str | None
    description: str
    blurhash: str | None
    width: int | None
    height: int | None
    focus: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class Post:
    """A Note, Article, Page or Question as another server described it."""

    id: str
    type: str
    attributed_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    content: str
    language: str | None
    summary: str | None
    name: str | None
    sensitive: bool
    in_reply_to: str | None
    url: str | None
    tags: tuple[TagRef, ...]
    attachments: tuple[AttachmentRef, ...]
    published: datetime | None
    updated: datetime | None
    poll_options: tuple[str, ...] = ()
    quote: str | None = None
    # FEP-1b12: the group the post belongs to (Lemmy, Mitra, Friendica send it).
    audience: str | None = None

    @property
    def is_poll_vote(self) -> bool:
        """Mastodon votes with a Create(Note) that has a `name` (the option) and no content."""
        return (
            self.type == "Note" and bool(self.name) and not self.content and bool(self.in_reply_to)
        )

    @property
    def mentions(self) -> tuple[str, ...]:
        return tuple(tag.href for tag in self.tags if tag.type == "Mention" and tag.href)

    @property
    def hashtags(self) -> tuple[str, ...]:
        names = (tag.name for tag in self.tags if tag.type == "Hashtag")
        return tuple(dict.fromkeys(name for name in names if name))


def _attributed_to(value: Any) -> str | None:
    # PeerTube attributes a Video to [channel Group, account Person]: the Person wrote it.
    for item in as_list(value):
        if isinstance(item, Mapping) and type_of(item) == "Person":
            return id_of(item)
    return id_of(value)


def _content(document: Mapping[str, Any]) -> tuple[str, str | None]:
    """The HTML content and its language: `content`, else the first of `contentMap`."""
    content = _text(document.get("content"))
    content_map = document.get("contentMap")
    languages = (
        [(k, v) for k, v in content_map.items() if isinstance(k, str) and isinstance(v, str)]
        if isinstance(content_map, Mapping)
        else []
    )
    if content is None and languages:
        first_language, first_content = next(((k, v) for k, v in languages if v), languages[0])
        return first_content, first_language
    language = next((k for k, v in languages if v == content), None)
    if language is None and len(languages) == 1:
        language = languages[0][0]
    return content or "", language


def _tags(value: Any) -> tuple[TagRef, ...]:
    tags = []
    for item in as_list(value):
        if not isinstance(item, Mapping):
            continue
        kind = type_of(item)
        name = _text(item.get("name")) or ""
        if kind == "Hashtag":
            name = name.removeprefix("#")
        tags.append(TagRef(kind, name, id_of(item.get("href"))))
    return tuple(tags)


def _focus(value: Any) -> tuple[float, float] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    return None


def _attachments(value: Any) -> tuple[AttachmentRef, ...]:
    found = []
    for item in as_list(value):
        if not isinstance(item, Mapping):
            continue
        kind = type_of(item)
        media_type = _text(item.get("mediaType"))
        # Lemmy and others attach plain Links (the shared page), which are not media.
        if kind not in _MEDIA_TYPES and not media_type:
            continue
        url = _url_of(item.get("url")) or (id_of(item.get("href")) if kind == "Link" else None)
        if url is None:
            continue
        # The media type decides when given (Mastodon sends every file as a Document).
        major = (media_type or "").split("/", 1)[0]
        media = _MAJOR_TYPES.get(major) or _MEDIA_TYPES.get(kind, "unknown")
        description = _text(item.get("name")) or _text(item.get("content")) or ""
        found.append(
            AttachmentRef(
                url=url,
                type=media,
                media_type=media_type,
                description=description,
                blurhash=_text(item.get("blurhash")),
                width=_int(item.get("width")),
                height=_int(item.get("height")),
                focus=_focus(item.get("focalPoint")),
            )
        )
    return tuple(found)


def _poll_options(document: Mapping[str, Any]) -> tuple[str, ...]:
    options = as_list(document.get("oneOf")) or as_list(document.get("anyOf"))
    return tuple(
        name
        for option in options
        if isinstance(option, Mapping) and (name := _text(option.get("name")))
    )


def parse_post(document: Any) -> Post:
    """A Note, Article, Page or Question. Raises ObjectError for another type or no id."""
    if not isinstance(document, Mapping):
        raise ObjectError("the object is not embedded")
    kind = type_of(document)
    if kind not in POST_TYPES:
        raise ObjectError(f"{kind or 'an untyped object'} is not a post")
    post_id = id_of(document.get("id"))
    if post_id is None:
        raise ObjectError(f"the {kind} has no id")
    content, language = _content(document)
    quote = (
        id_of(document.get("quote"))
        or id_of(document.get("quoteUri"))
        or id_of(document.get("quoteUrl"))
        or id_of(document.get("_misskey_quote"))
    )
    return Post(
        id=post_id,
        type=kind,
        attributed_to=_attributed_to(document.get("attributedTo")),
        to=ids_of(document.get("to")),
        cc=ids_of(document.get("cc")),
        content=content,
        language=language,
        summary=_text(document.get("summary")) or None,
        name=_text(document.get("name")) or None,
        sensitive=document.get("sensitive") is True,
        in_reply_to=id_of(document.get("inReplyTo")),
        url=_url_of(document.get("url")),
        tags=_tags(document.get("tag")),
        attachments=_attachments(document.get("attachment")),
        published=parse_time(document.get("published")),
        updated=parse_time(document.get("updated")),
        poll_options=_poll_options(document) if kind == "Question" else (),
        quote=quote,
        audience=id_of(document.get("audience")),
    )


def visibility_of(to: tuple[str, ...], cc: tuple[str, ...], followers_url: str | None) -> str:
    """Mastodon's reading of addressing: Public in `to` is public, in `cc` unlisted; the
    author's followers collection makes it followers-only; anything else is direct."""
    if any(is_public(address) for address in to):
        return "public"
    if any(is_public(address) for address in cc):
        return "unlisted"
    recipients = (*to, *cc)
    if followers_url is not None and followers_url in recipients:
        return "private"
    return "direct"


# -- activities ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity with its references resolved to URIs. `objects` keeps each `object` as
    sent (a URI string or an embedded dict); `object_id` is the first one's URI."""

    id: str | None
    type: str
    actor: str
    object_id: str | None
    objects: tuple[str | Mapping[str, Any], ...]
    target: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    content: str | None
    summary: str | None
    published: datetime | None

    @property
    def embedded(self) -> Mapping[str, Any] | None:
        """The first object when it was embedded, else None."""
        first = self.objects[0] if self.objects else None
        return first if isinstance(first, Mapping) else None

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(found for item in self.objects if (found := id_of(item)) is not None)


def parse_activity(document: Any) -> Activity:
    """Raises ObjectError when the document is not a JSON object, or has no type or actor."""
    if not isinstance(document, Mapping):
        raise ObjectError("an activity must be a JSON object")
    kind = type_of(document)
    if not kind:
        raise ObjectError("the activity has no type")
    actor = id_of(document.get("actor"))
    if actor is None:
        raise ObjectError("the activity has no actor")
    objects = tuple(
        item for item in as_list(document.get("object")) if isinstance(item, str | Mapping)
    )
    return Activity(
        id=id_of(document.get("id")),
        type=kind,
        actor=actor,
        object_id=id_of(objects[0]) if objects else None,
        objects=objects,
        target=id_of(document.get("target")),
        to=ids_of(document.get("to")),
        cc=ids_of(document.get("cc")),
        content=_text(document.get("content")),
        summary=_text(document.get("summary")),
        published=parse_time(document.get("published")),
    )
