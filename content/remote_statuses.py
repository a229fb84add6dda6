"""Statuses written elsewhere: storing, editing and finding what other nodes post.

`inbox` resolves everything first (author, reply, mentioned accounts) and hands over a
`RemoteDraft` with the HTML as the other server sent it; this module sanitises it (the one
place HTML from outside is cleaned is `content.sanitise`), and stores it with its mentions,
tags and media by reference. Counters of the author, fan-out and notifications are the
caller's, as for local posts. Everything is keyed by the status's `uri`, so storing the same
post twice stores it once."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from actors.profiles import adjust_stats
from actors.site import Site
from content.articles import MAX_SUMMARY, MAX_TITLE
from content.sanitise import html_to_text, sanitise_article_html, sanitise_html
from content.statuses import STATUS_COLUMNS, Status, adjust_counter, get_status, status_from_row
from content.tags import set_status_tags

MAX_CONTENT = 100_000  # characters of HTML; Mastodon caps remote text too
MAX_SPOILER = 1000
MAX_MEDIA = 16
_TAG = re.compile(r"^\w{1,100}$")
_LOCAL_STATUS = re.compile(r"^/users/([A-Za-z0-9_]+)/statuses/(\d+)$")
_LOCAL_STATUS_PAGE = re.compile(r"^/@([A-Za-z0-9_]+)/(?:articles/)?(\d+)$")
# A post dated in the future takes its arrival time instead (a clock off, or a trick to stay
# on top of timelines).
_FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    """An attachment kept by reference: the remote server's URL, never fetched here."""

    url: str
    type: str
    description: str = ""
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class RemoteDraft:
    """A remote post, resolved: `content` and `summary` are HTML as received. An `article`
    (an Article or Page) is kept whole with its `title` (the name) and its `summary` (which
    on a Note is a content warning instead, as Mastodon reads it). `poll_options` are shown
    in the content, since statuses here have no polls yet."""

    uri: str
    url: str | None
    account_id: int
    visibility: str
    content: str
    summary: str | None = None
    sensitive: bool = False
    language: str | None = None
    title: str | None = None
    poll_options: tuple[str, ...] = ()
    reply_to: Status | None = None
    mention_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    media: tuple[RemoteMedia, ...] = ()
    published: datetime | None = None
    kind: str = "note"


@dataclass(frozen=True, slots=True)
class Rendered:
    content: str
    text: str
    spoiler_text: str
    sensitive: bool
    title: str = ""
    summary: str = ""


def _render_article(draft: RemoteDraft) -> Rendered:
    # Images are left out: a member reading it never loads anything from another server.
    content = sanitise_article_html(draft.content[:MAX_CONTENT], None)
    return Rendered(
        content=content,
        text=html_to_text(content),
        spoiler_text="",
        sensitive=draft.sensitive,
        title=" ".join((draft.title or "").split())[:MAX_TITLE],
        summary=html_to_text(draft.summary or "")[:MAX_SUMMARY],
    )


def render_draft(draft: RemoteDraft) -> Rendered:
    """The sanitised HTML, its plain text (for search) and the content warning; for an
    article its title and summary instead of a content warning."""
    if draft.kind == "article":
        return _render_article(draft)
    parts = []
    if draft.title:
        parts.append(f"<p><strong>{html.escape(draft.title[:500])}</strong></p>")
    parts.append(sanitise_html(draft.content[:MAX_CONTENT]))
    if draft.poll_options:
        items = "".join(f"<li>{html.escape(option[:200])}</li>" for option in draft.poll_options)
        parts.append(f"<ul>{items}</ul>")
    content = "".join(part for part in parts if part)
    spoiler = html_to_text(draft.summary or "")[:MAX_SPOILER]
    return Rendered(content, html_to_text(content), spoiler, draft.sensitive or bool(spoiler))


def clean_tags(names: tuple[str, ...]) -> tuple[str, ...]:
    """Hashtag names that are names (word characters), each once whatever its case."""
    kept: dict[str, str] = {}
    for name in names:
        if _TAG.match(name):
            kept.setdefault(name.lower(), name)
    return tuple(kept.values())


def _created_at(published: datetime | None) -> datetime:
    now = datetime.now(UTC)
    if published is None or published > now + _FUTURE_SLACK:
        return now
    return published


async def find_status_by_uri(conn: asyncpg.Connection, site: Site, uri: str) -> Status | None:
    """The live status an ActivityPub id (or, for ours, its web page) names, or None. Our own
    statuses store no uri: theirs is computed from the author and id (`Site.status_uri`)."""
    if site.is_local_url(uri):
        path = uri[len(site.base_url) :]
        match = _LOCAL_STATUS.match(path) or _LOCAL_STATUS_PAGE.match(path)
        if match is None:
            return None
        status = await get_status(conn, int(match[2]))
        if status is None or not status.local:
            return None
        author = await conn.fetchval(
            "SELECT lower(username) FROM accounts WHERE id = $1", status.account_id
        )
        return status if author == match[1].lower() else None
    row = await conn.fetchrow(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE uri = $1 AND deleted_at IS NULL", uri
    )
    return status_from_row(row) if row else None


async def was_deleted(conn: asyncpg.Connection, uri: str) -> bool:
    """True when a status with this uri was stored and then deleted: a late Create or a
    refetch must not bring it back."""
    found = await conn.fetchval(
        "SELECT 1 FROM statuses WHERE uri = $1 AND deleted_at IS NOT NULL", uri
    )
    return found is not None


async def _store_media(
    conn: asyncpg.Connection, status_id: int, account_id: int, media: tuple[RemoteMedia, ...]
) -> None:
    for item in media[:MAX_MEDIA]:
        meta = (
            {"original": {"width": item.width, "height": item.height}}
            if item.width and item.height
            else {}
        )
        focus = item.focus or (0.0, 0.0)
        await conn.execute(
            """INSERT INTO media_attachments (account_id, status_id, type, state, remote_url,
                                              meta, description, focus_x, focus_y, blurhash)
               VALUES ($1, $2, $3, 'ready', $4, $5, $6, $7, $8, $9)""",
            account_id,
            status_id,
            item.type,
            item.url,
            meta,
            item.description[:1500],
            max(-1.0, min(1.0, focus[0])),
            max(-1.0, min(1.0, focus[1])),
            item.blurhash if item.blurhash and len(item.blurhash) <= 100 else None,
        )


async def _store_mentions(
    conn: asyncpg.Connection, status_id: int, mention_ids: tuple[int, ...]
) -> list[int]:
    """Mentions as the post now has them; returns the accounts mentioned for the first time."""
    existing = {
        row["account_id"]
        for row in await conn.fetch(
            "SELECT account_id FROM mentions WHERE status_id = $1", status_id
        )
    }
    await conn.execute(
        "UPDATE mentions SET silent = NOT (account_id = ANY($2::bigint[])) WHERE status_id = $1",
        status_id,
        list(mention_ids),
    )
    added = [account_id for account_id in dict.fromkeys(mention_ids) if account_id not in existing]
    await conn.execute(
        """INSERT INTO mentions (status_id, account_id) SELECT $1, unnest($2::bigint[])
           ON CONFLICT DO NOTHING""",
        status_id,
        added,
    )
    return added


async def insert_remote_status(conn: asyncpg.Connection, draft: RemoteDraft) -> Status | None:
    """Store a remote post inside the caller's transaction; None when its uri is already
    stored (a repeated delivery, or a fetch that raced it)."""
    rendered = render_draft(draft)
    reply_to = draft.reply_to
    row = await conn.fetchrow(
        f"""INSERT INTO statuses (account_id, uri, url, local, visibility, text, content,
                                  content_type, spoiler_text, sensitive, language,
                                  in_reply_to_id, in_reply_to_account_id, thread_id, created_at,
                                  kind, title, summary)
            VALUES ($1, $2, $3, false, $4, $5, $6, 'text/html', $7, $8, $9, $10, $11, $12, $13,
                    $14, $15, $16)
            ON CONFLICT (uri) WHERE uri IS NOT NULL DO NOTHING
            RETURNING {STATUS_COLUMNS}""",
        draft.account_id,
        draft.uri,
        draft.url,
        draft.visibility,
        rendered.text,
        rendered.content,
        rendered.spoiler_text,
        rendered.sensitive,
        (draft.language or "")[:16] or None,
        reply_to.id if reply_to else None,
        reply_to.account_id if reply_to else None,
        reply_to.thread_id if reply_to else None,
        _created_at(draft.published),
        draft.kind,
        rendered.title,
        rendered.summary,
    )
    if row is None:
        return None
    status = status_from_row(row)
    if status.thread_id is None:
        await conn.execute("UPDATE statuses SET thread_id = id WHERE id = $1", status.id)
    # A new status has no mentions or tags yet: only what it brings costs a query.
    if draft.mention_ids:
        await _store_mentions(conn, status.id, draft.mention_ids)
    if tags := clean_tags(draft.tags):
        await set_status_tags(conn, status.id, tags)
    await _store_media(conn, status.id, draft.account_id, draft.media)
    if reply_to is not None:
        await adjust_counter(conn, reply_to.id, "replies_count", 1)
    return await get_status(conn, status.id)


async def _snapshot(conn: asyncpg.Connection, status_id: int, at: datetime | None) -> None:
    await conn.execute(
        """INSERT INTO status_edits (status_id, account_id, text, content, spoiler_text,
                                     sensitive, media_ids, media_descriptions, created_at,
                                     title, summary)
           SELECT s.id, s.account_id, s.text, s.content, s.spoiler_text, s.sensitive,
                  coalesce(array_agg(m.id ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL), '{}'),
                  coalesce(array_agg(m.description ORDER BY m.id)
                           FILTER (WHERE m.id IS NOT NULL), '{}'),
                  coalesce($2, now()), s.title, s.summary
           FROM statuses s LEFT JOIN media_attachments m ON m.status_id = s.id
           WHERE s.id = $1
           GROUP BY s.id""",
        status_id,
        at,
    )


async def update_remote_status(
    conn: asyncpg.Connection, status: Status, draft: RemoteDraft, edited_at: datetime | None
) -> tuple[Status, list[int]] | None:
    """Apply an edit (an `Update` of the post) inside the caller's transaction, keeping the
    history as local edits do: the first edit also stores the original. Returns the edited
    status and the accounts newly mentioned, or None when nothing shown changed. Visibility,
    reply and author never change with an edit (Mastodon ignores them too)."""
    rendered = render_draft(draft)
    media = await conn.fetch(
        "SELECT remote_url, description FROM media_attachments WHERE status_id = $1 ORDER BY id",
        status.id,
    )
    media_now = [(row["remote_url"], row["description"]) for row in media]
    media_new = [(item.url, item.description[:1500]) for item in draft.media[:MAX_MEDIA]]
    unchanged = (
        status.content,
        status.spoiler_text,
        status.sensitive,
        status.title,
        status.summary,
        media_now,
    ) == (
        rendered.content,
        rendered.spoiler_text,
        rendered.sensitive,
        rendered.title,
        rendered.summary,
        media_new,
    )
    if unchanged:
        return None
    if not await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM status_edits WHERE status_id = $1)", status.id
    ):
        await _snapshot(conn, status.id, status.created_at)
    if media_now != media_new:
        # Detached, not deleted: the history still shows what the earlier versions carried.
        await conn.execute(
            "UPDATE media_attachments SET status_id = NULL WHERE status_id = $1", status.id
        )
        await _store_media(conn, status.id, status.account_id, draft.media)
    moment = edited_at if edited_at and edited_at <= datetime.now(UTC) + _FUTURE_SLACK else None
    row = await conn.fetchrow(
        f"""UPDATE statuses SET text = $2, content = $3, spoiler_text = $4, sensitive = $5,
                                language = coalesce($6, language),
                                edited_at = coalesce($7, now()), title = $8, summary = $9
            WHERE id = $1 RETURNING {STATUS_COLUMNS}""",
        status.id,
        rendered.text,
        rendered.content,
        rendered.spoiler_text,
        rendered.sensitive,
        (draft.language or "")[:16] or None,
        moment,
        rendered.title,
        rendered.summary,
    )
    added = await _store_mentions(conn, status.id, draft.mention_ids)
    await set_status_tags(conn, status.id, clean_tags(draft.tags))
    await _snapshot(conn, status.id, moment)
    return status_from_row(row), added


async def insert_remote_reblog(
    conn: asyncpg.Connection,
    account_id: int,
    original: Status,
    *,
    uri: str,
    visibility: str,
    published: datetime | None,
) -> Status | None:
    """Store a remote account's boost (an `Announce`) inside the caller's transaction; None
    when this boost (by uri) or another live boost of the same original by the same account
    is already stored."""
    row = await conn.fetchrow(
        f"""INSERT INTO statuses (account_id, uri, local, visibility, reblog_of_id, created_at)
            VALUES ($1, $2, false, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING {STATUS_COLUMNS}""",
        account_id,
        uri,
        visibility,
        original.id,
        _created_at(published),
    )
    return status_from_row(row) if row else None


async def find_reblog_by_uri(conn: asyncpg.Connection, account_id: int, uri: str) -> Status | None:
    row = await conn.fetchrow(
        f"""SELECT {STATUS_COLUMNS} FROM statuses
            WHERE uri = $1 AND account_id = $2 AND reblog_of_id IS NOT NULL
              AND deleted_at IS NULL""",
        uri,
        account_id,
    )
    return status_from_row(row) if row else None


async def discard_statuses_of(conn: asyncpg.Connection, account_id: int) -> int:
    """Soft-delete everything an account posted, boosted and favourited (its server deleted
    it), with the boosts others made of its posts, inside the caller's transaction: feed
    rows, notifications, pins and the counters of what it answered or boosted go too.
    Returns how many of its statuses were discarded."""
    own = await conn.fetch(
        """UPDATE statuses SET deleted_at = now() WHERE account_id = $1 AND deleted_at IS NULL
           RETURNING id, in_reply_to_id, reblog_of_id""",
        account_id,
    )
    own_ids = [row["id"] for row in own]
    boosts = await conn.fetch(
        """UPDATE statuses SET deleted_at = now()
           WHERE reblog_of_id = ANY($1::bigint[]) AND deleted_at IS NULL
           RETURNING id, account_id""",
        own_ids,
    )
    gone = own_ids + [row["id"] for row in boosts]
    for table in ("home_feed", "notifications", "status_pins"):
        await conn.execute(f"DELETE FROM {table} WHERE status_id = ANY($1::bigint[])", gone)
    await conn.execute("DELETE FROM notifications WHERE from_account_id = $1", account_id)
    for row in boosts:
        await adjust_stats(conn, row["account_id"], statuses=-1)
    for row in own:
        if row["in_reply_to_id"] is not None:
            await adjust_counter(conn, row["in_reply_to_id"], "replies_count", -1)
        if row["reblog_of_id"] is not None:
            await adjust_counter(conn, row["reblog_of_id"], "reblogs_count", -1)
    liked = await conn.fetch(
        "DELETE FROM favourites WHERE account_id = $1 RETURNING status_id", account_id
    )
    for row in liked:
        await adjust_counter(conn, row["status_id"], "favourites_count", -1)
    await adjust_stats(conn, account_id, statuses=-len(own_ids))
    return len(own_ids)
