"""Like and Announce (favourites and boosts from other nodes), and their Undo."""

from __future__ import annotations

from collections.abc import Mapping

from actors.local_followers import has_local_followers
from actors.profiles import adjust_stats
from content.access import load_viewer, may_see
from content.favourites import remove_favourite
from content.feeds import fan_out
from content.notifications import notify, withdraw
from content.remote_interactions import add_remote_favourite, favourite_by_uri
from content.remote_statuses import find_reblog_by_uri, find_status_by_uri, insert_remote_reblog
from content.statuses import Status, adjust_counter
from federation.as2_objects import Activity, ObjectError, parse_post, visibility_of
from federation.origin import same_host
from inbox.context import Ignored, InboxContext
from inbox.handlers.posts import discard_boost
from inbox.remote_posts import fetch_post, resolve_post, store_draft


async def handle_like(ctx: InboxContext, activity: Activity) -> None:
    """A favourite (Misskey's reactions arrive as Likes too, and count as one)."""
    if activity.object_id is None:
        raise Ignored("Like names no object")
    status = await find_status_by_uri(ctx.conn, ctx.site, activity.object_id)
    if status is None:
        raise Ignored("a Like of something we do not have")
    liker = await ctx.actor(activity)
    # Internal (`local`) statuses are for members only, whatever a remote actor guesses.
    if status.visibility == "local" or not await may_see(
        ctx.conn, await load_viewer(ctx.conn, liker.id), status.id
    ):
        raise Ignored("a Like of a status the actor may not see")
    async with ctx.conn.transaction():
        if await add_remote_favourite(ctx.conn, liker.id, status.id, activity.id):
            await adjust_counter(ctx.conn, status.id, "favourites_count", 1)
            await notify(ctx.conn, status.account_id, liker.id, "favourite", status.id)


async def _unfavourite(ctx: InboxContext, liker_id: int, status_id: int) -> None:
    async with ctx.conn.transaction():
        if await remove_favourite(ctx.conn, liker_id, status_id):
            await adjust_counter(ctx.conn, status_id, "favourites_count", -1)
            await withdraw(ctx.conn, liker_id, "favourite", status_id)


async def undo_like(ctx: InboxContext, activity: Activity, like: Activity | None) -> None:
    liker = await ctx.actor(activity)
    status_id = None
    if activity.object_id is not None:
        status_id = await favourite_by_uri(ctx.conn, liker.id, activity.object_id)
    if status_id is None and like is not None and like.object_id is not None:
        status = await find_status_by_uri(ctx.conn, ctx.site, like.object_id)
        status_id = status.id if status else None
    if status_id is None:
        raise Ignored("an Undo of a Like we do not have")
    await _unfavourite(ctx, liker.id, status_id)


async def _original(ctx: InboxContext, activity: Activity) -> Status | None:
    """The boosted status: known, carried by the Announce from the booster's own origin (so
    the signature vouches for it), or fetched from where its id says it lives."""
    assert activity.object_id is not None
    known = await find_status_by_uri(ctx.conn, ctx.site, activity.object_id)
    if known is not None:
        return known
    embedded = activity.embedded
    if isinstance(embedded, Mapping):
        try:
            post = parse_post(embedded)
        except ObjectError:
            post = None
        if (
            post is not None
            and post.attributed_to == activity.actor
            and same_host(post.id, activity.actor)
        ):
            author = await ctx.actor(activity)
            draft = await resolve_post(ctx, post, author, depth=0)
            return await store_draft(ctx, draft, delivered=False)
    return await fetch_post(ctx, activity.object_id)


async def handle_announce(ctx: InboxContext, activity: Activity) -> None:
    if activity.object_id is None:
        raise Ignored("Announce names no object")
    booster = await ctx.actor(activity)
    if not (original := await _original(ctx, activity)):
        raise Ignored("the boosted status could not be had")
    if original.visibility not in ("public", "unlisted") or original.reblog_of_id is not None:
        raise Ignored("only public and unlisted statuses can be boosted")
    if not original.local and not await has_local_followers(ctx.conn, booster.id):
        raise Ignored("nobody here follows the booster, and the status is not ours")
    visibility = visibility_of(activity.to, activity.cc, booster.followers_url)
    async with ctx.conn.transaction():
        boost = await insert_remote_reblog(
            ctx.conn,
            booster.id,
            original,
            uri=activity.id or f"{activity.actor}#announces/{original.id}",
            visibility="public" if visibility == "public" else "unlisted",
            published=activity.published,
        )
        if boost is None:
            return
        await adjust_counter(ctx.conn, original.id, "reblogs_count", 1)
        await adjust_stats(ctx.conn, booster.id, statuses=1, status_at=boost.created_at)
        await fan_out(ctx.conn, boost, [])
        await notify(ctx.conn, original.account_id, booster.id, "reblog", original.id)


async def undo_announce(ctx: InboxContext, activity: Activity) -> None:
    booster = await ctx.actor(activity)
    if activity.object_id is None:
        raise Ignored("an Undo naming no Announce")
    boost = await find_reblog_by_uri(ctx.conn, booster.id, activity.object_id)
    if boost is None:
        raise Ignored("an Undo of a boost we do not have")
    await discard_boost(ctx, boost)
