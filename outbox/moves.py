"""Account moves, the commands (Mastodon's account aliases, MoveService and MoveWorker).

A member lists the accounts they move from (`do_set_aliases`, published as `alsoKnownAs`).
Moving out (`do_move_account`) needs the target to list this account back; it redirects the
account, sends `Move` to every follower's server and to the target's, and moves the local
followers over. When a `Move` arrives from elsewhere, `inbox` checks it and calls
`do_follow_move` for the local followers, blockers and muters of the account that moved.

Each command is one transaction; its Follow, Undo and Move deliveries are rows in it."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import asyncpg

from actors.account_lookup import split_handle
from actors.accounts import INSTANCE_ACTOR, Account, Member, get_local_account
from actors.moves import (
    MoveError,
    actor_uri,
    clear_move,
    cooldown_ends,
    is_following,
    is_muting,
    lists_alias,
    local_blockers,
    local_followers,
    local_muters,
    record_move,
    set_aliases,
)
from actors.node_policy import load_policy
from actors.profiles import load_account
from actors.relationships import NotAllowed, is_blocking
from actors.remote import (
    RemoteActorError,
    RemoteLookup,
    inbox_for,
    remote_followers_inboxes,
    resolve_actor,
    resolve_handle,
)
from actors.site import Site
from content.notifications import notify
from outbox.as2 import activities
from outbox.delivery import queue_deliveries
from outbox.profile_updates import federate_profile
from outbox.relationships import do_block, do_follow, do_mute, do_unfollow

# Mastodon's AccountMigration checks (migrations.errors), in words that stand alone.
NOT_AN_ALIAS = "The target account does not list this account as an alias: add it there first"
MOVE_TO_SELF = "The target account cannot be this account"
ALREADY_MOVED = "This account has already moved to the target account"
ON_COOLDOWN = "You are on cooldown: an account can move only once every {days} days"
TARGET_MOVED = "The target account has itself moved"
NOT_FOUND = "The account could not be found"


async def find_account(
    conn: asyncpg.Connection, site: Site, remote: RemoteLookup, acct: str, *, fresh: bool = False
) -> Account:
    """The account `acct` (`user`, `user@domain`) names: a member here, or a remote actor
    found through WebFinger; `fresh` fetches a remote actor again, so its aliases are the
    ones it lists now. Raises MoveError when there is no such account."""
    username, domain = split_handle(acct, site.domain)
    if not username:
        raise MoveError(NOT_FOUND)
    if domain is None:
        account = await get_local_account(conn, username)
        if account is None or account.username == INSTANCE_ACTOR:
            raise MoveError(NOT_FOUND)
        return account
    mode = remote.federation_mode
    try:
        account = await resolve_handle(conn, remote.client, username, domain, federation_mode=mode)
        if fresh and not account.is_local and account.uri is not None:
            account = await resolve_actor(
                conn, remote.client, account.uri, refresh=True, federation_mode=mode
            )
    except RemoteActorError:
        raise MoveError(NOT_FOUND) from None
    return account


async def _member_account(conn: asyncpg.Connection, member: Member) -> Account:
    account = await get_local_account(conn, member.username)
    if account is None:
        raise MoveError("no such member")
    return account


async def do_set_aliases(
    conn: asyncpg.Connection, site: Site, member: Member, uris: list[str]
) -> Account:
    """Replace the member's aliases (actor ids of the accounts they move from) and tell the
    remote followers' servers (`Update(Person)`). Raises MoveError for too many."""
    if site.actor_url(member.username) in uris:
        raise MoveError("An account cannot be an alias of itself")
    async with conn.transaction():
        await set_aliases(conn, member.account.id, uris)
        await federate_profile(conn, site, member)
    return await _member_account(conn, member)


def check_move(site: Site, origin: Account, target: Account, *, cooldown_days: int) -> None:
    """Mastodon's AccountMigration checks, before anything is written. Raises MoveError."""
    if target.id == origin.id:
        raise MoveError(MOVE_TO_SELF)
    if origin.moved_to_account_id == target.id:
        raise MoveError(ALREADY_MOVED)
    if target.moved_to_account_id is not None or target.suspended_at is not None:
        raise MoveError(TARGET_MOVED)
    if not lists_alias(target, actor_uri(site, origin)):
        raise MoveError(NOT_AN_ALIAS)
    ends = cooldown_ends(origin, cooldown_days)
    if ends is not None and ends > datetime.now(UTC):
        raise MoveError(ON_COOLDOWN.format(days=cooldown_days))


async def do_move_account(
    conn: asyncpg.Connection,
    site: Site,
    member: Member,
    target: Account,
    *,
    cooldown_days: int | None = None,
) -> Account:
    """Redirect the member's account to `target` (fetched fresh by the caller, so its aliases
    are current): `Move` to every follower's server and to the target's, `Update(Person)`
    with `movedTo`, and the local followers moved over. `cooldown_days` defaults to the node
    policy's `move_cooldown_days`. Returns the account as it now is; raises MoveError."""
    if cooldown_days is None:
        cooldown_days = (await load_policy(conn)).move_cooldown_days
    async with conn.transaction():
        # One move at a time per account: the cooldown is checked against the locked row.
        await conn.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", member.account.id)
        origin = await _member_account(conn, member)
        check_move(site, origin, target, cooldown_days=cooldown_days)
        await record_move(conn, origin.id, target.id, local=True)
        target_inboxes = () if target.is_local else (inbox_for(target),)
        await federate_profile(conn, site, member, also_to=target_inboxes)
        origin_uri = actor_uri(site, origin)
        move = activities.move(
            origin_uri,
            site.followers_url(origin.username),
            actor_uri(site, target),
            datetime.now(UTC),
        )
        inboxes = [*await remote_followers_inboxes(conn, origin.id), *target_inboxes]
        await queue_deliveries(conn, origin.id, move, inboxes)
        moved = await _member_account(conn, member)
        await do_follow_move(conn, site, moved, target)
    return moved


async def do_cancel_move(conn: asyncpg.Connection, site: Site, member: Member) -> Account:
    """End the redirect (Mastodon's "cancel redirect"): the profile is no longer a pointer.
    Follows already moved stay where they are, and the cooldown stays."""
    async with conn.transaction():
        if await clear_move(conn, member.account.id):
            await federate_profile(conn, site, member)
    return await _member_account(conn, member)


async def do_follow_move(
    conn: asyncpg.Connection, site: Site, origin: Account, target: Account
) -> int:
    """What a move means here (Mastodon's MoveWorker and UnfollowFollowWorker): each local
    follower of `origin` follows `target` with the same options (a Follow is sent when the
    target is remote) and stops following `origin`, and is notified (`move`); members who
    blocked or muted `origin` block or mute `target`, unless they follow it. Idempotent: a
    second call finds no followers left. Returns how many followers were moved."""
    moved = 0
    async with conn.transaction():
        for follower in await local_followers(conn, origin.id):
            view = await load_account(conn, follower.account_id)
            if view is None or follower.account_id == target.id:
                continue
            options = follower.options
            # Blocked either way: the old follow still ends, as in Mastodon.
            with contextlib.suppress(NotAllowed):
                await do_follow(
                    conn,
                    site,
                    view.account,
                    target,
                    reblogs=options.show_reblogs,
                    notify_posts=options.notify,
                    languages=options.languages,
                )
            await do_unfollow(conn, site, view.account, origin)
            await notify(conn, follower.account_id, origin.id, "move")
            moved += 1
        await _carry_over_blocks_and_mutes(conn, site, origin, target)
    return moved


async def _carry_over_blocks_and_mutes(
    conn: asyncpg.Connection, site: Site, origin: Account, target: Account
) -> None:
    for blocker_id in await local_blockers(conn, origin.id):
        if await is_blocking(conn, blocker_id, target.id) or await is_following(
            conn, blocker_id, target.id
        ):
            continue
        view = await load_account(conn, blocker_id)
        if view is not None and view.account.id != target.id:
            await do_block(conn, site, view.account, target)
    for muter_id, hide_notifications in await local_muters(conn, origin.id):
        if await is_muting(conn, muter_id, target.id) or await is_following(
            conn, muter_id, target.id
        ):
            continue
        view = await load_account(conn, muter_id)
        if view is not None and view.account.id != target.id:
            await do_mute(conn, view.account, target, notifications=hide_notifications)
