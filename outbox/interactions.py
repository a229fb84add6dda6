"""A member acts on a status: boosts or unboosts it, favourites or unfavourites it, pins or
unpins it, and, as its author, edits or deletes it. Each command is one transaction writing the
row, the counters, the notifications and the feed rows together (Mastodon's ReblogService,
FavouriteService, UnfavouriteService, StatusPin, UpdateStatusService, RemoveStatusService);
boosts and favourites act on a boost's original, as Mastodon's models do.

Callers have already checked that the member may see the status (`content.status_lookup`);
these commands check what seeing is not enough for (`content.interaction_policy`).

What other servers must hear of (Announce, Like, their Undo, Update, Delete) is queued for
delivery in the same transaction (`outbox.status_activities`)."""

from __future__ import annotations

import asyncpg

from actors.profiles import adjust_stats
from actors.remote import RemoteLookup
from actors.site import Site
from content.compose import resolve_remote_mentions
from content.edits import Edit, check_edit, store_edit
from content.favourite_ids import favourite_id
from content.favourites import add_favourite, remove_favourite
from content.feeds import fan_out, remove_from_feeds
from content.interaction_policy import may_favourite, may_reblog, reblog_visibility
from content.notifications import notify, withdraw
from content.pins import add_pin, remove_pin
from content.reblogs import find_reblog, insert_reblog, reblogger_ids
from content.status_lookup import original_of
from content.status_removal import discard_status
from content.statuses import Status, adjust_counter, get_status
from outbox.status_activities import (
    federate_boost,
    federate_like,
    federate_own_status,
    federate_pin,
)


class ActionNotAllowed(PermissionError):
    """The member sees the status but may not do this to it (Mastodon: 403)."""


async def federate(
    conn: asyncpg.Connection,
    site: Site,
    activity: str,
    actor_id: int,
    status: Status,
    *,
    boosters: list[int] | None = None,
) -> None:
    """Queue `activity` (`Announce`, `Undo Announce`, `Add`, `Remove`, `Update`, `Delete`;
    `Like` and `Undo Like` go through `federate_like`, which needs the favourite's id) by
    `actor_id` about `status` for the remote inboxes that should hear of it, in the caller's
    transaction. Internal (`local`) statuses never leave the node."""
    if activity in ("Announce", "Undo Announce"):
        await federate_boost(conn, site, activity, status)
    elif activity in ("Add", "Remove"):
        await federate_pin(conn, site, activity, status)
    elif activity in ("Update", "Delete"):
        await federate_own_status(conn, site, activity, status, boosters or [])
    else:
        raise ValueError(f"unknown status activity {activity!r}")


async def _original(conn: asyncpg.Connection, status: Status) -> Status:
    original = await original_of(conn, status)
    if original is None:
        raise LookupError(status.reblog_of_id)
    return original


async def do_reblog(
    conn: asyncpg.Connection,
    site: Site,
    account_id: int,
    status: Status,
    *,
    visibility: str | None,
    default_visibility: str,
    application_id: int | None = None,
) -> Status:
    """Boost the status (a boost's original); returns the boost, the existing one on a repeat.
    Raises ActionNotAllowed, or ValueError for a visibility a boost cannot have."""
    original = await _original(conn, status)
    if not await may_reblog(conn, account_id, original):
        raise ActionNotAllowed("This action is not allowed")
    existing = await find_reblog(conn, account_id, original.id)
    if existing is not None:
        return existing
    chosen = reblog_visibility(original, visibility, default_visibility)
    async with conn.transaction():
        boost = await insert_reblog(conn, account_id, original, chosen, application_id)
        if boost is None:
            existing = await find_reblog(conn, account_id, original.id)
            if existing is None:
                raise LookupError(original.id)
            return existing
        await adjust_counter(conn, original.id, "reblogs_count", 1)
        await adjust_stats(conn, account_id, statuses=1, status_at=boost.created_at)
        await fan_out(conn, boost, [])
        # The notification points at the original, which is what Mastodon shows with it.
        await notify(conn, original.account_id, account_id, "reblog", original.id)
        await federate(conn, site, "Announce", account_id, boost)
    return boost


async def _discard_boost(conn: asyncpg.Connection, boost: Status) -> bool:
    """Inside a transaction: soft-delete a boost with its counters, feed rows and notification."""
    if not await discard_status(conn, boost.id):
        return False
    assert boost.reblog_of_id is not None
    await remove_from_feeds(conn, boost.id)
    await adjust_counter(conn, boost.reblog_of_id, "reblogs_count", -1)
    await adjust_stats(conn, boost.account_id, statuses=-1)
    await withdraw(conn, boost.account_id, "reblog", boost.reblog_of_id)
    return True


async def do_unreblog(
    conn: asyncpg.Connection, site: Site, account_id: int, status: Status
) -> Status:
    """Undo the member's boost of the status (or of a boost's original); returns the original.
    Not boosting it is no error."""
    original = await _original(conn, status)
    async with conn.transaction():
        boost = await find_reblog(conn, account_id, original.id)
        if boost is not None and await _discard_boost(conn, boost):
            await federate(conn, site, "Undo Announce", account_id, boost)
    return original


async def do_favourite(
    conn: asyncpg.Connection, site: Site, account_id: int, status: Status
) -> Status:
    """Favourite the status (a boost's original); a repeat changes nothing. Returns what was
    favourited. Raises ActionNotAllowed when the member blocks its author."""
    original = await _original(conn, status)
    if not await may_favourite(conn, account_id, original):
        raise ActionNotAllowed("This action is not allowed")
    async with conn.transaction():
        if await add_favourite(conn, account_id, original.id):
            await adjust_counter(conn, original.id, "favourites_count", 1)
            await notify(conn, original.account_id, account_id, "favourite", original.id)
            like = await favourite_id(conn, account_id, original.id)
            assert like is not None
            await federate_like(conn, site, "Like", account_id, original, favourite_id=like)
    return original


async def do_unfavourite(
    conn: asyncpg.Connection, site: Site, account_id: int, status: Status
) -> Status:
    original = await _original(conn, status)
    async with conn.transaction():
        # Read first: the Undo names the Like by the favourite's id.
        like = await favourite_id(conn, account_id, original.id)
        if like is not None and await remove_favourite(conn, account_id, original.id):
            await adjust_counter(conn, original.id, "favourites_count", -1)
            await withdraw(conn, account_id, "favourite", original.id, original.account_id)
            await federate_like(conn, site, "Undo Like", account_id, original, favourite_id=like)
    return original


async def do_pin(conn: asyncpg.Connection, site: Site, account_id: int, status: Status) -> None:
    """Feature one's own status on one's profile; raises content.pins.PinError (a 422)."""
    async with conn.transaction():
        if await add_pin(conn, account_id, status):
            await federate(conn, site, "Add", account_id, status)


async def do_unpin(conn: asyncpg.Connection, site: Site, account_id: int, status: Status) -> None:
    async with conn.transaction():
        if await remove_pin(conn, account_id, status.id):
            await federate(conn, site, "Remove", account_id, status)


async def do_delete_status(
    conn: asyncpg.Connection, site: Site, status: Status, *, delete_media: bool = False
) -> bool:
    """Delete the status (by its author, as callers ensure) and every boost of it; False when it
    was already gone. Unless `delete_media`, its attachments are released for a redraft."""
    async with conn.transaction():
        discarded = await discard_status(conn, status.id, keep_media=not delete_media)
        if not discarded:
            return False
        for gone in discarded:
            await remove_from_feeds(conn, gone.id)
            await adjust_stats(conn, gone.account_id, statuses=-1)
        if status.in_reply_to_id is not None:
            await adjust_counter(conn, status.in_reply_to_id, "replies_count", -1)
        if status.reblog_of_id is not None:
            await adjust_counter(conn, status.reblog_of_id, "reblogs_count", -1)
            await withdraw(conn, status.account_id, "reblog", status.reblog_of_id)
        boosters = [gone.account_id for gone in discarded if gone.id != status.id]
        await federate(conn, site, "Delete", status.account_id, status, boosters=boosters)
    return True


async def do_edit_status(
    conn: asyncpg.Connection,
    site: Site,
    editor_id: int,
    status: Status,
    edit: Edit,
    *,
    remote: RemoteLookup | None = None,
) -> Status:
    """Edit the status (by its author, as callers ensure); returns it as it now stands.
    Accounts newly mentioned hear of it; accounts that boosted it get an `update`
    notification, as in Mastodon. Raises content.compose.ComposeError (a 422), or LookupError
    when the status is gone. With `remote`, remote accounts the new text mentions for the
    first time are resolved first, as for a new post."""
    if remote is not None:
        await resolve_remote_mentions(conn, site, edit.text, remote)
    checked = await check_edit(conn, site, status, edit)
    async with conn.transaction():
        result = await store_edit(conn, status.id, checked, editor_id)
        if result is None:
            unchanged = await get_status(conn, status.id)
            if unchanged is None:
                raise LookupError(status.id)
            return unchanged
        edited, newly_mentioned = result
        for account_id in newly_mentioned:
            await notify(conn, account_id, edited.account_id, "mention", edited.id)
        # One `update` notification per booster, the newest edit's.
        await withdraw(conn, edited.account_id, "update", edited.id)
        for account_id in await reblogger_ids(conn, edited.id):
            await notify(conn, account_id, edited.account_id, "update", edited.id)
        await federate(conn, site, "Update", edited.account_id, edited)
    return edited
