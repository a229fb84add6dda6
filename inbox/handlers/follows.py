"""Follow, Accept, Reject, and Undo of a Follow: relationships other nodes start, answer and
end. A Follow of an unlocked account is accepted at once (an Accept is queued in the same
transaction); a locked account gets a follow request its member answers later. The Follow's
id is kept with the follow, so later answers and Undos can name it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actors.accounts import INSTANCE_ACTOR, Account
from actors.follow_uris import follower_of_follow, set_follow_uri, target_of_follow
from actors.groups import get_group, join_answer
from actors.profiles import adjust_stats, load_account
from actors.relationships import (
    FollowOptions,
    blocked_either_way,
    delete_follow,
    delete_follow_request,
    get_follow,
    insert_follow,
    insert_follow_request,
)
from content.access import load_viewer
from content.account_statuses import merge_into_home_feed
from content.feeds import drop_author_from_feed
from content.notifications import notify, withdraw
from federation.as2_objects import Activity, id_of
from inbox.context import Ignored, InboxContext
from outbox.follow_answers import do_send_accept, do_send_reject


def _follow_json(activity: Activity, target_url: str) -> dict[str, Any]:
    """The Follow as the answer embeds it: what it was sent as, in the compact form."""
    follow: dict[str, Any] = {"type": "Follow", "actor": activity.actor, "object": target_url}
    if activity.id is not None:
        follow["id"] = activity.id
    return follow


async def _start_following(
    ctx: InboxContext, follower: Account, target: Account, uri: str | None
) -> None:
    if await insert_follow(ctx.conn, follower.id, target.id, FollowOptions(), uri):
        await adjust_stats(ctx.conn, follower.id, following=1)
        await adjust_stats(ctx.conn, target.id, followers=1)
        if follower.is_local:
            await merge_into_home_feed(
                ctx.conn, await load_viewer(ctx.conn, follower.id), target.id
            )
        await notify(ctx.conn, target.id, follower.id, "follow")


async def _stop_following(ctx: InboxContext, follower: Account, target: Account) -> bool:
    if not await delete_follow(ctx.conn, follower.id, target.id):
        return False
    await adjust_stats(ctx.conn, follower.id, following=-1)
    await adjust_stats(ctx.conn, target.id, followers=-1)
    await withdraw(ctx.conn, follower.id, "follow", recipient_id=target.id)
    if follower.is_local:
        await drop_author_from_feed(ctx.conn, follower.id, target.id)
    return True


async def handle_follow(ctx: InboxContext, activity: Activity) -> None:
    target = await ctx.local_account(activity.object_id)
    if target.username == INSTANCE_ACTOR:
        raise Ignored("the instance actor has no followers (this node is no relay)")
    follower = await ctx.actor(activity)
    follow = _follow_json(activity, ctx.site.actor_url(target.username))
    async with ctx.conn.transaction():
        if target.suspended_at is not None or await blocked_either_way(
            ctx.conn, follower.id, target.id
        ):
            await do_send_reject(ctx.conn, ctx.site, target, follow, follower)
            return
        if await get_follow(ctx.conn, follower.id, target.id) is not None:
            # Already following: the follower lost our Accept, or follows again. Answer again
            # with the id it now knows the follow by.
            await set_follow_uri(ctx.conn, follower.id, target.id, activity.id)
            await do_send_accept(ctx.conn, ctx.site, target, follow, follower)
            return
        locked = target.locked
        group = await get_group(ctx.conn, target.id) if target.actor_type == "Group" else None
        if group is not None:
            # Joining a group hosted here: its policy answers (FEP-1b12 joins are Follows).
            answer = await join_answer(ctx.conn, group, follower)
            if answer == "reject":
                await do_send_reject(ctx.conn, ctx.site, target, follow, follower)
                return
            locked = answer == "request"
        if locked:
            if await insert_follow_request(
                ctx.conn, follower.id, target.id, FollowOptions(), activity.id
            ):
                await notify(ctx.conn, target.id, follower.id, "follow_request")
            return
        await _start_following(ctx, follower, target, activity.id)
        await do_send_accept(ctx.conn, ctx.site, target, follow, follower)


async def _local_follower(ctx: InboxContext, activity: Activity) -> tuple[Account, Account]:
    """For an Accept or Reject from the followed actor: (our follower, the remote target).
    The Follow is found embedded (its actor is ours), or by its id: kept with the request,
    or minted by us as `{our actor}#follows/…`."""
    target = await ctx.actor(activity)
    embedded = activity.embedded
    follower_uri: str | None = None
    if isinstance(embedded, Mapping):
        if embedded.get("type") != "Follow":
            raise Ignored("the answer is not about a Follow")
        if id_of(embedded.get("object")) not in (None, activity.actor):
            raise Ignored("the answered Follow was not of the sender")
        follower_uri = id_of(embedded.get("actor"))
    follow_id = activity.object_id
    if follower_uri is None and follow_id is not None:
        follower_id = await follower_of_follow(ctx.conn, follow_id, target.id)
        if follower_id is not None:
            return await _local_by_id(ctx, follower_id), target
        follower_uri = follow_id.split("#", 1)[0]
    return await ctx.local_account(follower_uri), target


async def _local_by_id(ctx: InboxContext, account_id: int | None) -> Account:
    view = await load_account(ctx.conn, account_id) if account_id is not None else None
    if view is None or not view.account.is_local:
        raise Ignored("the object is not an account on this node")
    return view.account


async def handle_accept(ctx: InboxContext, activity: Activity) -> None:
    follower, target = await _local_follower(ctx, activity)
    async with ctx.conn.transaction():
        options = await delete_follow_request(ctx.conn, follower.id, target.id)
        if options is None:
            if await get_follow(ctx.conn, follower.id, target.id) is None:
                raise Ignored("an Accept of no pending request")
            return
        if await insert_follow(ctx.conn, follower.id, target.id, options, activity.object_id):
            await adjust_stats(ctx.conn, follower.id, following=1)
            await adjust_stats(ctx.conn, target.id, followers=1)
            await merge_into_home_feed(
                ctx.conn, await load_viewer(ctx.conn, follower.id), target.id
            )
        await withdraw(ctx.conn, follower.id, "follow_request", recipient_id=target.id)


async def handle_reject(ctx: InboxContext, activity: Activity) -> None:
    """A refused request, or a follower removed (a Reject after the Accept)."""
    follower, target = await _local_follower(ctx, activity)
    async with ctx.conn.transaction():
        dropped = await delete_follow_request(ctx.conn, follower.id, target.id)
        stopped = await _stop_following(ctx, follower, target)
        if dropped is None and not stopped:
            raise Ignored("a Reject of nothing pending or followed")


async def undo_follow(ctx: InboxContext, activity: Activity, follow: Activity | None) -> None:
    """The remote follower stops following (or withdraws its request)."""
    follower = await ctx.actor(activity)
    if follow is not None and follow.object_id is not None:
        target = await ctx.local_account(follow.object_id)
    elif activity.object_id is not None:
        target_id = await target_of_follow(ctx.conn, activity.object_id, follower.id)
        target = await _local_by_id(ctx, target_id)
    else:
        raise Ignored("an Undo naming no Follow")
    async with ctx.conn.transaction():
        stopped = await _stop_following(ctx, follower, target)
        requested = await delete_follow_request(ctx.conn, follower.id, target.id)
        if requested is not None:
            await withdraw(ctx.conn, follower.id, "follow_request", recipient_id=target.id)
        if not stopped and requested is None:
            raise Ignored("an Undo of a follow that does not exist")
