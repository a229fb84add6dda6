"""Commands on groups hosted here: create one (a project comes with its description post,
pinned by the group), change or close it, name its admins, answer join requests, and
moderate — remove a post (the group takes back its Announce, as a boost is undone, and
announces the removal, FEP-1b12) or a member (the follow ends with a Reject, as Mastodon
removes a follower, the group announces the ban, and the member may not join again until
invited). `check_*` is for the caller; each `do_*` is one transaction."""

from __future__ import annotations

import asyncpg

from actors.accounts import Account
from actors.groups import (
    Group,
    GroupError,
    ban,
    delete_group_row,
    get_group,
    insert_group,
    invite,
    set_description_status,
    set_staff,
    staff_role,
    update_group_settings,
)
from actors.profiles import adjust_stats
from actors.site import Site
from content.compose import Draft, check_draft, insert_status
from content.feeds import fan_out
from content.group_posts import add_to_group, mark_removed
from content.pins import add_pin
from content.statuses import Status
from outbox.group_moderation import announce_member_removal, announce_post_removal
from outbox.interactions import do_delete_status, do_unreblog
from outbox.relationships import (
    do_authorize_follow_request,
    do_follow,
    do_reject_follow_request,
    do_remove_from_followers,
)


class NotGroupStaff(PermissionError):
    """Only the group's admins (or moderators, for posts) may do this (answered as 403)."""


async def check_group_staff(
    conn: asyncpg.Connection, group: Group, account_id: int, *, admin: bool = True
) -> None:
    role = await staff_role(conn, group.id, account_id)
    if role is None or (admin and role != "admin"):
        raise NotGroupStaff("This action is not allowed")


async def do_create_group(
    conn: asyncpg.Connection,
    site: Site,
    creator: Account,
    name: str,
    *,
    display_name: str = "",
    description: str = "",
    policy: str = "open",
    visibility: str = "public",
    partner_domains: list[str] | None = None,
    is_project: bool = False,
) -> Group:
    """Create the group, its creator its first admin and member. A project's description is
    also posted by the group and pinned (its `featured` collection), so members find it
    first."""
    async with conn.transaction():
        group_id = await insert_group(
            conn,
            name,
            display_name=display_name,
            description=description,
            policy=policy,
            visibility=visibility,
            partner_domains=partner_domains or [],
            is_project=is_project,
            creator_id=creator.id,
        )
        group = await get_group(conn, group_id)
        assert group is not None
        # The creator is its first member, as on Lemmy.
        await do_follow(conn, site, creator, group.account)
        if is_project:
            if not description.strip():
                raise GroupError("a project needs a description")
            post_visibility = "private" if visibility == "members_only" else "public"
            checked = await check_draft(
                conn, site, group_id, Draft(text=description, visibility=post_visibility)
            )
            status = await insert_status(conn, group_id, checked)
            await adjust_stats(conn, group_id, statuses=1, status_at=status.created_at)
            await add_to_group(conn, status.id, group_id, members_only=visibility == "members_only")
            await add_pin(conn, group_id, status)
            await set_description_status(conn, group_id, status.id)
            await fan_out(conn, status, [])
        group = await get_group(conn, group_id)
    assert group is not None
    return group


async def do_update_group(
    conn: asyncpg.Connection,
    group: Group,
    *,
    display_name: str | None = None,
    description: str | None = None,
    policy: str | None = None,
    visibility: str | None = None,
    partner_domains: list[str] | None = None,
) -> Group:
    async with conn.transaction():
        await update_group_settings(
            conn,
            group.id,
            display_name=display_name,
            description=description,
            policy=policy,
            visibility=visibility,
            partner_domains=partner_domains,
        )
        updated = await get_group(conn, group.id)
    assert updated is not None
    return updated


async def do_close_group(conn: asyncpg.Connection, group: Group) -> None:
    """The group stops: its account is suspended (it answers as gone) and its row removed."""
    async with conn.transaction():
        await conn.execute("UPDATE accounts SET suspended_at = now() WHERE id = $1", group.id)
        await delete_group_row(conn, group.id)


async def do_add_staff(
    conn: asyncpg.Connection, group: Group, account: Account, role: str = "admin"
) -> None:
    """Make a local account an admin (or moderator) of the group."""
    if not account.is_local or account.actor_type != "Person":
        raise GroupError("group admins are members of this node")
    await set_staff(conn, group.id, account.id, role)


async def do_invite(conn: asyncpg.Connection, group: Group, account: Account) -> None:
    await invite(conn, group.id, account.id)


async def do_answer_join(
    conn: asyncpg.Connection, site: Site, group: Group, requester: Account, *, accept: bool
) -> None:
    """Authorize or reject a pending join (raises NoFollowRequest when there is none)."""
    if accept:
        await do_authorize_follow_request(conn, site, group.account, requester)
    else:
        await do_reject_follow_request(conn, site, group.account, requester)


async def do_remove_member(
    conn: asyncpg.Connection, site: Site, group: Group, member: Account
) -> None:
    """End the membership (a Reject of the follow reaches the member's node, which ends the
    follow there too) and keep them out: their later posts are not announced."""
    async with conn.transaction():
        await ban(conn, group.id, member.id)
        await do_remove_from_followers(conn, site, group.account, member)
        await conn.execute(
            "DELETE FROM follow_requests WHERE account_id = $1 AND target_account_id = $2",
            member.id,
            group.id,
        )
        await announce_member_removal(conn, site, group, member)


async def do_remove_post(
    conn: asyncpg.Connection, site: Site, group: Group, status: Status
) -> None:
    """Take a post out of the group: it leaves the group's timeline, and the group's boost is
    undone everywhere: the group announces the removal (FEP-1b12) and, for receivers that
    only know boosts, undoes its Announce. A post the group wrote itself is deleted."""
    async with conn.transaction():
        await mark_removed(conn, status.id, group.id)
        if status.account_id == group.id:
            await do_delete_status(conn, site, status)
            return
        await announce_post_removal(conn, site, group, status)
        await do_unreblog(conn, site, group.id, status)
