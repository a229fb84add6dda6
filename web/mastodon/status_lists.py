"""Lists around statuses: the member's favourites and bookmarks, and the accounts that
favourited or boosted a status. As in Mastodon, these page by the favourite's, bookmark's or
boost's own id (not the status's), and the `Link` header carries those ids."""

from __future__ import annotations

from aiohttp import web

from actors.profiles import load_accounts
from content.bookmarks import bookmarked_statuses
from content.favourites import Marked, favourited_by, favourited_statuses
from content.reblogs import reblogged_by
from content.status_lookup import original_of
from db.keyset import Window
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member, viewer_for
from web.mastodon.entities.accounts import render_account
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.status_access import NOT_FOUND, accessible_status, render_statuses


async def _window(request: web.Request, *, default: int, maximum: int) -> Window:
    page = page_from(await Params.read(request), default=default, maximum=maximum)
    return Window(page.max_id, page.since_id, page.min_id, page.limit)


async def _statuses_page(request: web.Request, marks: list[Marked], viewer: int) -> web.Response:
    rendered = await render_statuses(request, [m.target_id for m in marks], viewer)
    return with_link(json_response(rendered), request, [m.mark_id for m in marks])


async def favourites(request: web.Request) -> web.Response:
    member = await require_member(request, "read:favourites")
    window = await _window(request, default=20, maximum=40)
    viewer = await viewer_for(request, member)
    marks = await favourited_statuses(connection(request), viewer, window)
    return await _statuses_page(request, marks, member.account.id)


async def bookmarks(request: web.Request) -> web.Response:
    member = await require_member(request, "read:bookmarks")
    window = await _window(request, default=20, maximum=40)
    viewer = await viewer_for(request, member)
    marks = await bookmarked_statuses(connection(request), viewer, window)
    return await _statuses_page(request, marks, member.account.id)


async def _accounts_page(request: web.Request, marks: list[Marked]) -> web.Response:
    views = await load_accounts(connection(request), [m.target_id for m in marks])
    site = config(request).site
    rendered = [render_account(views[m.target_id], site) for m in marks if m.target_id in views]
    return with_link(json_response(rendered), request, [m.mark_id for m in marks])


async def _favourited_or_boosted(request: web.Request, boosts: bool) -> web.Response:
    member = await require_member(request, "read:accounts")
    viewer = await viewer_for(request, member)
    status = await accessible_status(request, viewer)
    # Favourites and boosts of a boost belong to its original.
    original = await original_of(connection(request), status)
    if original is None:
        raise ApiError(404, NOT_FOUND)
    window = await _window(request, default=40, maximum=80)
    conn = connection(request)
    if boosts:
        marks = await reblogged_by(conn, original.id, viewer, window)
    else:
        marks = await favourited_by(conn, original.id, viewer, window)
    return await _accounts_page(request, marks)


async def favourited_by_accounts(request: web.Request) -> web.Response:
    return await _favourited_or_boosted(request, boosts=False)


async def reblogged_by_accounts(request: web.Request) -> web.Response:
    return await _favourited_or_boosted(request, boosts=True)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/favourites", favourites),
            ("GET", "/api/v1/bookmarks", bookmarks),
            ("GET", "/api/v1/statuses/{id}/favourited_by", favourited_by_accounts),
            ("GET", "/api/v1/statuses/{id}/reblogged_by", reblogged_by_accounts),
        ],
    )
