"""How big this node is, for NodeInfo: members and how many of them are active."""

from __future__ import annotations

import asyncpg

from federation.nodeinfo import NodeUsage

# NodeInfo's definitions: active means signed in within the last 30 and 180 days.
_USER_COUNTS = """
    SELECT count(*) AS total,
           count(*) FILTER (WHERE u.last_sign_in_at > now() - interval '30 days') AS month,
           count(*) FILTER (WHERE u.last_sign_in_at > now() - interval '180 days') AS halfyear
    FROM users u JOIN accounts a ON a.id = u.account_id
    WHERE u.disabled_at IS NULL AND a.suspended_at IS NULL
"""


async def count_local_posts(conn: asyncpg.Connection) -> int:
    """Statuses written on this node, from the counters posting keeps (as Mastodon does), so
    NodeInfo never counts the statuses table."""
    count: int = await conn.fetchval(
        """SELECT coalesce(sum(s.statuses_count), 0) FROM account_stats s
           JOIN accounts a ON a.id = s.account_id WHERE a.domain IS NULL"""
    )
    return count


async def node_usage(conn: asyncpg.Connection) -> NodeUsage:
    """Member counts (disabled and suspended members left out) and local posts."""
    row = await conn.fetchrow(_USER_COUNTS)
    assert row is not None
    return NodeUsage(
        users_total=row["total"],
        users_active_month=row["month"],
        users_active_halfyear=row["halfyear"],
        local_posts=await count_local_posts(conn),
    )
