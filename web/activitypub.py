"""ActivityPub documents at the URLs people also open in a browser: the Accept header decides
between the document and a redirect to the page.

Authorized fetch (DESIGN.md "Members-only"): a member's full actor document, and every status
and activity, go only to an allowed node that signed the request (`web.signed_fetch`). Without
a signature an actor answers with its key document (enough to verify its signatures); the
instance actor (`/actor`), which signs the node's own fetches, is public. A status answers
404 to a node that may not read it (`content.peer_access`)."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import Account
from actors.directory import get_account_link, get_instance_actor
from actors.integrity_keys import integrity_public_key
from actors.moves import moved_to_uri
from content.peer_access import status_for_peer
from content.statuses import Status
from outbox.actor_document import actor_document
from outbox.as2.note import NotFederated
from outbox.key_document import key_document
from outbox.served_documents import status_activity
from outbox.status_documents import load_note
from web import activitypub_collections
from web.activity_responses import (
    PRIVATE_CACHE,
    PUBLIC_CACHE,
    activity_response,
    member_account,
    wants_activity,
)
from web.errors import ApiError
from web.keys import config, connection
from web.signed_fetch import VARY, require_peer, signed_peer


async def member_actor(request: web.Request) -> web.Response:
    account = await member_account(request)
    site = config(request).site
    if not wants_activity(request):
        raise web.HTTPFound(site.profile_url(account.username), headers=VARY)
    if await signed_peer(request) is None:
        return activity_response(key_document(account, site), PUBLIC_CACHE)
    conn = connection(request)
    manager = None
    if account.manager_id is not None:
        manager = await get_account_link(conn, account.manager_id)
    key = await integrity_public_key(conn, account.id)
    moved_to = await moved_to_uri(conn, site, account)
    document = actor_document(account, site, manager=manager, integrity_key=key, moved_to=moved_to)
    return activity_response(document, PRIVATE_CACHE)


async def instance_actor(request: web.Request) -> web.Response:
    account = await get_instance_actor(connection(request))
    if account is None:
        raise ApiError(404, "Record not found")
    site = config(request).site
    if not wants_activity(request):
        raise web.HTTPFound(site.profile_url(account.username), headers=VARY)
    return activity_response(actor_document(account, site), PUBLIC_CACHE)


async def _readable_status(request: web.Request) -> tuple[Account, Status]:
    """The member's status named in the path, if the signing node may read it."""
    account = await member_account(request)
    try:
        status_id = int(request.match_info["id"])
    except ValueError:
        raise ApiError(404, "Record not found") from None
    if not wants_activity(request):
        raise web.HTTPFound(
            config(request).site.status_url(account.username, status_id), headers=VARY
        )
    peer = await require_peer(request)
    status = await status_for_peer(
        connection(request), account.id, status_id, peer.domain, peer.actor_uri
    )
    if status is None:
        raise ApiError(404, "Record not found")
    return account, status


async def status_object(request: web.Request) -> web.Response:
    account, status = await _readable_status(request)
    if status.reblog_of_id is not None:
        # A boost has no Note of its own: its id stands for the Announce (Mastodon answers
        # the boost's URL with the activity too).
        return await status_activity_document(request, account, status)
    try:
        note = await load_note(connection(request), config(request).site, status, account.username)
    except NotFederated:
        raise ApiError(404, "Record not found") from None
    return activity_response(note, PRIVATE_CACHE)


async def status_activity_document(
    request: web.Request, account: Account, status: Status
) -> web.Response:
    try:
        activity = await status_activity(
            connection(request), config(request).site, status, account.username
        )
    except NotFederated:
        activity = None
    if activity is None:
        raise ApiError(404, "Record not found")
    return activity_response(activity, PRIVATE_CACHE)


async def status_activity_route(request: web.Request) -> web.Response:
    account, status = await _readable_status(request)
    return await status_activity_document(request, account, status)


def setup(app: web.Application) -> None:
    app.router.add_get("/users/{name}", member_actor)
    app.router.add_get("/actor", instance_actor)
    app.router.add_get("/users/{name}/statuses/{id}", status_object)
    app.router.add_get("/users/{name}/statuses/{id}/activity", status_activity_route)
    activitypub_collections.setup(app)
