"""A favourite's own id: the local part of the Like activity this node sends for it, so the
Undo that takes it back names the same Like."""

from __future__ import annotations

import asyncpg


async def favourite_id(conn: asyncpg.Connection, account_id: int, status_id: int) -> int | None:
    found: int | None = await conn.fetchval(
        "SELECT id FROM favourites WHERE account_id = $1 AND status_id = $2",
        account_id,
        status_id,
    )
    return found
