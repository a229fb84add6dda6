"""A member posts: check the draft, then in one transaction store the status, fan it out to
local home feeds and notifications, and queue the Create with one delivery per remote inbox
(shared inboxes preferred, so one per node)."""

from __future__ import annotations

import asyncpg

from actors.profiles import adjust_stats
from actors.remote import RemoteLookup
from actors.site import Site
from content.compose import Draft, check_draft, insert_status
from content.feeds import fan_out
from content.statuses import Status
from outbox.status_activities import federate_own_status


async def do_post(
    conn: asyncpg.Connection,
    site: Site,
    author_id: int,
    draft: Draft,
    *,
    remote: RemoteLookup | None = None,
) -> Status:
    """`remote` lets unknown remote mentions be resolved (WebFinger) before the transaction."""
    checked = await check_draft(conn, site, author_id, draft, remote=remote)
    async with conn.transaction():
        status = await insert_status(conn, author_id, checked)
        await adjust_stats(conn, author_id, statuses=1, status_at=status.created_at)
        await fan_out(conn, status, list(checked.mentions))
        await federate_own_status(conn, site, "Create", status)
    return status
