"""A member posts: check the draft, then in one transaction store the status, fan it out to
local home feeds and notifications, and queue the Create with one delivery per remote inbox
(shared inboxes preferred, so one per node). A post to a group hosted here is announced by
the group in the same transaction (`outbox.group_distribution`)."""

from __future__ import annotations

from dataclasses import replace

import asyncpg

from actors.profiles import adjust_stats
from actors.remote import RemoteLookup
from actors.site import Site
from content.compose import Draft, check_draft, insert_status
from content.feeds import fan_out
from content.statuses import Status
from outbox.group_distribution import (
    distribute_to_groups,
    link_remote_groups,
    members_only_addressed,
)
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
    if checked.visibility != "direct" and await members_only_addressed(
        conn, author_id, checked.mentions
    ):
        # A post to a members-only group is addressed to the group alone (its members read
        # it through the group's Announce), never to the author's followers.
        checked = replace(checked, visibility="direct")
    async with conn.transaction():
        status = await insert_status(conn, author_id, checked)
        await adjust_stats(conn, author_id, statuses=1, status_at=status.created_at)
        await fan_out(conn, status, list(checked.mentions))
        await distribute_to_groups(conn, site, status, checked.mentions)
        await link_remote_groups(conn, status, checked.mentions)
        await federate_own_status(conn, site, "Create", status)
    return status
