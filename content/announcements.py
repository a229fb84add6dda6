"""Announcements: what the admins tell every member of the node (Mastodon's Announcement),
with each member's read state (dismissals) and emoji reactions.

An announcement is shown while it is published and inside its window (`starts_at` to
`ends_at`, either open), so one can be scheduled ahead. Its text is rendered as a status's is
(`content.linkify`: everything escaped, links, local mentions and hashtags marked up) and
stored as HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import emoji

from actors.accounts import Member
from actors.audit import record_action
from actors.site import Site
from content import linkify

# Mastodon allows at most eight different reactions on one announcement.
MAX_DIFFERENT_REACTIONS = 8
MAX_TEXT = 5000
# Mastodon's order (`Announcement.chronological`): by when it starts or was published.
_ORDER = "ORDER BY coalesce(a.starts_at, a.published_at, a.created_at), a.id"
_COLUMNS = """a.id, a.text, a.content, a.published, a.published_at, a.starts_at, a.ends_at,
              a.all_day, a.created_at, a.updated_at"""
_ACTIVE = """a.published AND (a.starts_at IS NULL OR a.starts_at <= now())
             AND (a.ends_at IS NULL OR a.ends_at > now())"""


class AnnouncementError(ValueError):
    """A request that cannot be carried out; the message is Mastodon's, safe to show."""


@dataclass(frozen=True, slots=True)
class AnnouncementDraft:
    text: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    all_day: bool = False
    published: bool = True


@dataclass(frozen=True, slots=True)
class Announcement:
    id: int
    text: str
    content: str
    published: bool
    published_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    all_day: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Reaction:
    name: str
    count: int
    me: bool


@dataclass(frozen=True, slots=True)
class MentionedAccount:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    """An announcement as one member sees it."""

    announcement: Announcement
    read: bool
    reactions: tuple[Reaction, ...]
    mentions: tuple[MentionedAccount, ...]
    tags: tuple[str, ...]


def check_announcement(draft: AnnouncementDraft) -> None:
    if not draft.text.strip():
        raise AnnouncementError("Validation failed: Text can't be blank")
    if len(draft.text) > MAX_TEXT:
        raise AnnouncementError(f"Validation failed: Text is too long (at most {MAX_TEXT})")
    if draft.starts_at and draft.ends_at and draft.ends_at < draft.starts_at:
        raise AnnouncementError("Validation failed: Ends at must be after the start")


async def _local_accounts(conn: asyncpg.Connection, handles: list[str]) -> list[MentionedAccount]:
    """The local accounts among `@handles` (a node's announcement mentions its own members)."""
    names = [h for h in handles if "@" not in h]
    rows = await conn.fetch(
        """SELECT id, username FROM accounts
           WHERE domain IS NULL AND lower(username) = ANY($1::text[]) AND suspended_at IS NULL
           ORDER BY id""",
        names,
    )
    return [MentionedAccount(row["id"], row["username"]) for row in rows]


async def _render(conn: asyncpg.Connection, site: Site, text: str) -> str:
    handles, _ = linkify.extract(text)
    known = {a.username.lower(): a for a in await _local_accounts(conn, handles)}
    rendered = linkify.render(
        text.strip(),
        lambda h: (
            linkify.Mentioned(known[h].username, site.profile_url(known[h].username))
            if h in known
            else None
        ),
        site.base_url,
    )
    # As for a local status: the renderer escapes all the admin's text and adds only its own
    # markup. The sanitiser is for HTML from elsewhere; it would also rewrite `rel="tag"`,
    # which apps read to open hashtags.
    return rendered


def _announcement(row: asyncpg.Record) -> Announcement:
    return Announcement(**{name: row[name] for name in Announcement.__slots__})


async def do_create_announcement(
    conn: asyncpg.Connection,
    site: Site,
    author_id: int,
    draft: AnnouncementDraft,
    *,
    actor: Member | None = None,
) -> Announcement:
    """Store the announcement; with `actor`, the staff member's action goes on the audit log."""
    check_announcement(draft)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""INSERT INTO announcements AS a (text, content, published, published_at,
                                              starts_at, ends_at, all_day, created_by)
                VALUES ($1, $2, $3, CASE WHEN $3 THEN now() END, $4, $5, $6, $7)
                RETURNING {_COLUMNS}""",
            draft.text.strip(),
            await _render(conn, site, draft.text),
            draft.published,
            draft.starts_at,
            draft.ends_at,
            draft.all_day,
            author_id,
        )
        await _audit(conn, actor, "create_announcement", row["id"], draft)
    return _announcement(row)


async def _audit(
    conn: asyncpg.Connection,
    actor: Member | None,
    action: str,
    announcement_id: int,
    draft: AnnouncementDraft | None = None,
) -> None:
    if actor is None:
        return
    details = {"text": draft.text.strip()[:200], "published": draft.published} if draft else {}
    await record_action(conn, actor, action, "announcement", announcement_id, details=details)


async def do_update_announcement(
    conn: asyncpg.Connection,
    site: Site,
    announcement_id: int,
    draft: AnnouncementDraft,
    *,
    actor: Member | None = None,
) -> Announcement | None:
    """Replace the announcement's text and window; publishing stamps `published_at` once,
    unpublishing clears it (Mastodon)."""
    check_announcement(draft)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""UPDATE announcements AS a SET text = $2, content = $3, published = $4,
                    published_at = CASE WHEN NOT $4 THEN NULL
                                        ELSE coalesce(published_at, now()) END,
                    starts_at = $5, ends_at = $6, all_day = $7, updated_at = now()
                WHERE id = $1 RETURNING {_COLUMNS}""",
            announcement_id,
            draft.text.strip(),
            await _render(conn, site, draft.text),
            draft.published,
            draft.starts_at,
            draft.ends_at,
            draft.all_day,
        )
        if row is not None:
            await _audit(conn, actor, "update_announcement", announcement_id, draft)
    return _announcement(row) if row else None


async def do_delete_announcement(
    conn: asyncpg.Connection, announcement_id: int, *, actor: Member | None = None
) -> bool:
    async with conn.transaction():
        deleted = await conn.fetchval(
            "DELETE FROM announcements WHERE id = $1 RETURNING id", announcement_id
        )
        if deleted is not None:
            await _audit(conn, actor, "delete_announcement", announcement_id)
    return deleted is not None


async def _views(
    conn: asyncpg.Connection, account_id: int, rows: list[asyncpg.Record]
) -> list[AnnouncementView]:
    announcements = [_announcement(row) for row in rows]
    ids = [a.id for a in announcements]
    reaction_rows = await conn.fetch(
        """SELECT announcement_id, name, count(*) AS count, bool_or(account_id = $2) AS me,
                  min(created_at) AS first
           FROM announcement_reactions WHERE announcement_id = ANY($1::bigint[])
           GROUP BY announcement_id, name ORDER BY first""",
        ids,
        account_id,
    )
    read = {
        row["announcement_id"]
        for row in await conn.fetch(
            """SELECT announcement_id FROM announcement_dismissals
               WHERE account_id = $1 AND announcement_id = ANY($2::bigint[])""",
            account_id,
            ids,
        )
    }
    views = []
    for item in announcements:
        handles, tags = linkify.extract(item.text)
        views.append(
            AnnouncementView(
                announcement=item,
                read=item.id in read,
                reactions=tuple(
                    Reaction(row["name"], row["count"], row["me"])
                    for row in reaction_rows
                    if row["announcement_id"] == item.id
                ),
                mentions=tuple(await _local_accounts(conn, handles)) if handles else (),
                tags=tuple(tags),
            )
        )
    return views


async def active_announcements(
    conn: asyncpg.Connection, account_id: int, *, with_dismissed: bool = False
) -> list[AnnouncementView]:
    """What members see now; dismissed ones only when asked for (Mastodon's default hides
    them)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM announcements a
            WHERE {_ACTIVE}
              AND ($2 OR NOT EXISTS (SELECT 1 FROM announcement_dismissals d
                                     WHERE d.announcement_id = a.id AND d.account_id = $1))
            {_ORDER}""",
        account_id,
        with_dismissed,
    )
    return await _views(conn, account_id, rows)


async def all_announcements(conn: asyncpg.Connection, account_id: int) -> list[AnnouncementView]:
    """Every announcement, unpublished and scheduled ones included (for the admins)."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM announcements a {_ORDER}")
    return await _views(conn, account_id, rows)


async def get_announcement_view(
    conn: asyncpg.Connection, account_id: int, announcement_id: int
) -> AnnouncementView | None:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM announcements a WHERE a.id = $1", announcement_id
    )
    views = await _views(conn, account_id, rows)
    return views[0] if views else None


async def _published(conn: asyncpg.Connection, announcement_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM announcements WHERE id = $1 AND published", announcement_id
    )
    return found is not None


async def do_dismiss(conn: asyncpg.Connection, account_id: int, announcement_id: int) -> bool:
    """Mark it read for the member; False when no published announcement has that id."""
    if not await _published(conn, announcement_id):
        return False
    await conn.execute(
        """INSERT INTO announcement_dismissals (announcement_id, account_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        announcement_id,
        account_id,
    )
    return True


def check_reaction_name(name: str) -> None:
    """A unicode emoji. Custom emoji would be named by shortcode, but this node has none, so
    any other name is refused as Mastodon refuses an unknown one."""
    if not emoji.is_emoji(name):
        raise AnnouncementError("Validation failed: Name is not a recognized emoji")


async def do_react(
    conn: asyncpg.Connection, account_id: int, announcement_id: int, name: str
) -> bool:
    """Add the member's reaction; False when no published announcement has that id."""
    if not await _published(conn, announcement_id):
        return False
    check_reaction_name(name)
    async with conn.transaction():
        # One reaction at a time per announcement, so the limit holds under concurrency.
        await conn.execute("SELECT 1 FROM announcements WHERE id = $1 FOR UPDATE", announcement_id)
        names = {
            row["name"]
            for row in await conn.fetch(
                "SELECT DISTINCT name FROM announcement_reactions WHERE announcement_id = $1",
                announcement_id,
            )
        }
        if name not in names and len(names) >= MAX_DIFFERENT_REACTIONS:
            raise AnnouncementError("Validation failed: Limit of different reactions reached")
        await conn.execute(
            """INSERT INTO announcement_reactions (announcement_id, account_id, name)
               VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""",
            announcement_id,
            account_id,
            name,
        )
    return True


async def do_unreact(
    conn: asyncpg.Connection, account_id: int, announcement_id: int, name: str
) -> bool:
    """Remove the member's reaction (none is fine); False for an unknown announcement."""
    if not await _published(conn, announcement_id):
        return False
    await conn.execute(
        """DELETE FROM announcement_reactions
           WHERE announcement_id = $1 AND account_id = $2 AND name = $3""",
        announcement_id,
        account_id,
        name,
    )
    return True
