"""A remote account deleted by its own server (`Delete` of the actor): every relationship it
had here ends, with the counters they moved, and the account is kept only as a suspended
record (so its id cannot come back as someone else, and reports about it stay readable)."""

from __future__ import annotations

import asyncpg

from actors.profiles import adjust_stats


async def remove_remote_account(conn: asyncpg.Connection, account_id: int) -> bool:
    """Inside the caller's transaction; False when the account is not a remote one or was
    removed before."""
    marked = await conn.fetchval(
        """UPDATE accounts SET suspended_at = now(), updated_at = now()
           WHERE id = $1 AND domain IS NOT NULL AND suspended_at IS NULL RETURNING id""",
        account_id,
    )
    if marked is None:
        return False
    await end_relationships(conn, account_id)
    return True


async def end_relationships(conn: asyncpg.Connection, account_id: int) -> None:
    """Every follow, request, block and mute to or from the account ends (inside the caller's
    transaction), moving the other side's counters; its own follow counters go to zero."""
    followed = await conn.fetch(
        "DELETE FROM follows WHERE account_id = $1 RETURNING target_account_id", account_id
    )
    for row in followed:
        await adjust_stats(conn, row["target_account_id"], followers=-1)
    followers = await conn.fetch(
        "DELETE FROM follows WHERE target_account_id = $1 RETURNING account_id", account_id
    )
    for row in followers:
        await adjust_stats(conn, row["account_id"], following=-1)
    for table in ("follow_requests", "blocks", "mutes"):
        await conn.execute(
            f"DELETE FROM {table} WHERE account_id = $1 OR target_account_id = $1", account_id
        )
    await conn.execute(
        """UPDATE account_stats SET followers_count = 0, following_count = 0
           WHERE account_id = $1""",
        account_id,
    )
