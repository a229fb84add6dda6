"""Who follows, asks to follow, blocks and mutes whom, and the private notes members keep:
the rows, the relationship between one viewer and many accounts, and the paged lists.

The write functions here are the storage steps of the commands in `outbox.relationships`,
which call them inside one transaction together with counters, notifications and feeds.
Pages are keyset windows over the relationship's own id, as Mastodon pages these lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from db.keyset import Window, newest_first, window_sql

MAX_NOTE = 2000


class NotAllowed(Exception):
    """The relationship may not be made (self, blocked either way, moved account): Mastodon
    answers 403 `This action is not allowed`."""


class NoteError(ValueError):
    """A private note was refused; the message is Mastodon's 422 `error`."""


# -- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowOptions:
    """What a follower chose: boosts in the home feed, a notification per post, languages
    (None: all)."""

    show_reblogs: bool = True
    notify: bool = False
    languages: list[str] | None = None


_TABLES = ("follows", "follow_requests")


async def _get_options(
    conn: asyncpg.Connection, table: str, follower_id: int, target_id: int
) -> FollowOptions | None:
    if table not in _TABLES:
        raise ValueError(table)
    row = await conn.fetchrow(
        f"SELECT show_reblogs, notify, languages FROM {table}"
        " WHERE account_id = $1 AND target_account_id = $2",
        follower_id,
        target_id,
    )
    return FollowOptions(row["show_reblogs"], row["notify"], row["languages"]) if row else None


async def get_follow(
    conn: asyncpg.Connection, follower_id: int, target_id: int
) -> FollowOptions | None:
    return await _get_options(conn, "follows", follower_id, target_id)


async def get_follow_request(
    conn: asyncpg.Connection, follower_id: int, target_id: int
) -> FollowOptions | None:
    return await _get_options(conn, "follow_requests", follower_id, target_id)


async def _insert(
    conn: asyncpg.Connection,
    table: str,
    follower_id: int,
    target_id: int,
    options: FollowOptions,
    *,
    uri: str | None,
) -> bool:
    if table not in _TABLES:
        raise ValueError(table)
    new_id = await conn.fetchval(
        f"""INSERT INTO {table} (account_id, target_account_id, show_reblogs, notify, languages,
                                 uri)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (account_id, target_account_id) DO NOTHING RETURNING id""",
        follower_id,
        target_id,
        options.show_reblogs,
        options.notify,
        options.languages,
        uri,
    )
    return new_id is not None


async def insert_follow(
    conn: asyncpg.Connection,
    follower_id: int,
    target_id: int,
    options: FollowOptions,
    uri: str | None = None,
) -> bool:
    """True when the follow is new (so counters move), False when it already existed."""
    return await _insert(conn, "follows", follower_id, target_id, options, uri=uri)


async def insert_follow_request(
    conn: asyncpg.Connection,
    follower_id: int,
    target_id: int,
    options: FollowOptions,
    uri: str | None = None,
) -> bool:
    return await _insert(conn, "follow_requests", follower_id, target_id, options, uri=uri)


async def update_follow_options(
    conn: asyncpg.Connection, table: str, follower_id: int, target_id: int, options: FollowOptions
) -> None:
    """Change an existing follow's (or follow request's) options: following again is how
    Mastodon apps change them."""
    if table not in _TABLES:
        raise ValueError(table)
    await conn.execute(
        f"""UPDATE {table} SET show_reblogs = $3, notify = $4, languages = $5
            WHERE account_id = $1 AND target_account_id = $2""",
        follower_id,
        target_id,
        options.show_reblogs,
        options.notify,
        options.languages,
    )


async def delete_follow(conn: asyncpg.Connection, follower_id: int, target_id: int) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM follows WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
        follower_id,
        target_id,
    )
    return deleted is not None


async def delete_follow_request(
    conn: asyncpg.Connection, follower_id: int, target_id: int
) -> FollowOptions | None:
    """Remove a pending request; returns its options (an accepted request keeps them)."""
    row = await conn.fetchrow(
        """DELETE FROM follow_requests WHERE account_id = $1 AND target_account_id = $2
           RETURNING show_reblogs, notify, languages""",
        follower_id,
        target_id,
    )
    return FollowOptions(row["show_reblogs"], row["notify"], row["languages"]) if row else None


async def pending_requesters(conn: asyncpg.Connection, target_id: int) -> list[int]:
    """Accounts waiting for `target_id` to accept them, oldest request first."""
    rows = await conn.fetch(
        "SELECT account_id FROM follow_requests WHERE target_account_id = $1 ORDER BY id",
        target_id,
    )
    return [row["account_id"] for row in rows]


async def count_follow_requests(conn: asyncpg.Connection, target_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM follow_requests WHERE target_account_id = $1", target_id
    )
    return count


async def blocked_either_way(conn: asyncpg.Connection, a: int, b: int) -> bool:
    found = await conn.fetchval(
        """SELECT 1 FROM blocks WHERE (account_id = $1 AND target_account_id = $2)
                                   OR (account_id = $2 AND target_account_id = $1) LIMIT 1""",
        a,
        b,
    )
    return found is not None


async def is_blocking(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2",
        account_id,
        target_id,
    )
    return found is not None


async def insert_block(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    block_id = await conn.fetchval(
        """INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)
           ON CONFLICT (account_id, target_account_id) DO NOTHING RETURNING id""",
        account_id,
        target_id,
    )
    return block_id is not None


async def delete_block(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM blocks WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
        account_id,
        target_id,
    )
    return deleted is not None


async def upsert_mute(
    conn: asyncpg.Connection,
    account_id: int,
    target_id: int,
    *,
    hide_notifications: bool,
    expires_at: datetime | None,
) -> None:
    """Mute, or change a mute: muting again replaces the notification choice and the expiry,
    as in Mastodon."""
    await conn.execute(
        """INSERT INTO mutes (account_id, target_account_id, hide_notifications, expires_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (account_id, target_account_id) DO UPDATE
           SET hide_notifications = EXCLUDED.hide_notifications,
               expires_at = EXCLUDED.expires_at""",
        account_id,
        target_id,
        hide_notifications,
        expires_at,
    )


async def delete_mute(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM mutes WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
        account_id,
        target_id,
    )
    return deleted is not None


async def do_set_note(
    conn: asyncpg.Connection, account_id: int, target_id: int, comment: str
) -> None:
    """A member's private note on an account; an empty comment removes it. Notes never leave
    the node."""
    if len(comment) > MAX_NOTE:
        raise NoteError(
            f"Validation failed: Comment is too long (maximum is {MAX_NOTE} characters)"
        )
    if not comment.strip():
        await conn.execute(
            "DELETE FROM account_notes WHERE account_id = $1 AND target_account_id = $2",
            account_id,
            target_id,
        )
        return
    await conn.execute(
        """INSERT INTO account_notes (account_id, target_account_id, comment) VALUES ($1, $2, $3)
           ON CONFLICT (account_id, target_account_id)
           DO UPDATE SET comment = EXCLUDED.comment, updated_at = now()""",
        account_id,
        target_id,
        comment,
    )


# -- the relationship between a viewer and accounts -------------------------------------------


@dataclass(frozen=True, slots=True)
class Relationship:
    """Mastodon's Relationship, from the viewer's side. A pending request's options show as
    `showing_reblogs`/`notifying`/`languages` until it is accepted, as in Mastodon."""

    account_id: int
    following: bool = False
    showing_reblogs: bool = False
    notifying: bool = False
    languages: list[str] | None = None
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    muting_expires_at: datetime | None = None
    requested: bool = False
    requested_by: bool = False
    note: str = ""


_RELATIONSHIPS = """
    SELECT t.id,
           f.id IS NOT NULL AS following,
           coalesce(f.show_reblogs, r.show_reblogs, false) AS showing_reblogs,
           coalesce(f.notify, r.notify, false) AS notifying,
           CASE WHEN f.id IS NOT NULL THEN f.languages ELSE r.languages END AS languages,
           EXISTS (SELECT 1 FROM follows WHERE account_id = t.id AND target_account_id = $1)
               AS followed_by,
           EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = t.id)
               AS blocking,
           EXISTS (SELECT 1 FROM blocks WHERE account_id = t.id AND target_account_id = $1)
               AS blocked_by,
           m.id IS NOT NULL AS muting,
           coalesce(m.hide_notifications, false) AS muting_notifications,
           m.expires_at AS muting_expires_at,
           r.id IS NOT NULL AS requested,
           EXISTS (SELECT 1 FROM follow_requests
                   WHERE account_id = t.id AND target_account_id = $1) AS requested_by,
           coalesce(n.comment, '') AS note
    FROM accounts t
    LEFT JOIN follows f ON f.account_id = $1 AND f.target_account_id = t.id
    LEFT JOIN follow_requests r ON r.account_id = $1 AND r.target_account_id = t.id
    LEFT JOIN mutes m ON m.account_id = $1 AND m.target_account_id = t.id
                     AND (m.expires_at IS NULL OR m.expires_at > now())
    LEFT JOIN account_notes n ON n.account_id = $1 AND n.target_account_id = t.id
    WHERE t.id = ANY($2::bigint[]) AND ($3 OR t.suspended_at IS NULL)
"""


async def load_relationships(
    conn: asyncpg.Connection,
    viewer_id: int,
    ids: Iterable[int],
    *,
    with_suspended: bool = True,
) -> dict[int, Relationship]:
    """The viewer's relationship to each existing account among `ids` (an expired mute no
    longer counts)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await conn.fetch(_RELATIONSHIPS, viewer_id, wanted, with_suspended)
    return {row["id"]: Relationship(**{"account_id": row["id"], **_fields(row)}) for row in rows}


def _fields(row: asyncpg.Record) -> dict[str, object]:
    return {name: row[name] for name in Relationship.__slots__ if name != "account_id"}


async def load_relationship(
    conn: asyncpg.Connection, viewer_id: int, account_id: int
) -> Relationship:
    found = await load_relationships(conn, viewer_id, [account_id])
    return found.get(account_id, Relationship(account_id))


async def familiar_followers(
    conn: asyncpg.Connection, viewer_id: int, ids: Sequence[int]
) -> dict[int, list[int]]:
    """For each account, which of its followers the viewer follows too (suspended accounts
    left out), most recent follow first."""
    rows = await conn.fetch(
        """SELECT theirs.target_account_id AS target, theirs.account_id AS follower
           FROM follows theirs
           JOIN follows mine ON mine.account_id = $1
                            AND mine.target_account_id = theirs.account_id
           JOIN accounts a ON a.id = theirs.account_id AND a.suspended_at IS NULL
           WHERE theirs.target_account_id = ANY($2::bigint[])
           ORDER BY theirs.id DESC""",
        viewer_id,
        list(ids),
    )
    found: dict[int, list[int]] = {account_id: [] for account_id in ids}
    for row in rows:
        found[row["target"]].append(row["follower"])
    return found


# -- paged lists ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One entry of a paged account list: the row that pages it and the account it names."""

    id: int
    account_id: int
    expires_at: datetime | None = None


# table → (the list owner's column, the listed account's column)
_LISTS = {
    "followers": ("follows", "target_account_id", "account_id"),
    "following": ("follows", "account_id", "target_account_id"),
    "follow_requests": ("follow_requests", "target_account_id", "account_id"),
    "blocks": ("blocks", "account_id", "target_account_id"),
    "mutes": ("mutes", "account_id", "target_account_id"),
}


async def list_page(
    conn: asyncpg.Connection, kind: str, account_id: int, window: Window
) -> list[Listed]:
    """A page of one of an account's lists (`followers`, `following`, `follow_requests`,
    `blocks`, `mutes`), newest relationship first; suspended accounts and expired mutes are
    left out."""
    table, mine, theirs = _LISTS[kind]
    conditions, order, values = window_sql("r.id", window, 2)
    expires = "r.expires_at" if table == "mutes" else "NULL::timestamptz"
    live = "AND (r.expires_at IS NULL OR r.expires_at > now())" if table == "mutes" else ""
    rows = await conn.fetch(
        f"""SELECT r.id, r.{theirs} AS account_id, {expires} AS expires_at
            FROM {table} r JOIN accounts a ON a.id = r.{theirs} AND a.suspended_at IS NULL
            WHERE r.{mine} = $1 {conditions} {live}
            {order}""",
        account_id,
        *values,
    )
    listed = [Listed(row["id"], row["account_id"], row["expires_at"]) for row in rows]
    return newest_first(listed, window)
