"""Relationships: follow, unfollow, remove from followers, block, mute, private notes; the
viewer's relationships and familiar followers; the blocks, mutes and follow-requests lists,
and accepting or rejecting requests. Each command answers the Relationship it leaves.

Scopes are Mastodon's granular ones (`write:follows`, `read:blocks`, …); the legacy `follow`
scope still covers the follows, blocks and mutes ones (`actors.scopes.allows`)."""

from __future__ import annotations

from aiohttp import web

from actors.account_lookup import find_accounts
from actors.profiles import AccountView
from actors.relationships import (
    NotAllowed,
    NoteError,
    do_set_note,
    familiar_followers,
    list_page,
    load_relationship,
    load_relationships,
)
from content.languages import normalise_language
from outbox.relationships import (
    NoFollowRequest,
    do_authorize_follow_request,
    do_block,
    do_follow,
    do_mute,
    do_reject_follow_request,
    do_remove_from_followers,
    do_unblock,
    do_unfollow,
    do_unmute,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.account_pages import (
    NOT_FOUND,
    accounts_page,
    shown_accounts,
    shown_views,
    target_account,
    window_from,
)
from web.mastodon.auth import require_member
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.dates import iso
from web.mastodon.entities.relationships import (
    render_familiar_followers,
    render_relationship,
)
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

NOT_ALLOWED = "This action is not allowed"
MAX_MUTE_SECONDS = 2**31 - 1


async def _answer(request: web.Request, viewer_id: int, target: AccountView) -> web.Response:
    relationship = await load_relationship(connection(request), viewer_id, target.account.id)
    return json_response(render_relationship(relationship))


def _languages(params: Params) -> list[str] | None:
    if "languages" not in params and "languages[]" not in params:
        return None
    try:
        return [normalise_language(code) for code in params.strings("languages")]
    except ValueError:
        raise ApiError(422, "Validation failed: Languages contains an unknown language") from None


async def follow(request: web.Request) -> web.Response:
    member = await require_member(request, "write:follows")
    target = await target_account(request)
    params = await Params.read(request)
    try:
        await do_follow(
            connection(request),
            config(request).site,
            member.account,
            target.account,
            reblogs=params.boolean("reblogs"),
            notify_posts=params.boolean("notify"),
            languages=_languages(params),
        )
    except NotAllowed:
        raise ApiError(403, NOT_ALLOWED) from None
    return await _answer(request, member.account.id, target)


async def unfollow(request: web.Request) -> web.Response:
    member = await require_member(request, "write:follows")
    target = await target_account(request)
    await do_unfollow(connection(request), config(request).site, member.account, target.account)
    return await _answer(request, member.account.id, target)


async def remove_from_followers(request: web.Request) -> web.Response:
    member = await require_member(request, "write:follows")
    target = await target_account(request)
    await do_remove_from_followers(
        connection(request), config(request).site, member.account, target.account
    )
    return await _answer(request, member.account.id, target)


async def block(request: web.Request) -> web.Response:
    member = await require_member(request, "write:blocks")
    target = await target_account(request)
    try:
        await do_block(connection(request), config(request).site, member.account, target.account)
    except NotAllowed:
        raise ApiError(403, NOT_ALLOWED) from None
    return await _answer(request, member.account.id, target)


async def unblock(request: web.Request) -> web.Response:
    member = await require_member(request, "write:blocks")
    target = await target_account(request)
    await do_unblock(connection(request), config(request).site, member.account, target.account)
    return await _answer(request, member.account.id, target)


async def mute(request: web.Request) -> web.Response:
    member = await require_member(request, "write:mutes")
    target = await target_account(request)
    params = await Params.read(request)
    notifications = params.boolean("notifications", True)
    duration = params.integer("duration", 0, minimum=0, maximum=MAX_MUTE_SECONDS) or 0
    try:
        await do_mute(
            connection(request),
            member.account,
            target.account,
            notifications=bool(notifications),
            duration_seconds=duration,
        )
    except NotAllowed:
        raise ApiError(403, NOT_ALLOWED) from None
    return await _answer(request, member.account.id, target)


async def unmute(request: web.Request) -> web.Response:
    member = await require_member(request, "write:mutes")
    target = await target_account(request)
    await do_unmute(connection(request), member.account, target.account)
    return await _answer(request, member.account.id, target)


async def note(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    target = await target_account(request)
    comment = (await Params.read(request)).string("comment", "") or ""
    try:
        await do_set_note(connection(request), member.account.id, target.account.id, comment)
    except NoteError as error:
        raise ApiError(422, str(error)) from None
    return await _answer(request, member.account.id, target)


async def relationships(request: web.Request) -> web.Response:
    member = await require_member(request, "read:follows")
    params = await Params.read(request)
    ids = list(dict.fromkeys(params.ids("id")))
    shown = await shown_accounts(request, ids)
    ids = [i for i in ids if i in shown]
    found = await load_relationships(
        connection(request),
        member.account.id,
        ids,
        with_suspended=bool(params.boolean("with_suspended", False)),
    )
    return json_response([render_relationship(found[i]) for i in ids if i in found])


async def familiar(request: web.Request) -> web.Response:
    member = await require_member(request, "read:follows")
    params = await Params.read(request)
    conn = connection(request)
    found_targets = await shown_views(request, await find_accounts(conn, params.ids("id")))
    targets = [view.account.id for view in found_targets]
    found = await familiar_followers(conn, member.account.id, targets)
    views = {
        view.account.id: view
        for view in await shown_views(
            request, await find_accounts(conn, [i for ids in found.values() for i in ids])
        )
    }
    site = config(request).site
    return json_response(
        [
            render_familiar_followers(
                target, [render_account(views[i], site) for i in found[target] if i in views]
            )
            for target in targets
        ]
    )


# -- the member's lists -----------------------------------------------------------------------


async def _own_list(request: web.Request, scope: str, kind: str) -> web.Response:
    member = await require_member(request, scope)
    window = window_from(await Params.read(request), default=40, maximum=80)
    listed = await list_page(connection(request), kind, member.account.id, window)
    if kind != "mutes":
        return await accounts_page(request, listed)
    expiries = {entry.id: {"mute_expires_at": iso(entry.expires_at)} for entry in listed}
    return await accounts_page(request, listed, expiries)


async def blocks(request: web.Request) -> web.Response:
    return await _own_list(request, "read:blocks", "blocks")


async def mutes(request: web.Request) -> web.Response:
    return await _own_list(request, "read:mutes", "mutes")


async def follow_requests(request: web.Request) -> web.Response:
    return await _own_list(request, "read:follows", "follow_requests")


async def _decide(request: web.Request, accept: bool) -> web.Response:
    """`:id` is the requesting account's id; without a pending request, 404."""
    member = await require_member(request, "write:follows")
    requester = await target_account(request)
    command = do_authorize_follow_request if accept else do_reject_follow_request
    try:
        await command(connection(request), config(request).site, member.account, requester.account)
    except NoFollowRequest:
        raise ApiError(404, NOT_FOUND) from None
    return await _answer(request, member.account.id, requester)


async def authorize(request: web.Request) -> web.Response:
    return await _decide(request, True)


async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


def setup(app: web.Application) -> None:
    """Registered by `web.mastodon.accounts` before its `/api/v1/accounts/{id}` route."""
    add_routes(
        app,
        [
            ("GET", "/api/v1/accounts/relationships", relationships),
            ("GET", "/api/v1/accounts/familiar_followers", familiar),
            ("POST", "/api/v1/accounts/{id}/follow", follow),
            ("POST", "/api/v1/accounts/{id}/unfollow", unfollow),
            ("POST", "/api/v1/accounts/{id}/remove_from_followers", remove_from_followers),
            ("POST", "/api/v1/accounts/{id}/block", block),
            ("POST", "/api/v1/accounts/{id}/unblock", unblock),
            ("POST", "/api/v1/accounts/{id}/mute", mute),
            ("POST", "/api/v1/accounts/{id}/unmute", unmute),
            ("POST", "/api/v1/accounts/{id}/note", note),
            ("GET", "/api/v1/blocks", blocks),
            ("GET", "/api/v1/mutes", mutes),
            ("GET", "/api/v1/follow_requests", follow_requests),
            ("POST", "/api/v1/follow_requests/{id}/authorize", authorize),
            ("POST", "/api/v1/follow_requests/{id}/reject", reject),
        ],
    )
