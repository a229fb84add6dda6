"""Timelines: home, public (local, remote), hashtag; and Mastodon's answers for the list, link
and direct timelines that Rukun does not have. A members-only node answers none of them
without a token."""

from __future__ import annotations

from aiohttp import web

from content.status_views import StatusView
from content.timelines import (
    LiveFilter,
    TagQuery,
    home_timeline,
    public_timeline,
    tag_timeline,
)
from db.keyset import Window
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member, require_viewer
from web.mastodon.entities.statuses import render_status
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

NOT_FOUND = "Record not found"


def window_from(params: Params, *, default: int = 20, maximum: int = 40) -> Window:
    page = page_from(params, default=default, maximum=maximum)
    return Window(page.max_id, page.since_id, page.min_id, page.limit)


def live_filter(params: Params) -> LiveFilter:
    return LiveFilter(
        local=bool(params.boolean("local", False)),
        remote=bool(params.boolean("remote", False)),
        only_media=bool(params.boolean("only_media", False)),
    )


def statuses_page(request: web.Request, views: list[StatusView], viewer_id: int) -> web.Response:
    site = config(request).site
    response = json_response([render_status(view, site, viewer_id) for view in views])
    return with_link(response, request, [view.status.id for view in views])


async def home(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:statuses")
    window = window_from(await Params.read(request))
    views = await home_timeline(connection(request), viewer, window)
    return statuses_page(request, views, viewer.account_id)


async def public(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:statuses")
    params = await Params.read(request)
    views = await public_timeline(
        connection(request), viewer, window_from(params), live_filter(params)
    )
    return statuses_page(request, views, viewer.account_id)


async def tag(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:statuses")
    params = await Params.read(request)
    query = TagQuery(
        tag=request.match_info["hashtag"],
        any=tuple(params.strings("any")),
        all=tuple(params.strings("all")),
        none=tuple(params.strings("none")),
    )
    views = await tag_timeline(
        connection(request), viewer, window_from(params), query, live_filter(params)
    )
    return statuses_page(request, views, viewer.account_id)


async def list_timeline(request: web.Request) -> web.Response:
    # Lists come later: no list exists, so none is found, as Mastodon answers for another's.
    await require_member(request, "read:lists")
    raise ApiError(404, NOT_FOUND)


async def link(request: web.Request) -> web.Response:
    # Only currently trending links have a timeline; nothing trends on this node.
    await require_member(request, "read:statuses")
    raise ApiError(404, NOT_FOUND)


async def direct(request: web.Request) -> web.Response:
    # Removed in Mastodon 3.0 in favour of conversations; Mastodon has no such route any more.
    await require_member(request, "read:statuses")
    raise ApiError(404, NOT_FOUND)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/timelines/home", home),
            ("GET", "/api/v1/timelines/public", public),
            ("GET", "/api/v1/timelines/tag/{hashtag}", tag),
            ("GET", "/api/v1/timelines/list/{id}", list_timeline),
            ("GET", "/api/v1/timelines/link", link),
            ("GET", "/api/v1/timelines/direct", direct),
        ],
    )
