"""A local status as the Note other servers read: its parts loaded from `content`, addressed
and linked with this node's URLs. Used for the activities we send and for the status
documents we serve."""

from __future__ import annotations

from typing import Any

import asyncpg

from actors.site import Site
from content.articles import article_url
from content.status_parts import AccountRef, StatusParts, StatusRef, status_parts
from content.statuses import Status
from outbox.as2.note import Attachment, Hashtag, Mention, NoteData, NotFederated, render_note

_FALLBACK_MEDIA_TYPES = {"image": "image/jpeg", "gifv": "video/mp4", "video": "video/mp4"}


def status_uri_of(site: Site, ref: StatusRef) -> str:
    if ref.local:
        return site.status_uri(ref.username, ref.id)
    if ref.uri is None:
        raise ValueError(f"remote status {ref.id} has no uri")
    return ref.uri


def actor_uri_of(site: Site, ref: AccountRef) -> str:
    if ref.domain is None:
        return site.actor_url(ref.username)
    if ref.uri is None:
        raise ValueError(f"remote account {ref.id} has no uri")
    return ref.uri


def _attachment(site: Site, row: dict[str, Any]) -> Attachment | None:
    url = site.media_url(row["file_key"]) if row["file_key"] else row["remote_url"]
    if not url:
        return None
    original = (row["meta"] or {}).get("original") or {}
    focus = None
    if row["type"] in ("image", "gifv", "video"):
        focus = (round(float(row["focus_x"]), 2), round(float(row["focus_y"]), 2))
    return Attachment(
        media_type=row["content_type"]
        or _FALLBACK_MEDIA_TYPES.get(row["type"], "application/octet-stream"),
        url=url,
        description=row["description"] or "",
        blurhash=row["blurhash"],
        width=original.get("width"),
        height=original.get("height"),
        focus=focus,
    )


def note_data(site: Site, status: Status, author: str, parts: StatusParts) -> NoteData:
    """Raises NotFederated for a status that never leaves the node, ValueError for one that
    is not ours or is a boost (a boost is an Announce, not a Note)."""
    if not status.local or status.reblog_of_id is not None:
        raise ValueError(f"status {status.id} is not a local original")
    if status.visibility == "local":
        raise NotFederated(f"status {status.id} is internal to this node")
    attachments = (_attachment(site, row) for row in parts.media)
    group = actor_uri_of(site, parts.group) if parts.group else None
    article = status.is_article
    return NoteData(
        id=site.status_uri(author, status.id),
        url=article_url(site, author, status.id) if article else site.status_url(author, status.id),
        attributed_to=site.actor_url(author),
        followers_url=site.followers_url(author),
        visibility=status.visibility,
        content=status.content,
        published=status.created_at,
        summary=status.summary if article else status.spoiler_text,
        sensitive=status.sensitive,
        language=status.language,
        updated=status.edited_at,
        in_reply_to=status_uri_of(site, parts.in_reply_to) if parts.in_reply_to else None,
        mentions=tuple(
            Mention(actor_uri_of(site, m), f"@{m.username}@{m.domain or site.domain}")
            for m in parts.mentions
        ),
        hashtags=tuple(Hashtag(site.tag_url(name), name) for name in parts.tags),
        attachments=tuple(a for a in attachments if a is not None),
        audience=group,
        audience_followers=f"{group}/followers" if group and parts.group_members_only else None,
        kind=status.kind,
        title=status.title,
        markdown=status.text if article else "",
    )


async def load_note(
    conn: asyncpg.Connection, site: Site, status: Status, author: str
) -> dict[str, Any]:
    """The Note for a local status by `author` (a username), with `@context`. Raises
    NotFederated for `local` visibility."""
    return render_note(note_data(site, status, author, await status_parts(conn, status.id)))
