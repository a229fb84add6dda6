"""Follows by the id of the Follow activity that made them: how Accept, Reject and Undo from
other nodes name the follow they are about when they do not embed it."""

from __future__ import annotations

import asyncpg


async def follower_of_follow(
    conn: asyncpg.Connection, follow_uri: str, target_id: int
) -> int | None:
    """Who asked (or follows) `target_id` with the Follow `follow_uri`."""
    found: int | None = await conn.fetchval(
        """SELECT account_id FROM follow_requests WHERE uri = $1 AND target_account_id = $2
           UNION ALL
           SELECT account_id FROM follows WHERE uri = $1 AND target_account_id = $2
           LIMIT 1""",
        follow_uri,
        target_id,
    )
    return found


async def target_of_follow(
    conn: asyncpg.Connection, follow_uri: str, follower_id: int
) -> int | None:
    """Whom `follower_id` follows (or asked to) with the Follow `follow_uri`."""
    found: int | None = await conn.fetchval(
        """SELECT target_account_id FROM follows WHERE uri = $1 AND account_id = $2
           UNION ALL
           SELECT target_account_id FROM follow_requests WHERE uri = $1 AND account_id = $2
           LIMIT 1""",
        follow_uri,
        follower_id,
    )
    return found


async def set_follow_uri(
    conn: asyncpg.Connection, follower_id: int, target_id: int, follow_uri: str | None
) -> None:
    """A follower that follows again names the follow by its new Follow's id."""
    if follow_uri is None:
        return
    await conn.execute(
        "UPDATE follows SET uri = $3 WHERE account_id = $1 AND target_account_id = $2",
        follower_id,
        target_id,
        follow_uri,
    )
