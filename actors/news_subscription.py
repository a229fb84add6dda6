"""The organisation's news account (`NodePolicy.news_account`): new members are subscribed to
it by default — they follow it from their first day, and may unfollow it like anyone else."""

from __future__ import annotations

import asyncpg

from actors.node_policy import load_policy
from actors.profiles import adjust_stats
from actors.relationships import FollowOptions, insert_follow


async def news_account_id(conn: asyncpg.Connection) -> int | None:
    """The news account's id, or None when none is set (or it is gone or suspended)."""
    name = (await load_policy(conn)).news_account
    if not name:
        return None
    found: int | None = await conn.fetchval(
        """SELECT id FROM accounts
           WHERE domain IS NULL AND lower(username) = lower($1) AND suspended_at IS NULL""",
        name,
    )
    return found


async def do_subscribe_to_news(conn: asyncpg.Connection, account_id: int) -> bool:
    """Make a new member follow the news account, with the counters; call it in the
    transaction that creates the member. False when there is nothing to follow (no news
    account, or the member is it) or the follow exists already. The account's earlier posts
    are not merged into the feed: the member's home starts with what is posted next."""
    news_id = await news_account_id(conn)
    if news_id is None or news_id == account_id:
        return False
    if not await insert_follow(conn, account_id, news_id, FollowOptions()):
        return False
    await adjust_stats(conn, account_id, following=1)
    await adjust_stats(conn, news_id, followers=1)
    return True
