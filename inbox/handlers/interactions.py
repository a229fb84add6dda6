"""Like and Announce (favourites and boosts from other nodes), and their Undo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actors.accounts import Account
from actors.groups import is_banned
from actors.local_followers import has_local_followers
from actors.profiles import adjust_stats
from content.access import load_viewer, may_see
from content.favourites import remove_favourite
from content.feeds import fan_out
from content.group_posts import add_to_group
from content.notifications import notify, withdraw
from content.remote_interactions import add_remote_favourite, favourite_by_uri
from content.remote_statuses import (
    find_reblog_by_uri,
    find_status_by_uri,
    insert_remote_reblog,
    was_deleted,
)
from content.statuses import Status, adjust_counter
from federation.as2_objects import (
    Activity,
    ObjectError,
    id_of,
    parse_post,
    type_of,
    visibility_of,
)
from federation.origin import same_host
from inbox.context import Ignored, InboxContext
from inbox.handlers.group_moderation import handle_group_moderation
from inbox.handlers.posts import discard_boost
from inbox.remote_posts import fetch_post, resolve_post, store_draft
from inbox.signed_copies import verified_create


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


def _announced_post(activity: Activity) -> Mapping[str, Any] | None:
    """The post an Announce carries: embedded itself, or (FEP-1b12, as Lemmy's groups send)
    as the object of an embedded Create."""
    embedded = activity.embedded
    if isinstance(embedded, Mapping) and type_of(embedded) == "Create":
        inner = embedded.get("object")
        return inner if isinstance(inner, Mapping) else None
    return embedded if isinstance(embedded, Mapping) else None


def _announced_id(activity: Activity) -> str | None:
    embedded = activity.embedded
    if isinstance(embedded, Mapping) and type_of(embedded) == "Create":
        return id_of(embedded.get("object"))
    return activity.object_id


async def _original(ctx: InboxContext, activity: Activity, booster: Account) -> Status | None:
    """The boosted status: known, carried by the Announce from the booster's own origin (so
    the signature vouches for it), or fetched from where its id says it lives. A group vouches
    for posts on its own host (a Lemmy community and its users share one); a post from
    another host it embeds in its author's Create is taken only on the author's integrity
    proof (`inbox.signed_copies`)."""
    object_id = _announced_id(activity)
    if object_id is None:
        return None
    known = await find_status_by_uri(ctx.conn, ctx.site, object_id)
    if known is not None:
        return known
    embedded = _announced_post(activity)
    if embedded is not None:
        try:
            post = parse_post(embedded)
        except ObjectError:
            post = None
        if post is not None and same_host(post.id, activity.actor):
            author: Account | None = None
            if post.attributed_to == activity.actor:
                author = booster
            elif (
                booster.actor_type == "Group"
                and post.attributed_to is not None
                and same_host(post.attributed_to, activity.actor)
            ):
                author = await ctx.remote_account(post.attributed_to)
            if author is not None:
                draft = await resolve_post(ctx, post, author, depth=0)
                return await store_draft(ctx, draft, delivered=False)
    create = activity.embedded
    if booster.actor_type == "Group" and create is not None and type_of(create) == "Create":
        # A member's post from another node (FEP-1b12), vouched for by its author's proof.
        verified = await verified_create(ctx, create)
        if verified is not None and verified[0].id == object_id:
            if await was_deleted(ctx.conn, object_id):
                return None
            draft = await resolve_post(ctx, verified[0], verified[1], depth=0)
            return await store_draft(ctx, draft, delivered=False)
    return await fetch_post(ctx, object_id)


async def handle_announce(ctx: InboxContext, activity: Activity) -> None:
    if activity.object_id is None:
        raise Ignored("Announce names no object")
    booster = await ctx.actor(activity)
    group = booster.actor_type == "Group"
    if group and await handle_group_moderation(ctx, activity, booster):
        return
    if not (original := await _original(ctx, activity, booster)):
        raise Ignored("the boosted status could not be had")
    if original.reblog_of_id is not None:
        raise Ignored("a boost cannot be boosted")
    visibility = visibility_of(activity.to, activity.cc, booster.followers_url)
    if group:
        # A group passes on its members' posts, public or for members only (FEP-1b12).
        if not await has_local_followers(ctx.conn, booster.id):
            raise Ignored("nobody here is a member of the group")
        if await is_banned(ctx.conn, booster.id, original.account_id):
            raise Ignored("the group removed the post's author")
        members_only = visibility not in ("public", "unlisted")
        visibility = "private" if members_only else visibility
    else:
        if original.visibility not in ("public", "unlisted"):
            raise Ignored("only public and unlisted statuses can be boosted")
        if not original.local and not await has_local_followers(ctx.conn, booster.id):
            raise Ignored("nobody here follows the booster, and the status is not ours")
        visibility = "public" if visibility == "public" else "unlisted"
    async with ctx.conn.transaction():
        if group:
            await add_to_group(ctx.conn, original.id, booster.id, members_only=members_only)
        boost = await insert_remote_reblog(
            ctx.conn,
            booster.id,
            original,
            uri=activity.id or f"{activity.actor}#announces/{original.id}",
            visibility=visibility,
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
