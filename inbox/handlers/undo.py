"""Undo: the inner activity (embedded, as Mastodon sends it, or named by its id alone) says
what is taken back: a Follow, a Like, an Announce or a Block. The inner activity must be the
sender's own."""

from __future__ import annotations

from actors.follow_uris import target_of_follow
from content.remote_interactions import favourite_by_uri
from content.remote_statuses import find_reblog_by_uri
from federation.as2_objects import Activity, ObjectError, parse_activity
from inbox.context import Ignored, InboxContext
from inbox.handlers.blocks import undo_block
from inbox.handlers.follows import undo_follow
from inbox.handlers.group_moderation import undo_group_ban
from inbox.handlers.interactions import undo_announce, undo_like


async def _inner_type(ctx: InboxContext, activity: Activity) -> str:
    """What an Undo naming only an id takes back, found by that id among what the sender
    did here (Mastodon's Undo of a bare Like id)."""
    assert activity.object_id is not None
    sender = await ctx.actor(activity)
    if await favourite_by_uri(ctx.conn, sender.id, activity.object_id) is not None:
        return "Like"
    if await find_reblog_by_uri(ctx.conn, sender.id, activity.object_id) is not None:
        return "Announce"
    if await target_of_follow(ctx.conn, activity.object_id, sender.id) is not None:
        return "Follow"
    raise Ignored("an Undo of something the actor did not do here")


async def handle_undo(ctx: InboxContext, activity: Activity) -> None:
    inner: Activity | None = None
    if activity.embedded is not None:
        try:
            inner = parse_activity(activity.embedded)
        except ObjectError as error:
            raise Ignored(f"the undone activity is unreadable: {error}") from None
        if inner.actor != activity.actor:
            raise Ignored("an Undo of someone else's activity")
        kind = inner.type
    elif activity.object_id is not None:
        kind = await _inner_type(ctx, activity)
    else:
        raise Ignored("Undo names nothing")
    if kind == "Follow":
        await undo_follow(ctx, activity, inner)
    elif kind == "Like":
        await undo_like(ctx, activity, inner)
    elif kind == "Announce":
        await undo_announce(ctx, activity)
    elif kind == "Block" and inner is not None and inner.target is not None:
        await undo_group_ban(ctx, activity, inner)  # Lemmy lifting a ban from a community
    elif kind == "Block":
        await undo_block(ctx, activity, inner)
    else:
        raise Ignored(f"Undo of {kind} is not supported")
