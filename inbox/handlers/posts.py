"""Create, Update and Delete of posts (Note, Article, Page, Question).

A Create is kept when it concerns someone here: a local member follows its author, it
mentions a local account, or it answers a status we have. Anything else (a partner's whole
firehose) is not ours to store. Updates are edits with history; Deletes are soft, as local
deletes are. An Update of a recent post we do not have is taken as its Create, as Mastodon does:
the two can arrive out of order, and an edit that newly mentions someone here is how they first
hear of the post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from actors.account_uris import account_by_uri
from actors.local_followers import has_local_followers
from actors.profiles import adjust_stats
from content.feeds import remove_from_feeds
from content.notifications import notify, withdraw
from content.reblogs import reblogger_ids
from content.remote_statuses import (
    RemoteDraft,
    find_status_by_uri,
    update_remote_status,
    was_deleted,
)
from content.status_removal import discard_status
from content.statuses import Status, adjust_counter
from federation.as2_objects import Activity, ObjectError, Post, parse_post
from inbox.context import Ignored, InboxContext
from inbox.remote_posts import (
    MAX_ANCESTORS,
    addressed_locals,
    check_author,
    resolve_post,
    store_draft,
)


def _post(item: object) -> Post:
    try:
        post = parse_post(item)
    except ObjectError as error:
        raise Ignored(str(error)) from None
    if post.is_poll_vote:
        raise Ignored("a poll vote (polls are not kept here)")
    return post


async def _concerns_us(
    ctx: InboxContext, post: Post, draft: RemoteDraft, addressed: tuple[int, ...]
) -> bool:
    if draft.reply_to is not None or addressed:
        return True
    if draft.mention_ids and any(ctx.site.is_local_url(href) for href in post.mentions):
        return True
    if post.audience and not ctx.site.is_local_url(post.audience):
        # A post to a remote group members here belong to (FEP-1b12): the group's Announce
        # of it may follow, or may have come first.
        group = await account_by_uri(ctx.conn, ctx.site, post.audience)
        if group is not None and await has_local_followers(ctx.conn, group.id):
            return True
    return await has_local_followers(ctx.conn, draft.account_id)


# An Update of an unknown post older than this is an edit we were never interested in.
UPDATE_AS_CREATE_WITHIN = timedelta(days=3)


async def handle_create(ctx: InboxContext, activity: Activity) -> None:
    if activity.embedded is None:
        raise Ignored("Create does not embed its object")
    post = _post(activity.embedded)
    check_author(post, activity.actor)
    await _create(ctx, activity, post)


async def _create(ctx: InboxContext, activity: Activity, post: Post) -> None:
    author = await ctx.actor(activity)
    if await was_deleted(ctx.conn, post.id):
        raise Ignored("the post was deleted before it arrived")
    if await find_status_by_uri(ctx.conn, ctx.site, post.id) is not None:
        return  # delivered before under another activity id (or fetched as context)
    draft = await resolve_post(ctx, post, author, depth=0)
    addressed = await addressed_locals(ctx, post)
    if not await _concerns_us(ctx, post, draft, addressed):
        raise Ignored("nobody here follows the author, is mentioned or is answered")
    signed = await _signed_create(ctx, activity) if activity.type == "Create" else None
    await store_draft(ctx, draft, delivered=True, addressed=addressed, signed_create=signed)


async def _signed_create(ctx: InboxContext, activity: Activity) -> dict[str, Any] | None:
    """The Create as it arrived, when it carries an integrity proof (FEP-8b32): a group
    hosted here passes it on as it is, for members on other nodes to check."""
    if activity.id is None:
        return None
    payload = await ctx.conn.fetchval(
        "SELECT payload FROM inbound_activities WHERE activity_id = $1", activity.id
    )
    if isinstance(payload, dict) and isinstance(payload.get("proof"), dict):
        return payload
    return None


async def update_post(ctx: InboxContext, activity: Activity) -> None:
    """An edit: new text, content warning, sensitivity, media, mentions and tags."""
    post = _post(activity.embedded)
    check_author(post, activity.actor)
    author = await ctx.actor(activity)
    status = await find_status_by_uri(ctx.conn, ctx.site, post.id)
    if status is None:
        published = post.published or post.updated
        if published is None or published < datetime.now(UTC) - UPDATE_AS_CREATE_WITHIN:
            raise Ignored("an edit of a post we do not have")
        await _create(ctx, activity, post)
        return
    if status.account_id != author.id:
        raise Ignored("an edit of someone else's post")
    # The reply never changes with an edit: no parent to fetch.
    draft = await resolve_post(ctx, post, author, depth=MAX_ANCESTORS)
    async with ctx.conn.transaction():
        result = await update_remote_status(ctx.conn, status, draft, post.updated)
        if result is None:
            return
        edited, newly_mentioned = result
        for account_id in newly_mentioned:
            await notify(ctx.conn, account_id, author.id, "mention", edited.id)
        # Local members who boosted it hear of the edit, once per status (Mastodon).
        await withdraw(ctx.conn, author.id, "update", edited.id)
        for account_id in await reblogger_ids(ctx.conn, edited.id):
            await notify(ctx.conn, account_id, author.id, "update", edited.id)


async def _discard(ctx: InboxContext, status: Status) -> None:
    async with ctx.conn.transaction():
        discarded = await discard_status(ctx.conn, status.id, keep_media=False)
        for gone in discarded:
            await remove_from_feeds(ctx.conn, gone.id)
            await adjust_stats(ctx.conn, gone.account_id, statuses=-1)
        if not discarded:
            return
        if status.in_reply_to_id is not None:
            await adjust_counter(ctx.conn, status.in_reply_to_id, "replies_count", -1)
        if status.reblog_of_id is not None:
            await adjust_counter(ctx.conn, status.reblog_of_id, "reblogs_count", -1)
            await withdraw(ctx.conn, status.account_id, "reblog", status.reblog_of_id)


async def delete_post(ctx: InboxContext, activity: Activity) -> None:
    """Delete of a post (by its id, or a Tombstone carrying it): soft-deleted with its boosts."""
    if activity.object_id is None:
        raise Ignored("Delete names no object")
    author = await ctx.actor(activity)
    status = await find_status_by_uri(ctx.conn, ctx.site, activity.object_id)
    if status is None:
        raise Ignored("a delete of something we do not have")
    if status.account_id != author.id:
        raise Ignored("a delete of someone else's post")
    await _discard(ctx, status)


async def discard_post(ctx: InboxContext, status: Status) -> None:
    """A remote post goes as its author's Delete takes it (a group removed it, FEP-1b12)."""
    await _discard(ctx, status)


async def discard_boost(ctx: InboxContext, boost: Status) -> None:
    """Used by Undo(Announce): a boost goes the way a deleted post goes."""
    await _discard(ctx, boost)
