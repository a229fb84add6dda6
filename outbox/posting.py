"""A member posts: check the draft, then in one transaction store the status, fan it out to
local home feeds and notifications, and (with federation) queue one delivery per remote inbox."""

from __future__ import annotations

import asyncpg

from actors.profiles import adjust_stats
from actors.site import Site
from content.compose import Draft, check_draft, insert_status
from content.feeds import fan_out
from content.statuses import Status


async def do_post(conn: asyncpg.Connection, site: Site, author_id: int, draft: Draft) -> Status:
    checked = await check_draft(conn, site, author_id, draft)
    async with conn.transaction():
        status = await insert_status(conn, author_id, checked)
        await adjust_stats(conn, author_id, statuses=1, status_at=status.created_at)
        await fan_out(conn, status, list(checked.mentions))
    return status
