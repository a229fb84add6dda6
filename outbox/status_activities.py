"""Activities about statuses — Create, Update, Delete, Add and Remove (pins) of one's own,
Announce and Like of anyone's, and their Undo — rendered and queued for delivery in the
caller's transaction.

Who hears of what (Mastodon's StatusReachFinder, trimmed): a status reaches the author's
remote followers (unless direct), the remote accounts it mentions, and, unless direct, the
author of the status it replies to; an edit also reaches remote accounts that boosted it.
A boost reaches the booster's remote followers and the original's author; a like only the
status' author; a pin the author's remote followers. `local` statuses, and boosts of them,
never leave the node."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import asyncpg

from actors.accounts import Account
from actors.integrity_keys import integrity_key
from actors.profiles import load_accounts
from actors.remote import inbox_for, remote_followers_inboxes
from actors.site import Site
from content.reblogs import reblogger_ids
from content.status_parts import StatusParts, status_parts, status_ref
from content.statuses import Status, get_statuses
from outbox.as2 import activities
from outbox.as2.note import render_note
from outbox.delivery import queue_deliveries
from outbox.served_documents import boost_announce
from outbox.signed_objects import with_integrity_terms, with_proof
from outbox.status_documents import note_data, status_uri_of


async def _accounts(conn: asyncpg.Connection, ids: Iterable[int]) -> dict[int, Account]:
    return {i: view.account for i, view in (await load_accounts(conn, ids)).items()}


def _remote_inboxes(accounts: Iterable[Account]) -> list[str]:
    return [
        inbox_for(account)
        for account in accounts
        if not account.is_local
        and account.suspended_at is None
        and (account.shared_inbox_url or account.inbox_url)
    ]


async def inboxes_of(conn: asyncpg.Connection, account_ids: Iterable[int]) -> list[str]:
    """The inboxes (shared preferred) of the remote accounts among `account_ids`."""
    return _remote_inboxes((await _accounts(conn, account_ids)).values())


async def _status_inboxes(
    conn: asyncpg.Connection, status: Status, parts: StatusParts, also: Iterable[int] = ()
) -> list[str]:
    direct = status.visibility == "direct"
    inboxes = [] if direct else await remote_followers_inboxes(conn, status.account_id)
    reached = [*(m.id for m in parts.mentions), *also]
    if parts.group is not None:
        reached.append(parts.group.id)  # FEP-1b12: the group passes it on to its members
    if parts.in_reply_to is not None and not direct:
        reached.append(parts.in_reply_to.account_id)
    return inboxes + await inboxes_of(conn, reached)


async def federate_own_status(
    conn: asyncpg.Connection,
    site: Site,
    kind: str,
    status: Status,
    boosters: Iterable[int] = (),
) -> None:
    """Queue `Create`, `Update` or `Delete` of the author's own status (a boost's Delete is
    an Undo Announce). Remote statuses and `local` ones are left alone. `boosters`: accounts
    whose boosts a Delete has just removed — their nodes hear of it too, as in Mastodon."""
    if not status.local or status.visibility == "local":
        return
    if status.reblog_of_id is not None:
        if kind == "Delete":
            await federate_boost(conn, site, "Undo Announce", status)
        return
    author = (await _accounts(conn, [status.account_id]))[status.account_id]
    parts = await status_parts(conn, status.id)
    also: list[int] = []
    if kind == "Delete":
        activity = activities.delete(
            site.actor_url(author.username), site.status_uri(author.username, status.id)
        )
        also = list(boosters)
    else:
        note = render_note(note_data(site, status, author.username, parts))
        if kind == "Create":
            # With the author's integrity proof (FEP-8b32), as Mitra sends it.
            activity = activities.create(note)
            activity["@context"] = with_integrity_terms(activity["@context"])
            key = await integrity_key(conn, status.account_id)
            activity = with_proof(activity, site, author.username, key)
        elif kind == "Update":
            activity = activities.update_note(note, status.edited_at or status.created_at)
            also = await reblogger_ids(conn, status.id)
        else:
            raise ValueError(kind)
    await queue_deliveries(
        conn, status.account_id, activity, await _status_inboxes(conn, status, parts, also)
    )


async def federate_boost(conn: asyncpg.Connection, site: Site, kind: str, boost: Status) -> None:
    """Queue `Announce` (or `Undo Announce`) of a local account's boost."""
    if boost.reblog_of_id is None or boost.visibility == "local":
        return
    original = (await get_statuses(conn, [boost.reblog_of_id])).get(boost.reblog_of_id)
    if original is None or original.visibility == "local":
        return
    accounts = await _accounts(conn, {boost.account_id, original.account_id})
    booster, author = accounts[boost.account_id], accounts[original.account_id]
    if not booster.is_local:
        return
    # The same document `/statuses/{id}/activity` serves.
    announce = await boost_announce(conn, site, boost, booster.username)
    if announce is None:
        return
    activity = announce if kind == "Announce" else activities.undo(announce)
    inboxes = await remote_followers_inboxes(conn, booster.id)
    await queue_deliveries(conn, booster.id, activity, inboxes + _remote_inboxes([author]))


async def federate_like(
    conn: asyncpg.Connection,
    site: Site,
    kind: str,
    account_id: int,
    original: Status,
    *,
    favourite_id: int,
) -> None:
    """Queue `Like` (or `Undo Like`) of a remote account's status to its author."""
    if original.visibility == "local":
        return
    accounts = await _accounts(conn, {account_id, original.account_id})
    liker, author = accounts[account_id], accounts[original.account_id]
    if author.is_local or not liker.is_local:
        return
    ref = await status_ref(conn, original.id)
    if ref is None:
        return
    like = activities.like(site.actor_url(liker.username), favourite_id, status_uri_of(site, ref))
    activity = like if kind == "Like" else activities.undo(like)
    await queue_deliveries(conn, liker.id, activity, _remote_inboxes([author]))


async def federate_pin(conn: asyncpg.Connection, site: Site, kind: str, status: Status) -> None:
    """Queue `Add` (pinned) or `Remove` (unpinned) of the author's own status to the
    followers' nodes, as Mastodon does; direct and `local` statuses are never pinned out."""
    if not status.local or status.visibility in ("local", "direct"):
        return
    author = (await _accounts(conn, [status.account_id]))[status.account_id]
    actor = site.actor_url(author.username)
    activity = activities.featured_change(
        kind,
        actor,
        f"{actor}/featured",  # the actor document's `featured`
        site.status_uri(author.username, status.id),
        uuid.uuid4().hex,
    )
    inboxes = await remote_followers_inboxes(conn, author.id)
    await queue_deliveries(conn, author.id, activity, inboxes)
