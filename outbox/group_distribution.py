"""A group hosted here passes its members' posts on (FEP-1b12): a post addressed to the group
(mentioning it, naming it in `to`/`cc`/`audience`, or replying in one of its threads) by a
member who was not removed is recorded as the group's and `Announce`d by the group to all its
members, one delivery per shared inbox.

Interop: the Announce names the post itself, not its Create. Mastodon and its kin show such
an Announce as a boost by the group (what Friendica and Guppe groups send); Lemmy and other
FEP-1b12 readers accept it too, as they fetch what an Announce names. The group's boost is an
ordinary boost row by the group's account, so members here see it in their home feeds the
same way.

A post from another node that came with its author's integrity proof (FEP-8b32) is announced
as that signed `Create`, embedded (`Announce{Create{Note}}`, as Lemmy announces): members on
a third node cannot fetch a members-only post from its author's node (which does not know
they are members), but can check the proof against the author's published key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg

from actors.groups import Group, get_groups, is_member
from actors.profiles import adjust_stats, load_account
from actors.remote import inbox_for, remote_followers_inboxes
from actors.site import Site
from content.feeds import fan_out
from content.group_posts import add_to_group, group_of_thread
from content.reblogs import insert_reblog
from content.statuses import Status, adjust_counter
from outbox.delivery import queue_deliveries
from outbox.served_documents import boost_announce
from outbox.status_activities import federate_boost


def announce_visibility(group: Group, status: Status) -> str:
    """A members-only group announces to its followers only; a public group does not widen a
    post: public stays public, anything narrower is announced as unlisted at most."""
    if group.members_only or status.visibility in ("private", "direct"):
        return "private"
    return "public" if status.visibility == "public" else "unlisted"


async def addressed_groups(
    conn: asyncpg.Connection, status: Status, account_ids: Iterable[int]
) -> list[Group]:
    """The groups hosted here among `account_ids` (mentioned or addressed accounts) and the
    groups of the thread the status replies in."""
    candidates = set(account_ids) | set(await group_of_thread(conn, status))
    candidates.discard(status.account_id)
    groups = await get_groups(conn, sorted(candidates))
    return [group for group in groups.values() if group.account.suspended_at is None]


async def members_only_addressed(
    conn: asyncpg.Connection, author_id: int, account_ids: Iterable[int]
) -> bool:
    """Whether a draft names a members-only group its author belongs to: such a post is
    narrowed to `direct` (addressed to the group alone) before it is stored."""
    for group in (await get_groups(conn, sorted(set(account_ids)))).values():
        if group.members_only and await is_member(conn, group.id, author_id):
            return True
    return False


async def link_remote_groups(
    conn: asyncpg.Connection, status: Status, account_ids: Iterable[int]
) -> None:
    """A local member's post to a group hosted elsewhere (mentioning it, or replying in one
    of its threads) is recorded as the group's here, so its Create carries `audience` and is
    sent to the group, which announces it (FEP-1b12)."""
    thread = await group_of_thread(conn, status)
    wanted = {*account_ids, *thread}
    rows = await conn.fetch(
        """SELECT id FROM accounts
           WHERE id = ANY($1::bigint[]) AND domain IS NOT NULL AND actor_type = 'Group'""",
        list(wanted),
    )
    for row in rows:
        await add_to_group(conn, status.id, row["id"], members_only=thread.get(row["id"], False))


async def distribute_to_groups(
    conn: asyncpg.Connection,
    site: Site,
    status: Status,
    account_ids: Iterable[int],
    *,
    signed_create: Mapping[str, Any] | None = None,
) -> list[int]:
    """Inside the transaction that stores the status: announce it in each group it is
    addressed to whose member its author is (embedding `signed_create`, the author's Create
    with its integrity proof, when there is one). Returns the groups that announced it."""
    if status.reblog_of_id is not None or status.visibility == "local":
        return []
    announced = []
    for group in await addressed_groups(conn, status, account_ids):
        if not await is_member(conn, group.id, status.account_id):
            continue  # not a member, or removed: the group does not pass it on
        if not await add_to_group(conn, status.id, group.id, members_only=group.members_only):
            continue
        await announce_in_group(conn, site, group, status, signed_create=signed_create)
        announced.append(group.id)
    return announced


async def announce_in_group(
    conn: asyncpg.Connection,
    site: Site,
    group: Group,
    status: Status,
    *,
    signed_create: Mapping[str, Any] | None = None,
) -> Status | None:
    """The group boosts the status: home feeds of its members here, an Announce to the
    others' nodes. None when the group already boosts it."""
    boost = await insert_reblog(conn, group.id, status, announce_visibility(group, status), None)
    if boost is None:
        return None
    await adjust_counter(conn, status.id, "reblogs_count", 1)
    await adjust_stats(conn, group.id, statuses=1, status_at=boost.created_at)
    await fan_out(conn, boost, [])
    if signed_create is not None and not status.local:
        await _announce_signed_create(conn, site, group, boost, status, signed_create=signed_create)
    else:
        await federate_boost(conn, site, "Announce", boost)
    return boost


async def _announce_signed_create(
    conn: asyncpg.Connection,
    site: Site,
    group: Group,
    boost: Status,
    status: Status,
    *,
    signed_create: Mapping[str, Any],
) -> None:
    """The group's Announce (same id and audience as any boost of it), its object the
    author's Create exactly as signed, `@context` and `proof` included."""
    announce = await boost_announce(conn, site, boost, group.account.username)
    if announce is None:
        return
    announce["object"] = dict(signed_create)
    inboxes = await remote_followers_inboxes(conn, group.id)
    author = await load_account(conn, status.account_id)
    if author is not None and not author.account.is_local:
        inboxes.append(inbox_for(author.account))
    await queue_deliveries(conn, group.id, announce, inboxes)
