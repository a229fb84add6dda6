"""Favourites: the rows, the member's list of favourited statuses and who favourited a status,
both paged by the favourite's own id as Mastodon pages them. Counters and notifications move
with them in `outbox.interactions`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from content.access import Viewer, account_visible_sql, visible_sql
from db.keyset import Window, newest_first, window_sql


@dataclass(frozen=True, slots=True)
class Marked:
    """One row of a marked list: the mark's id (the paging key) and what it points at."""

    mark_id: int
    target_id: int


async def add_favourite(conn: asyncpg.Connection, account_id: int, status_id: int) -> bool:
    """True when the favourite is new (a repeat changes nothing)."""
    created = await conn.fetchval(
        """INSERT INTO favourites (account_id, status_id) VALUES ($1, $2)
           ON CONFLICT (account_id, status_id) DO NOTHING RETURNING id""",
        account_id,
        status_id,
    )
    return created is not None


async def remove_favourite(conn: asyncpg.Connection, account_id: int, status_id: int) -> bool:
    removed = await conn.fetchval(
        "DELETE FROM favourites WHERE account_id = $1 AND status_id = $2 RETURNING id",
        account_id,
        status_id,
    )
    return removed is not None


async def favourited_statuses(
    conn: asyncpg.Connection, viewer: Viewer, window: Window
) -> list[Marked]:
    """The member's favourites they may still see, newest favourite first."""
    conditions, order, values = window_sql("f.id", window, 2)
    rows = await conn.fetch(
        f"""SELECT f.id, f.status_id FROM favourites f JOIN statuses s ON s.id = f.status_id
            WHERE f.account_id = $1 AND {visible_sql("s", "$1", viewer)}{conditions}{order}""",
        viewer.account_id,
        *values,
    )
    return newest_first([Marked(row["id"], row["status_id"]) for row in rows], window)


async def favourited_by(
    conn: asyncpg.Connection, status_id: int, viewer: Viewer, window: Window
) -> list[Marked]:
    """Accounts (not suspended) that favourited the status and the viewer may see, newest
    favourite first."""
    conditions, order, values = window_sql("f.id", window, 3)
    rows = await conn.fetch(
        f"""SELECT f.id, f.account_id FROM favourites f JOIN accounts a ON a.id = f.account_id
            WHERE f.status_id = $1 AND a.suspended_at IS NULL
              AND {account_visible_sql("a.id", "$2", viewer)}{conditions}{order}""",
        status_id,
        viewer.account_id,
        *values,
    )
    return newest_first([Marked(row["id"], row["account_id"]) for row in rows], window)
