"""Bookmarks: private to their member, never federated, so the commands live here. The list is
paged by the bookmark's own id, as Mastodon pages it."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, visible_sql
from content.favourites import Marked
from db.keyset import Window, newest_first, window_sql


async def do_bookmark(conn: asyncpg.Connection, account_id: int, status_id: int) -> None:
    await conn.execute(
        """INSERT INTO bookmarks (account_id, status_id) VALUES ($1, $2)
           ON CONFLICT (account_id, status_id) DO NOTHING""",
        account_id,
        status_id,
    )


async def do_unbookmark(conn: asyncpg.Connection, account_id: int, status_id: int) -> None:
    await conn.execute(
        "DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2", account_id, status_id
    )


async def bookmarked_statuses(
    conn: asyncpg.Connection, viewer: Viewer, window: Window
) -> list[Marked]:
    """The member's bookmarks they may still see, newest bookmark first."""
    conditions, order, values = window_sql("b.id", window, 2)
    rows = await conn.fetch(
        f"""SELECT b.id, b.status_id FROM bookmarks b JOIN statuses s ON s.id = b.status_id
            WHERE b.account_id = $1 AND {visible_sql("s", "$1", viewer)}{conditions}{order}""",
        viewer.account_id,
        *values,
    )
    return newest_first([Marked(row["id"], row["status_id"]) for row in rows], window)
