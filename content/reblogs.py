"""Boosts as stored: a status row with `reblog_of_id` and no text of its own. One live boost
per account and original (a partial unique index keeps it so under concurrency)."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, visible_sql
from content.favourites import Marked
from content.statuses import STATUS_COLUMNS, Status, status_from_row
from db.keyset import Window, newest_first, window_sql


async def find_reblog(conn: asyncpg.Connection, account_id: int, original_id: int) -> Status | None:
    row = await conn.fetchrow(
        f"""SELECT {STATUS_COLUMNS} FROM statuses
            WHERE account_id = $1 AND reblog_of_id = $2 AND deleted_at IS NULL""",
        account_id,
        original_id,
    )
    return status_from_row(row) if row else None


async def insert_reblog(
    conn: asyncpg.Connection,
    account_id: int,
    original: Status,
    visibility: str,
    application_id: int | None,
) -> Status | None:
    """Store a boost; None when the account already boosts the original."""
    row = await conn.fetchrow(
        f"""INSERT INTO statuses (account_id, visibility, reblog_of_id, application_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (account_id, reblog_of_id)
                WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
            RETURNING {STATUS_COLUMNS}""",
        account_id,
        visibility,
        original.id,
        application_id,
    )
    return status_from_row(row) if row else None


async def reblogger_ids(conn: asyncpg.Connection, original_id: int) -> list[int]:
    """Accounts with a live boost of the status (who hear of its edits)."""
    rows = await conn.fetch(
        "SELECT account_id FROM statuses WHERE reblog_of_id = $1 AND deleted_at IS NULL",
        original_id,
    )
    return [row["account_id"] for row in rows]


async def reblogged_by(
    conn: asyncpg.Connection, original_id: int, viewer: Viewer, window: Window
) -> list[Marked]:
    """Accounts whose boost of the status the viewer may see, newest boost first."""
    conditions, order, values = window_sql("s.id", window, 3)
    rows = await conn.fetch(
        f"""SELECT s.id, s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id
            WHERE s.reblog_of_id = $1 AND a.suspended_at IS NULL
              AND {visible_sql("s", "$2", viewer)}{conditions}{order}""",
        original_id,
        viewer.account_id,
        *values,
    )
    return newest_first([Marked(row["id"], row["account_id"]) for row in rows], window)
