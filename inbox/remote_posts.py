"""Remote posts into statuses: resolve what a post refers to (the status it answers, the
accounts it mentions), then store it with its fan-out in one transaction; and fetch a post
we only know by id (the original of a boost, the parent of a reply).

Network work happens before the transaction (STYLE.md: check, then do). Fetching is
bounded: at most MAX_ANCESTORS parents up a thread, MAX_MENTION_FETCHES unknown mentioned
actors per post, and only from partner domains."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from actors.account_uris import account_by_uri
from actors.accounts import Account
from actors.profiles import adjust_stats
from actors.remote import RemoteActorError, resolve_actor
from content.feeds import fan_out
from content.remote_statuses import (
    RemoteDraft,
    RemoteMedia,
    find_status_by_uri,
    insert_remote_status,
    was_deleted,
)
from content.statuses import Status
from federation.as2_objects import ObjectError, Post, parse_post, visibility_of
from federation.http_client import FetchError
from federation.origin import same_host
from inbox.context import Ignored, InboxContext
from outbox.group_distribution import distribute_to_groups

log = logging.getLogger(__name__)
MAX_ANCESTORS = 3
MAX_MENTIONS = 50
MAX_MENTION_FETCHES = 5
ARTICLE_TYPES = ("Article", "Page")


async def _mentioned(ctx: InboxContext, post: Post) -> tuple[int, ...]:
    """Accounts the post mentions that we know or can resolve (a few unknown ones fetched)."""
    ids: list[int] = []
    fetches = 0
    for href in post.mentions[:MAX_MENTIONS]:
        account = await account_by_uri(ctx.conn, ctx.site, href)
        if account is None and not ctx.site.is_local_url(href) and fetches < MAX_MENTION_FETCHES:
            fetches += 1
            try:
                account = await resolve_actor(
                    ctx.conn, ctx.client, href, federation_mode=ctx.federation_mode
                )
            except RemoteActorError as error:
                log.info("mention %s not resolved: %s", href, error)
        if account is not None and account.suspended_at is None:
            ids.append(account.id)
    return tuple(dict.fromkeys(ids))


async def resolve_post(
    ctx: InboxContext, post: Post, author: Account, *, depth: int
) -> RemoteDraft:
    """Everything needed to store `post` by `author`; fetches a missing parent (bounded)."""
    reply_to: Status | None = None
    if post.in_reply_to:
        reply_to = await find_status_by_uri(ctx.conn, ctx.site, post.in_reply_to)
        if reply_to is None and depth < MAX_ANCESTORS:
            reply_to = await fetch_post(ctx, post.in_reply_to, depth=depth + 1)
    return RemoteDraft(
        uri=post.id,
        url=post.url if post.url and same_host(post.url, post.id) else None,
        account_id=author.id,
        visibility=visibility_of(post.to, post.cc, author.followers_url),
        content=post.content,
        summary=post.summary,
        sensitive=post.sensitive,
        language=post.language,
        # An Article or Page is kept whole, with its name as title and its summary as such
        # (not cut down to a link, as Mastodon does; on a Note `summary` is a content warning).
        kind="article" if post.type in ARTICLE_TYPES else "note",
        title=post.name if post.type in ARTICLE_TYPES else None,
        poll_options=post.poll_options,
        reply_to=reply_to,
        mention_ids=await _mentioned(ctx, post),
        tags=post.hashtags,
        media=tuple(
            RemoteMedia(
                url=item.url,
                type=item.type,
                description=item.description,
                blurhash=item.blurhash,
                width=item.width,
                height=item.height,
                focus=item.focus,
            )
            for item in post.attachments
        ),
        published=post.published,
    )


async def store_draft(
    ctx: InboxContext,
    draft: RemoteDraft,
    *,
    delivered: bool,
    addressed: tuple[int, ...] = (),
    signed_create: Mapping[str, Any] | None = None,
) -> Status | None:
    """Store a resolved post with the author's counters; a delivered one (not one we fetched
    for context) also goes to local followers' home feeds and notifies whom it mentions, and
    is announced by the groups hosted here it is addressed to (mentions and `addressed`:
    local accounts named in `to`, `cc` or `audience`) or replies in — embedding
    `signed_create`, the Create as received with its author's integrity proof. Returns the stored
    status, or the one stored before under the same uri."""
    async with ctx.conn.transaction():
        # The activity itself is stored durably already and processing it again is harmless
        # (the status is unique by uri), so this commit need not wait for its WAL flush: a
        # crash loses at most the last moment's work, and the job (whose end is recorded by
        # a later, flushed commit) runs again. Every post by one author takes that author's
        # counters row; not holding it through a flush lets them follow each other quickly.
        await ctx.conn.execute("SET LOCAL synchronous_commit = off")
        status = await insert_remote_status(ctx.conn, draft)
        if status is None:
            return await find_status_by_uri(ctx.conn, ctx.site, draft.uri)
        if delivered:
            await fan_out(ctx.conn, status, list(draft.mention_ids))
            await distribute_to_groups(
                ctx.conn,
                ctx.site,
                status,
                (*draft.mention_ids, *addressed),
                signed_create=signed_create,
            )
        # Last before the commit: the author's counters row is locked from here on, and
        # every other post by the same author waits for it.
        await adjust_stats(ctx.conn, draft.account_id, statuses=1, status_at=status.created_at)
    return status


async def addressed_locals(ctx: InboxContext, post: Post) -> tuple[int, ...]:
    """Local accounts a post names in `to`, `cc` or `audience` (a group is addressed so by
    Lemmy, Mitra and Friendica, often without a mention)."""
    found = []
    for uri in dict.fromkeys((*post.to, *post.cc, post.audience or "")):
        if uri and ctx.site.is_local_url(uri):
            account = await account_by_uri(ctx.conn, ctx.site, uri)
            if account is not None and account.is_local:
                found.append(account.id)
    return tuple(found)


def check_author(post: Post, author_uri: str) -> None:
    """A post is its author's to send: `attributedTo` must be the sender (Mastodon)."""
    if post.attributed_to is not None and post.attributed_to != author_uri:
        raise Ignored("the post is attributed to someone else than its sender")


async def fetch_post(ctx: InboxContext, uri: str, *, depth: int = 0) -> Status | None:
    """The status `uri` names, fetched and stored when not known yet; None when it cannot
    be had (gone, not a post, not from a partner, not its author's origin)."""
    known = await find_status_by_uri(ctx.conn, ctx.site, uri)
    if known is not None or ctx.site.is_local_url(uri):
        return known
    if await was_deleted(ctx.conn, uri) or not await ctx.allows(uri):
        return None
    try:
        document = await ctx.client.fetch_object(uri)
        post = parse_post(document)
    except (FetchError, ObjectError) as error:
        log.info("could not fetch %s: %s", uri, error)
        return None
    # The copy must come from where its id says it lives (FEP-fe34), as must its author.
    if post.id != uri or post.attributed_to is None or not same_host(post.attributed_to, uri):
        log.info("refused %s: its id or author is not on the host it came from", uri)
        return None
    try:
        author = await ctx.remote_account(post.attributed_to)
    except Ignored as error:
        log.info("could not store %s: %s", uri, error)
        return None
    draft = await resolve_post(ctx, post, author, depth=depth)
    return await store_draft(ctx, draft, delivered=False)
