"""A status as the ActivityStreams `Note` other servers read, in the shape Mastodon sends
(`ActivityPub::NoteSerializer`): addressing by visibility, mentions and hashtags as `tag`,
media as `Document` attachments. An article is an `Article` instead: `name` is its title,
`summary` its summary (not a content warning), `content` the whole body as HTML, and
`source` the Markdown it was written in (as Misskey, Akkoma and Lemmy send theirs).
Plain data in, a dict out; loading it is `outbox.status_documents`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from outbox.as2.context import PUBLIC, with_context

FEDERATED_VISIBILITIES = ("public", "unlisted", "private", "direct")


class NotFederated(ValueError):
    """The status never leaves this node (`local` visibility): it has no AS2 form."""


@dataclass(frozen=True, slots=True)
class Mention:
    href: str  # the mentioned actor's id
    name: str  # `@user@domain`


@dataclass(frozen=True, slots=True)
class Hashtag:
    href: str
    name: str  # without the `#`


@dataclass(frozen=True, slots=True)
class Attachment:
    media_type: str
    url: str
    description: str = ""
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class NoteData:
    id: str
    url: str
    attributed_to: str
    followers_url: str
    visibility: str
    content: str
    published: datetime
    summary: str = ""
    sensitive: bool = False
    language: str | None = None
    updated: datetime | None = None
    in_reply_to: str | None = None
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[Hashtag, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # FEP-1b12: the group the post belongs to; a members-only group's posts are addressed to
    # its followers collection too (`audience_followers`).
    audience: str | None = None
    audience_followers: str | None = None
    kind: str = "note"  # or "article"
    title: str = ""
    markdown: str = ""


def iso(moment: datetime) -> str:
    """Whole seconds in UTC with a `Z`, as Mastodon writes `published`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def audience(
    visibility: str, followers_url: str, mentioned: list[str]
) -> tuple[list[str], list[str]]:
    """`to` and `cc` for a status of this visibility (Mastodon's TagManager#to and #cc):
    public → to Public, cc followers; unlisted → to followers, cc Public; private → to
    followers; direct → to the mentioned only. Mentioned actors are in `cc` unless direct.
    Raises NotFederated for `local`."""
    if visibility == "public":
        return [PUBLIC], _unique([followers_url, *mentioned])
    if visibility == "unlisted":
        return [followers_url], _unique([PUBLIC, *mentioned])
    if visibility == "private":
        return [followers_url], _unique(mentioned)
    if visibility == "direct":
        return _unique(mentioned), []
    raise NotFederated(f"a {visibility!r} status is not federated")


def _attachment(item: Attachment) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "Document",
        "mediaType": item.media_type,
        "url": item.url,
        # Mastodon sends null for no description; the alt text is `name`.
        "name": item.description or None,
    }
    if item.blurhash:
        document["blurhash"] = item.blurhash
    if item.focus is not None:
        document["focalPoint"] = [item.focus[0], item.focus[1]]
    if item.width and item.height:
        document["width"] = item.width
        document["height"] = item.height
    return document


def _tags(note: NoteData) -> list[dict[str, str]]:
    tags = [{"type": "Mention", "href": m.href, "name": m.name} for m in note.mentions]
    tags += [{"type": "Hashtag", "href": h.href, "name": f"#{h.name}"} for h in note.hashtags]
    return tags


def render_note(note: NoteData) -> dict[str, Any]:
    """The Note, with `@context` (strip it with `without_context` to embed it)."""
    to, cc = audience(note.visibility, note.followers_url, [m.href for m in note.mentions])
    if note.audience_followers:
        to = _unique([*to, note.audience_followers])
    article = note.kind == "article"
    document: dict[str, Any] = {
        "id": note.id,
        "type": "Article" if article else "Note",
        "summary": note.summary or None,
        "inReplyTo": note.in_reply_to,
        "published": iso(note.published),
        "url": note.url,
        "attributedTo": note.attributed_to,
        "to": to,
        "cc": cc,
        "sensitive": note.sensitive,
        "content": note.content,
    }
    if note.audience:
        document["audience"] = note.audience
    if article:
        document["name"] = note.title
        document["mediaType"] = "text/html"
        document["source"] = {"content": note.markdown, "mediaType": "text/markdown"}
    if note.language:
        document["contentMap"] = {note.language: note.content}
    if note.updated is not None:
        document["updated"] = iso(note.updated)
    document["attachment"] = [_attachment(item) for item in note.attachments]
    document["tag"] = _tags(note)
    return with_context(document)
