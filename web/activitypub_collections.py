"""A member's ActivityPub collections — outbox, followers, following, featured — served to
allowed nodes that sign their request (authorized fetch, as `web.activitypub`): the
collection with its size, then pages of 20 by id (`?page=true&max_id=…`), newest first.
Follower and following pages leave out the node's customers (`content.access.peer_hidden_roles`);
outbox and featured hold only what `content.peer_access` lets the node read (never `local`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.accounts import INSTANCE_ACTOR, Account
from actors.follow_collections import follow_collection_page, follow_collection_size
from actors.groups import staff_of
from actors.node_policy import load_policy
from actors.profiles import load_accounts
from content.access import peer_hidden_roles
from content.peer_access import count_outbox, featured_for_peer, outbox_page
from db.keyset import Window
from outbox.as2.context import without_context
from outbox.collection_pages import (
    ordered_collection,
    ordered_collection_page,
    ordered_items,
    page_url,
)
from outbox.served_documents import status_activity
from outbox.status_documents import load_note
from web.activity_responses import PRIVATE_CACHE, PUBLIC_CACHE, activity_response, member_account
from web.errors import ApiError
from web.keys import config, connection
from web.signed_fetch import Peer, require_peer

PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # ids are bigints


def _bound(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) > MAX_ID:
        raise ApiError(400, f"{name} must be an id")
    return int(value)


def _window(request: web.Request) -> Window | None:
    """The page asked for, or None for the collection itself."""
    max_id, min_id = _bound(request, "max_id"), _bound(request, "min_id")
    if "page" not in request.query and max_id is None and min_id is None:
        return None
    return Window(max_id=max_id, min_id=min_id, limit=PAGE_SIZE)


def _page(collection: str, window: Window, ids: list[int], items: list[Any]) -> dict[str, Any]:
    """A page of `items`, rendered from the rows `ids` (newest first) the query returned:
    the links come from the rows, so a row that renders to nothing does not end the paging."""
    paged = window.max_id is not None or window.min_id is not None
    return ordered_collection_page(
        collection,
        page_url(collection, max_id=window.max_id, min_id=window.min_id),
        items,
        next_max_id=ids[-1] if len(ids) == window.limit else None,
        prev_min_id=ids[0] if ids and paged else None,
    )


async def _signed_member(request: web.Request) -> tuple[Account, Peer]:
    account = await member_account(request)
    return account, await require_peer(request)


async def outbox(request: web.Request) -> web.Response:
    account, peer = await _signed_member(request)
    site = config(request).site
    conn = connection(request)
    collection = site.outbox_url(account.username)
    window = _window(request)
    if window is None:
        total = await count_outbox(conn, account.id)
        return activity_response(ordered_collection(collection, total), PRIVATE_CACHE)
    statuses = await outbox_page(conn, account.id, peer.domain, peer.actor_uri, window)
    items = []
    for status in statuses:
        activity = await status_activity(conn, site, status, account.username)
        if activity is not None:
            items.append(without_context(activity))
    page = _page(collection, window, [status.id for status in statuses], items)
    return activity_response(page, PRIVATE_CACHE)


async def _follows(request: web.Request, kind: str) -> web.Response:
    account, _peer = await _signed_member(request)
    site = config(request).site
    conn = connection(request)
    collection = f"{site.actor_url(account.username)}/{kind}"
    window = _window(request)
    if window is None:
        total = await follow_collection_size(conn, kind, account.id)
        return activity_response(ordered_collection(collection, total), PRIVATE_CACHE)
    hidden = peer_hidden_roles(await load_policy(conn))
    rows = await follow_collection_page(conn, site, kind, account.id, window, hidden_roles=hidden)
    page = _page(collection, window, [row_id for row_id, _ in rows], [u for _, u in rows if u])
    return activity_response(page, PRIVATE_CACHE)


async def followers(request: web.Request) -> web.Response:
    return await _follows(request, "followers")


async def following(request: web.Request) -> web.Response:
    return await _follows(request, "following")


async def featured(request: web.Request) -> web.Response:
    account, peer = await _signed_member(request)
    site = config(request).site
    conn = connection(request)
    notes = [
        without_context(await load_note(conn, site, status, account.username))
        for status in await featured_for_peer(conn, account.id, peer.domain, peer.actor_uri)
    ]
    collection = f"{site.actor_url(account.username)}/featured"
    return activity_response(ordered_items(collection, notes), PRIVATE_CACHE)


async def moderators(request: web.Request) -> web.Response:
    """A group's admins and moderators (the actor document's `attributedTo`)."""
    account, _peer = await _signed_member(request)
    site = config(request).site
    conn = connection(request)
    if account.actor_type != "Group":
        raise ApiError(404, "Record not found")
    staff = await load_accounts(
        conn, [account_id for account_id, _ in await staff_of(conn, account.id)]
    )
    items = [site.actor_url(view.account.username) for view in staff.values()]
    collection = f"{site.actor_url(account.username)}/moderators"
    return activity_response(ordered_items(collection, sorted(items)), PRIVATE_CACHE)


async def instance_outbox(request: web.Request) -> web.Response:
    """The instance actor posts nothing; its outbox is public and always empty, so a node
    that follows the link from `/actor` finds a collection rather than a 404."""
    collection = config(request).site.outbox_url(INSTANCE_ACTOR)
    return activity_response(ordered_items(collection, []), PUBLIC_CACHE)


def setup(app: web.Application) -> None:
    app.router.add_get("/users/{name}/outbox", outbox)
    app.router.add_get("/actor/outbox", instance_outbox)
    app.router.add_get("/users/{name}/followers", followers)
    app.router.add_get("/users/{name}/following", following)
    app.router.add_get("/users/{name}/featured", featured)
    app.router.add_get("/users/{name}/moderators", moderators)
