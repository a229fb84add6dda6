"""What the account and relationship handlers share: the account a path names (404 when
unknown, suspended, hidden, or not for this viewer's eyes: `content.access`) and pages of
accounts from a relationship list. Handlers call these after `require_member`, so the viewer
comes from the request's grant."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.account_lookup import find_account, find_accounts
from actors.profiles import AccountView
from actors.relationships import Listed
from content.access import visible_accounts
from db.keyset import Window
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_viewer
from web.mastodon.entities.accounts import render_account
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response

NOT_FOUND = "Record not found"


def account_id_from(request: web.Request, name: str = "id") -> int:
    text = request.match_info[name]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(text)


async def target_account(request: web.Request, name: str = "id") -> AccountView:
    view = await find_account(connection(request), account_id_from(request, name))
    if view is None or not await shown_accounts(request, [view.account.id]):
        raise ApiError(404, NOT_FOUND)
    return view


async def shown_accounts(request: web.Request, account_ids: list[int]) -> set[int]:
    """Which of the accounts the request's viewer may see."""
    viewer = await require_viewer(request)
    return await visible_accounts(connection(request), viewer, account_ids)


async def shown_views(request: web.Request, views: list[AccountView]) -> list[AccountView]:
    shown = await shown_accounts(request, [view.account.id for view in views])
    return [view for view in views if view.account.id in shown]


def window_from(params: Params, *, default: int, maximum: int) -> Window:
    page = page_from(params, default=default, maximum=maximum)
    return Window(page.max_id, page.since_id, page.min_id, page.limit)


async def accounts_page(
    request: web.Request, listed: list[Listed], extra: dict[int, dict[str, Any]] | None = None
) -> web.Response:
    """A page of accounts from a relationship list, with Mastodon's Link header over the
    relationship ids (followers are paged by follow, blocks by block, …). `extra` adds
    attributes per relationship id (a mute's `mute_expires_at`)."""
    site = config(request).site
    found = await find_accounts(connection(request), [entry.account_id for entry in listed])
    views = {view.account.id: view for view in await shown_views(request, found)}
    body = [
        {**render_account(views[entry.account_id], site), **(extra or {}).get(entry.id, {})}
        for entry in listed
        if entry.account_id in views
    ]
    return with_link(json_response(body), request, [entry.id for entry in listed])
