"""Moderation by a group hosted elsewhere (FEP-1b12), as Rukun and Lemmy send it: the group
announces it to its members, or (Lemmy, for a ban) a moderator sends it to the banned
member's server too.

- `Announce{Delete{object: post}}` (or Lemmy's older `Remove`): the post leaves the group
  here, the group's boost goes, and a copy of a remote post is tombstoned. A post written here
  only leaves the group: its author's node, not the group, decides whether it exists.
- `Announce{Block{object: member, target: group}}` (Lemmy's ban), or `Remove{object: member,
  target: the group's followers or members}`: the member's follow of the group ends here and
  the group's later boosts of their posts are not shown. `Undo{Block}` lifts the ban.

The group's signature on the Announce vouches for the moderation, whoever its inner actor is
(Lemmy names the moderator, Rukun the group); a group moderates only what is its own: posts
posted to it, its own members. Each step is idempotent."""

from __future__ import annotations

from actors.account_uris import account_by_uri
from actors.accounts import Account
from actors.groups import ban, unban
from content.group_posts import mark_removed
from content.reblogs import find_reblog
from content.remote_statuses import find_status_by_uri
from content.statuses import Status
from federation.as2_objects import Activity, ObjectError, parse_activity, type_of
from federation.origin import same_host
from inbox.context import Ignored, InboxContext
from inbox.handlers.blocks import end_follow
from inbox.handlers.posts import discard_boost, discard_post

MODERATION_TYPES = ("Delete", "Remove", "Block", "Undo")


def _parsed(document: object) -> Activity:
    try:
        return parse_activity(document)
    except ObjectError as error:
        raise Ignored(f"the group's moderation is unreadable: {error}") from None


async def handle_group_moderation(ctx: InboxContext, activity: Activity, group: Account) -> bool:
    """For an Announce by `group`: act on the moderation it carries; False when it carries
    none (an ordinary Announce of a post)."""
    embedded = activity.embedded
    if embedded is None or type_of(embedded) not in MODERATION_TYPES:
        return False
    inner = _parsed(embedded)
    if inner.type == "Undo":
        undone = inner.embedded
        if undone is None or type_of(undone) != "Block":
            raise Ignored("a group undid something other than a ban")
        await lift_ban(ctx, group, _parsed(undone))
    elif inner.type == "Block":
        await ban_member(ctx, group, inner)
    else:
        status = await find_status_by_uri(ctx.conn, ctx.site, inner.object_id or "")
        if status is not None:
            await remove_post(ctx, group, status)
        elif inner.type == "Remove" and _names_members(inner.target, group):
            await ban_member(ctx, group, inner)
        else:
            raise Ignored("a group removed something we do not have")
    return True


def _names_members(target: str | None, group: Account) -> bool:
    """Whether `target` is the group's followers (or members) collection."""
    if target is None or group.uri is None:
        return False
    if target == group.followers_url:
        return True
    return target.startswith(group.uri) and target.rstrip("/").endswith("/members")


async def remove_post(ctx: InboxContext, group: Account, status: Status) -> None:
    in_group = await ctx.conn.fetchval(
        "SELECT 1 FROM status_groups WHERE status_id = $1 AND group_id = $2", status.id, group.id
    )
    boost = await find_reblog(ctx.conn, group.id, status.id)
    if in_group is None and boost is None:
        raise Ignored("a group removed a post that was never in it")
    async with ctx.conn.transaction():
        await mark_removed(ctx.conn, status.id, group.id)
        if boost is not None:
            await discard_boost(ctx, boost)
        if not status.local:
            await discard_post(ctx, status)


async def _member(ctx: InboxContext, ban_activity: Activity, group: Account) -> Account:
    if ban_activity.type == "Block" and ban_activity.target != group.uri:
        raise Ignored("a ban from somewhere other than the group")
    member = await account_by_uri(ctx.conn, ctx.site, ban_activity.object_id or "")
    if member is None:
        raise Ignored("a ban of an account we do not know")
    return member


async def ban_member(ctx: InboxContext, group: Account, ban_activity: Activity) -> None:
    member = await _member(ctx, ban_activity, group)
    async with ctx.conn.transaction():
        await ban(ctx.conn, group.id, member.id)
        await end_follow(ctx, member.id, group.id, local=member.is_local)


async def lift_ban(ctx: InboxContext, group: Account, ban_activity: Activity) -> None:
    member = await _member(ctx, ban_activity, group)
    if not await unban(ctx.conn, group.id, member.id):
        raise Ignored("an Undo of a ban we do not have")


async def _banning_group(ctx: InboxContext, activity: Activity) -> Account:
    """The group a ban sent straight to us (Lemmy) comes from: named by `target`, a group
    we know, and sent by it or from its server (its moderator)."""
    group = await account_by_uri(ctx.conn, ctx.site, activity.target or "")
    if group is None or group.is_local or group.actor_type != "Group" or group.uri is None:
        raise Ignored("a ban from a group we do not know")
    if not same_host(activity.actor, group.uri):
        raise Ignored("a ban sent from outside the group's server")
    await ctx.actor(activity)  # the sender must be usable, as for any activity
    return group


async def handle_group_ban(ctx: InboxContext, activity: Activity) -> None:
    """A Block with a `target`: Lemmy's ban from a community, sent to the member's server."""
    await ban_member(ctx, await _banning_group(ctx, activity), activity)


async def undo_group_ban(ctx: InboxContext, activity: Activity, block: Activity) -> None:
    await lift_ban(ctx, await _banning_group(ctx, block), block)
