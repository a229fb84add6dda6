"""Account aliases and moves (`/api/v1/rukun/aliases`, `/api/v1/rukun/move`). Mastodon has
these only on its settings pages (Settings → Account → Moving from / to a different
account); Rukun offers them to apps, with the same checks: the current password to move, a
target that lists this account as an alias, a cooldown between moves."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actors.account_uris import account_by_uri
from actors.accounts import get_member_with_password
from actors.moves import MoveError, actor_uri
from actors.passwords import verify_password
from actors.profiles import load_account
from actors.remote import RemoteLookup
from outbox.moves import do_cancel_move, do_move_account, do_set_aliases, find_account
from web.errors import ApiError
from web.keys import config, connection, federation
from web.mastodon.auth import require_member
from web.mastodon.entities.accounts import render_account
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

# Mastodon's answer to a wrong current password on its settings forms.
PASSWORD_INVALID = "Validation failed: Current password is invalid"  # noqa: S105


def _remote(request: web.Request) -> RemoteLookup:
    return RemoteLookup(federation(request), config(request).federation_mode)


async def _alias_items(request: web.Request, uris: tuple[str, ...]) -> list[dict[str, str]]:
    """Each alias as `{acct, uri}`; an alias no longer known here shows its uri as acct."""
    conn = connection(request)
    site = config(request).site
    items = []
    for uri in uris:
        account = await account_by_uri(conn, site, uri)
        if account is None:
            acct = uri
        else:
            acct = account.username if account.is_local else f"{account.username}@{account.domain}"
        items.append({"acct": acct, "uri": uri})
    return items


async def _aliases_response(request: web.Request, uris: tuple[str, ...]) -> web.Response:
    return json_response(await _alias_items(request, uris))


async def _acct(request: web.Request, name: str) -> str:
    acct = ((await Params.read(request)).string(name) or "").strip()
    if not acct:
        raise ApiError(422, f"Validation failed: {name} can't be blank")
    return acct


async def list_aliases(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    return await _aliases_response(request, member.account.also_known_as)


async def add_alias(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    acct = await _acct(request, "acct")
    conn = connection(request)
    site = config(request).site
    try:
        alias = await find_account(conn, site, _remote(request), acct)
        uri = actor_uri(site, alias)
        account = await do_set_aliases(conn, site, member, [*member.account.also_known_as, uri])
    except MoveError as error:
        raise ApiError(422, str(error)) from None
    return await _aliases_response(request, account.also_known_as)


async def remove_alias(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    acct = await _acct(request, "acct")
    conn = connection(request)
    site = config(request).site
    aliases = member.account.also_known_as
    # An alias is named by its handle as listed, or by its actor id.
    listed = {item["acct"]: item["uri"] for item in await _alias_items(request, aliases)}
    handle = acct.removeprefix("@").removesuffix(f"@{site.domain}")
    uri = listed.get(handle, acct if acct in aliases else None)
    if uri is None:
        raise ApiError(404, "Record not found")
    account = await do_set_aliases(conn, site, member, [a for a in aliases if a != uri])
    return await _aliases_response(request, account.also_known_as)


async def _account_response(request: web.Request, account_id: int) -> web.Response:
    view = await load_account(connection(request), account_id)
    if view is None:
        raise ApiError(404, "Record not found")
    return json_response(render_account(view, config(request).site))


async def move(request: web.Request) -> web.Response:
    """Move this account to `target_acct`, confirmed with the current `password`. Answers
    the account as it now is (with `moved`)."""
    member = await require_member(request, "write:accounts")
    params = await Params.read(request)
    target_acct = (params.string("target_acct") or "").strip()
    password = params.string("password") or ""
    if not target_acct:
        raise ApiError(422, "Validation failed: target_acct can't be blank")
    conn = connection(request)
    found = await get_member_with_password(conn, member.username)
    password_hash = found[1] if found else None
    if not await asyncio.to_thread(verify_password, password_hash, password):
        raise ApiError(422, PASSWORD_INVALID)
    site = config(request).site
    try:
        target = await find_account(conn, site, _remote(request), target_acct, fresh=True)
        moved = await do_move_account(conn, site, member, target)
    except MoveError as error:
        raise ApiError(422, str(error)) from None
    return await _account_response(request, moved.id)


async def cancel_move(request: web.Request) -> web.Response:
    """Mastodon's "cancel redirect": the profile stops pointing elsewhere."""
    member = await require_member(request, "write:accounts")
    account = await do_cancel_move(connection(request), config(request).site, member)
    return await _account_response(request, account.id)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/rukun/aliases", list_aliases),
            ("POST", "/api/v1/rukun/aliases", add_alias),
            ("DELETE", "/api/v1/rukun/aliases", remove_alias),
            ("POST", "/api/v1/rukun/move", move),
            ("DELETE", "/api/v1/rukun/move", cancel_move),
        ],
    )
