"""The ids behind relationships that other servers know of: the Follow activity a follow (or
pending request) came from, and a block's row id (the local part of the Block this node
sends). Read before a relationship ends, so the Undo names what it takes back."""

from __future__ import annotations

import asyncpg


async def follow_uri(conn: asyncpg.Connection, follower_id: int, target_id: int) -> str | None:
    """The Follow activity id kept with the follow, else with the pending request."""
    found: str | None = await conn.fetchval(
        """SELECT uri FROM (
               SELECT uri, 0 AS rank FROM follows
               WHERE account_id = $1 AND target_account_id = $2
               UNION ALL
               SELECT uri, 1 FROM follow_requests
               WHERE account_id = $1 AND target_account_id = $2) AS found
           WHERE uri IS NOT NULL ORDER BY rank LIMIT 1""",
        follower_id,
        target_id,
    )
    return found


async def block_id(conn: asyncpg.Connection, account_id: int, target_id: int) -> int | None:
    found: int | None = await conn.fetchval(
        "SELECT id FROM blocks WHERE account_id = $1 AND target_account_id = $2",
        account_id,
        target_id,
    )
    return found
