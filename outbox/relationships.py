"""A member follows, unfollows, accepts or rejects a follower, blocks, unblocks or mutes.

Each command is one transaction that writes the relationship, the counters, the
notifications and the home-feed changes together (Mastodon's FollowService, UnfollowService,
AuthorizeFollowService, RejectFollowService, BlockService, RemoveFromFollowersService,
MuteService). Mutes never federate; they live here because they change feeds.

With a remote account, the activity other servers must hear of (Follow, Undo Follow, Accept,
Reject, Block, Undo Block) is queued for delivery in the same transaction. Ids are read before
a relationship ends, so an Undo names the very Follow or Block it takes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from actors.accounts import Account
from actors.groups import get_group, join_answer
from actors.profiles import adjust_stats, load_accounts
from actors.relationship_ids import block_id, follow_uri
from actors.relationships import (
    FollowOptions,
    NotAllowed,
    blocked_either_way,
    delete_block,
    delete_follow,
    delete_follow_request,
    delete_mute,
    get_follow,
    get_follow_request,
    insert_block,
    insert_follow,
    insert_follow_request,
    pending_requesters,
    update_follow_options,
    upsert_mute,
)
from actors.site import Site
from content.access import load_viewer
from content.account_statuses import merge_into_home_feed
from content.feeds import drop_author_from_feed
from content.notifications import notify, withdraw, withdraw_all
from outbox.relationship_activities import federate_relationship, new_follow_uri


class NoFollowRequest(LookupError):
    """There is no pending request from that account (Mastodon: 404)."""


def _options(
    current: FollowOptions | None,
    reblogs: bool | None,
    notify_posts: bool | None,
    languages: list[str] | None,
) -> FollowOptions:
    """Options given now win; options left out keep their current (or default) value."""
    base = current or FollowOptions()
    return FollowOptions(
        show_reblogs=base.show_reblogs if reblogs is None else reblogs,
        notify=base.notify if notify_posts is None else notify_posts,
        languages=base.languages if languages is None else (languages or None),
    )


async def _start_following(
    conn: asyncpg.Connection,
    follower: Account,
    target_id: int,
    options: FollowOptions,
    uri: str | None = None,
) -> bool:
    """Make the follow with its counters and the follower's merged feed; False when it
    already existed (a concurrent request made it first). `uri`: the Follow activity's id."""
    if not await insert_follow(conn, follower.id, target_id, options, uri):
        return False
    await adjust_stats(conn, follower.id, following=1)
    await adjust_stats(conn, target_id, followers=1)
    if follower.is_local:
        await merge_into_home_feed(conn, await load_viewer(conn, follower.id), target_id)
    return True


async def _stop_following(conn: asyncpg.Connection, follower_id: int, target_id: int) -> bool:
    """Remove a follow with everything it brought: counters, its notification, the
    followed account's statuses in the follower's feed."""
    if not await delete_follow(conn, follower_id, target_id):
        return False
    await adjust_stats(conn, follower_id, following=-1)
    await adjust_stats(conn, target_id, followers=-1)
    await withdraw(conn, follower_id, "follow", recipient_id=target_id)
    await drop_author_from_feed(conn, follower_id, target_id)
    return True


async def _drop_request(
    conn: asyncpg.Connection, follower_id: int, target_id: int
) -> FollowOptions | None:
    options = await delete_follow_request(conn, follower_id, target_id)
    if options is not None:
        await withdraw(conn, follower_id, "follow_request", recipient_id=target_id)
    return options


async def do_follow(
    conn: asyncpg.Connection,
    site: Site,
    follower: Account,
    target: Account,
    *,
    reblogs: bool | None = None,
    notify_posts: bool | None = None,
    languages: list[str] | None = None,
) -> None:
    """Follow, or ask to follow a locked (or remote) account; following again changes the
    options. Raises NotAllowed for oneself, a moved account, or a block either way."""
    if follower.id == target.id or target.moved_to_account_id is not None:
        raise NotAllowed("This action is not allowed")
    async with conn.transaction():
        if await blocked_either_way(conn, follower.id, target.id):
            raise NotAllowed("This action is not allowed")
        current = await get_follow(conn, follower.id, target.id)
        if current is not None:
            options = _options(current, reblogs, notify_posts, languages)
            await update_follow_options(conn, "follows", follower.id, target.id, options)
            return
        requested = await get_follow_request(conn, follower.id, target.id)
        options = _options(requested, reblogs, notify_posts, languages)
        if requested is not None:
            await update_follow_options(conn, "follow_requests", follower.id, target.id, options)
            return
        locked = target.locked
        group = await get_group(conn, target.id) if target.actor_type == "Group" else None
        if group is not None and target.is_local:
            # Joining a group hosted here is following it, answered by its policy.
            answer = await join_answer(conn, group, follower)
            if answer == "reject":
                raise NotAllowed("This action is not allowed")
            locked = answer == "request"
        if locked or not target.is_local:
            # A remote account answers with Accept or Reject, as a locked one does.
            uri = None if target.is_local else new_follow_uri(site, follower)
            if await insert_follow_request(conn, follower.id, target.id, options, uri):
                await notify(conn, target.id, follower.id, "follow_request")
                await federate_relationship(conn, site, "Follow", follower, target, follow_uri=uri)
            return
        if await _start_following(conn, follower, target.id, options):
            await notify(conn, target.id, follower.id, "follow")


async def do_unfollow(
    conn: asyncpg.Connection, site: Site, follower: Account, target: Account
) -> None:
    """Stop following, or withdraw a pending request. Doing it twice is harmless."""
    async with conn.transaction():
        uri = await follow_uri(conn, follower.id, target.id)
        stopped = await _stop_following(conn, follower.id, target.id)
        withdrawn = await _drop_request(conn, follower.id, target.id)
        if stopped or withdrawn is not None:
            await federate_relationship(conn, site, "Undo Follow", follower, target, follow_uri=uri)


async def _authorize(
    conn: asyncpg.Connection, site: Site, target: Account, requester: Account
) -> bool:
    # The request keeps the id of the Follow it came from; the follow keeps it too.
    uri = await follow_uri(conn, requester.id, target.id)
    options = await _drop_request(conn, requester.id, target.id)
    if options is None:
        return False
    await _start_following(conn, requester, target.id, options, uri)
    await federate_relationship(conn, site, "Accept", target, requester, follow_uri=uri)
    return True


async def do_authorize_follow_request(
    conn: asyncpg.Connection, site: Site, target: Account, requester: Account
) -> None:
    """Accept a pending request: it becomes a follow with the options it was made with."""
    async with conn.transaction():
        if not await _authorize(conn, site, target, requester):
            raise NoFollowRequest("Record not found")


async def authorize_all_follow_requests(
    conn: asyncpg.Connection, site: Site, target: Account
) -> None:
    """Accept every pending request, inside the caller's transaction: an account that stops
    being locked does so in Mastodon (UpdateAccountService)."""
    requesters = await load_accounts(conn, await pending_requesters(conn, target.id))
    for view in requesters.values():
        await _authorize(conn, site, target, view.account)


async def do_reject_follow_request(
    conn: asyncpg.Connection, site: Site, target: Account, requester: Account
) -> None:
    async with conn.transaction():
        uri = await follow_uri(conn, requester.id, target.id)
        if await _drop_request(conn, requester.id, target.id) is None:
            raise NoFollowRequest("Record not found")
        await federate_relationship(conn, site, "Reject", target, requester, follow_uri=uri)


async def do_remove_from_followers(
    conn: asyncpg.Connection, site: Site, account: Account, follower: Account
) -> None:
    """Make `follower` stop following `account` (a soft block). Harmless when it does not."""
    async with conn.transaction():
        uri = await follow_uri(conn, follower.id, account.id)
        if await _stop_following(conn, follower.id, account.id):
            await federate_relationship(conn, site, "Reject", account, follower, follow_uri=uri)


async def do_block(conn: asyncpg.Connection, site: Site, blocker: Account, target: Account) -> None:
    """Block: follows and requests both ways end, the target's statuses leave the blocker's
    feed (and the blocker's leave the target's), the target's notifications to the blocker
    go (Mastodon's AfterBlockService)."""
    if blocker.id == target.id:
        raise NotAllowed("This action is not allowed")
    async with conn.transaction():
        for follower, followed in ((blocker, target), (target, blocker)):
            await _stop_following(conn, follower.id, followed.id)
            await _drop_request(conn, follower.id, followed.id)
        if await insert_block(conn, blocker.id, target.id):
            await withdraw_all(conn, target.id, blocker.id)
            await drop_author_from_feed(conn, blocker.id, target.id)
            await drop_author_from_feed(conn, target.id, blocker.id)
            # The Block also ends the follows on the other server, as Mastodon's does.
            await federate_relationship(
                conn,
                site,
                "Block",
                blocker,
                target,
                block_row_id=await block_id(conn, blocker.id, target.id),
            )


async def do_unblock(
    conn: asyncpg.Connection, site: Site, blocker: Account, target: Account
) -> None:
    async with conn.transaction():
        row_id = await block_id(conn, blocker.id, target.id)
        if await delete_block(conn, blocker.id, target.id):
            await federate_relationship(
                conn, site, "Undo Block", blocker, target, block_row_id=row_id
            )


async def do_mute(
    conn: asyncpg.Connection,
    account: Account,
    target: Account,
    *,
    notifications: bool = True,
    duration_seconds: int = 0,
) -> None:
    """Mute (0 seconds: until unmuted); the target's statuses leave the account's feed."""
    if account.id == target.id:
        raise NotAllowed("This action is not allowed")
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=duration_seconds) if duration_seconds > 0 else None
    )
    async with conn.transaction():
        await upsert_mute(
            conn, account.id, target.id, hide_notifications=notifications, expires_at=expires_at
        )
        await drop_author_from_feed(conn, account.id, target.id)


async def do_unmute(conn: asyncpg.Connection, account: Account, target: Account) -> None:
    await delete_mute(conn, account.id, target.id)
