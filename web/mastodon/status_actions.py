"""What a member does to a status they can see: boost, favourite, bookmark, pin, mute its
conversation, and undo each (`POST /api/v1/statuses/:id/<action>`). Every action answers the
status as it now stands for the member; undoing what was never done is no error."""

from __future__ import annotations

from aiohttp import web

from actors.preferences import get_preferences
from content.bookmarks import do_bookmark, do_unbookmark
from content.pins import PinError
from content.status_lookup import original_of
from content.statuses import Status
from content.threads import do_mute_conversation, do_unmute_conversation
from outbox.interactions import (
    ActionNotAllowed,
    do_favourite,
    do_pin,
    do_reblog,
    do_unfavourite,
    do_unpin,
    do_unreblog,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import grant_for, require_member, viewer_for
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import Handler, add_routes
from web.mastodon.status_access import NOT_FOUND, accessible_status, render_one

NOT_ALLOWED = "This action is not allowed"


async def _original(request: web.Request, status: Status) -> Status:
    original = await original_of(connection(request), status)
    if original is None:
        raise ApiError(404, NOT_FOUND)
    return original


async def reblog(request: web.Request) -> web.Response:
    """Answers the boost, with the boosted status in its `reblog`."""
    member = await require_member(request, "write:statuses")
    grant = await grant_for(request)
    params = await Params.read(request)
    status = await accessible_status(request, await viewer_for(request, member))
    conn = connection(request)
    preferences = await get_preferences(conn, member.user_id)
    try:
        boost = await do_reblog(
            conn,
            config(request).site,
            member.account.id,
            status,
            visibility=params.string("visibility") or None,
            default_visibility=preferences.default_visibility,
            application_id=grant.application_id if grant else None,
        )
    except ActionNotAllowed:
        raise ApiError(403, NOT_ALLOWED) from None
    except ValueError:
        raise ApiError(422, "Validation failed: Visibility is not included in the list") from None
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await render_one(request, boost.id, member.account.id))


async def unreblog(request: web.Request) -> web.Response:
    """Answers the status that was boosted."""
    member = await require_member(request, "write:statuses")
    status = await accessible_status(request, await viewer_for(request, member))
    try:
        original = await do_unreblog(
            connection(request), config(request).site, member.account.id, status
        )
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await render_one(request, original.id, member.account.id))


async def favourite(request: web.Request) -> web.Response:
    member = await require_member(request, "write:favourites")
    status = await accessible_status(request, await viewer_for(request, member))
    try:
        await do_favourite(connection(request), config(request).site, member.account.id, status)
    except ActionNotAllowed:
        raise ApiError(403, NOT_ALLOWED) from None
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await render_one(request, status.id, member.account.id))


async def unfavourite(request: web.Request) -> web.Response:
    member = await require_member(request, "write:favourites")
    status = await accessible_status(request, await viewer_for(request, member))
    try:
        await do_unfavourite(connection(request), config(request).site, member.account.id, status)
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await render_one(request, status.id, member.account.id))


async def bookmark(request: web.Request) -> web.Response:
    member = await require_member(request, "write:bookmarks")
    status = await accessible_status(request, await viewer_for(request, member))
    original = await _original(request, status)
    await do_bookmark(connection(request), member.account.id, original.id)
    return json_response(await render_one(request, status.id, member.account.id))


async def unbookmark(request: web.Request) -> web.Response:
    member = await require_member(request, "write:bookmarks")
    status = await accessible_status(request, await viewer_for(request, member))
    original = await _original(request, status)
    await do_unbookmark(connection(request), member.account.id, original.id)
    return json_response(await render_one(request, status.id, member.account.id))


async def pin(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    status = await accessible_status(request, await viewer_for(request, member))
    try:
        await do_pin(connection(request), config(request).site, member.account.id, status)
    except PinError as error:
        raise ApiError(422, str(error)) from None
    return json_response(await render_one(request, status.id, member.account.id))


async def unpin(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    status = await accessible_status(request, await viewer_for(request, member))
    await do_unpin(connection(request), config(request).site, member.account.id, status)
    return json_response(await render_one(request, status.id, member.account.id))


async def _thread_of(request: web.Request, status: Status) -> int:
    original = await _original(request, status)
    return original.thread_id or original.id


async def mute(request: web.Request) -> web.Response:
    member = await require_member(request, "write:mutes")
    status = await accessible_status(request, await viewer_for(request, member))
    thread_id = await _thread_of(request, status)
    await do_mute_conversation(connection(request), member.account.id, thread_id)
    return json_response(await render_one(request, status.id, member.account.id))


async def unmute(request: web.Request) -> web.Response:
    member = await require_member(request, "write:mutes")
    status = await accessible_status(request, await viewer_for(request, member))
    thread_id = await _thread_of(request, status)
    await do_unmute_conversation(connection(request), member.account.id, thread_id)
    return json_response(await render_one(request, status.id, member.account.id))


ACTIONS: dict[str, Handler] = {
    "reblog": reblog,
    "unreblog": unreblog,
    "favourite": favourite,
    "unfavourite": unfavourite,
    "bookmark": bookmark,
    "unbookmark": unbookmark,
    "pin": pin,
    "unpin": unpin,
    "mute": mute,
    "unmute": unmute,
}


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [("POST", f"/api/v1/statuses/{{id}}/{name}", handler) for name, handler in ACTIONS.items()],
    )
