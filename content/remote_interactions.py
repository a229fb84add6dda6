"""Favourites other nodes' members give, kept with the id of their `Like`, so an `Undo` that
names only that id finds it. Counters and notifications are the caller's, as for local ones."""

from __future__ import annotations

import asyncpg


async def add_remote_favourite(
    conn: asyncpg.Connection, account_id: int, status_id: int, uri: str | None
) -> bool:
    """True when the favourite is new (a repeated Like changes nothing)."""
    created = await conn.fetchval(
        """INSERT INTO favourites (account_id, status_id, uri) VALUES ($1, $2, $3)
           ON CONFLICT (account_id, status_id) DO NOTHING RETURNING id""",
        account_id,
        status_id,
        uri,
    )
    return created is not None


async def favourite_by_uri(conn: asyncpg.Connection, account_id: int, uri: str) -> int | None:
    """The status an account's Like (by its id) favourited, if it still stands."""
    found: int | None = await conn.fetchval(
        "SELECT status_id FROM favourites WHERE uri = $1 AND account_id = $2", uri, account_id
    )
    return found
