"""Whether anyone here listens to a remote account: the test a remote post must pass to be
stored when it neither mentions nor answers anyone on this node."""

from __future__ import annotations

import asyncpg


async def has_local_followers(conn: asyncpg.Connection, account_id: int) -> bool:
    """True when an enabled member of this node follows the account."""
    found = await conn.fetchval(
        """SELECT 1 FROM follows f JOIN users u ON u.account_id = f.account_id
           WHERE f.target_account_id = $1 AND u.disabled_at IS NULL LIMIT 1""",
        account_id,
    )
    return found is not None
