"""Block and Undo(Block) from another node's member. Being blocked ends follows both ways
(Mastodon's BlockService on the receiving side); the block itself is kept so the blocker's
node is not sent what it refuses."""

from __future__ import annotations

from actors.profiles import adjust_stats
from actors.relationships import delete_block, delete_follow, delete_follow_request, insert_block
from content.feeds import drop_author_from_feed
from content.notifications import withdraw
from federation.as2_objects import Activity
from inbox.context import Ignored, InboxContext


async def end_follow(ctx: InboxContext, follower_id: int, target_id: int, local: bool) -> None:
    """End a follow (or request); a local follower's home feed loses the target's posts."""
    if await delete_follow(ctx.conn, follower_id, target_id):
        await adjust_stats(ctx.conn, follower_id, following=-1)
        await adjust_stats(ctx.conn, target_id, followers=-1)
        await withdraw(ctx.conn, follower_id, "follow", recipient_id=target_id)
        if local:
            await drop_author_from_feed(ctx.conn, follower_id, target_id)
    if await delete_follow_request(ctx.conn, follower_id, target_id) is not None:
        await withdraw(ctx.conn, follower_id, "follow_request", recipient_id=target_id)


async def handle_block(ctx: InboxContext, activity: Activity) -> None:
    if activity.target is not None:
        raise Ignored("a ban from a group (Lemmy), not a block of an account")
    target = await ctx.local_account(activity.object_id)
    blocker = await ctx.actor(activity)
    async with ctx.conn.transaction():
        await end_follow(ctx, blocker.id, target.id, local=False)
        await end_follow(ctx, target.id, blocker.id, local=True)
        await insert_block(ctx.conn, blocker.id, target.id)


async def undo_block(ctx: InboxContext, activity: Activity, block: Activity | None) -> None:
    if block is None or block.target is not None:
        raise Ignored("an Undo of a block it does not embed")
    target = await ctx.local_account(block.object_id)
    blocker = await ctx.actor(activity)
    if not await delete_block(ctx.conn, blocker.id, target.id):
        raise Ignored("an Undo of a block we do not have")
