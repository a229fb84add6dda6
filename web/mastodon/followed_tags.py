"""Followed hashtags: `GET /api/v1/tags/:name` (with `following`), `POST …/follow`,
`POST …/unfollow` and `GET /api/v1/followed_tags`, as Mastodon 4.x answers them."""

from __future__ import annotations

from aiohttp import web

from content.search import get_tag, is_tag_name
from content.tag_follows import do_follow_tag, do_unfollow_tag, followed_tags, is_following_tag
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.account_pages import window_from
from web.mastodon.auth import require_member
from web.mastodon.entities.tags import render_tag, render_unseen_tag
from web.mastodon.paging import with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

NOT_FOUND = "Record not found"


def hashtag_name(request: web.Request) -> str:
    """The `:name` of the path, which must be a hashtag's (404 otherwise, as Mastodon answers)."""
    name = request.match_info["name"].strip().lstrip("#")
    if not is_tag_name(name):
        raise ApiError(404, NOT_FOUND)
    return name


async def show_tag(request: web.Request) -> web.Response:
    member = await require_member(request)
    conn = connection(request)
    name = hashtag_name(request)
    tag = await get_tag(conn, name)
    if tag is None:
        return json_response(render_unseen_tag(name, config(request).site))
    following = await is_following_tag(conn, member.account.id, tag.id)
    return json_response(render_tag(tag, config(request).site, following=following))


async def follow_tag(request: web.Request) -> web.Response:
    member = await require_member(request, "write:follows")
    tag = await do_follow_tag(connection(request), member.account.id, request.match_info["name"])
    if tag is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(render_tag(tag, config(request).site, following=True))


async def unfollow_tag(request: web.Request) -> web.Response:
    member = await require_member(request, "write:follows")
    conn = connection(request)
    name = hashtag_name(request)
    tag = await get_tag(conn, name)
    if tag is None:  # never seen, so never followed
        return json_response(render_unseen_tag(name, config(request).site))
    await do_unfollow_tag(conn, member.account.id, tag)
    return json_response(render_tag(tag, config(request).site, following=False))


async def list_followed_tags(request: web.Request) -> web.Response:
    member = await require_member(request, "read:follows")
    # Mastodon: 100 by default, at most 200.
    window = window_from(await Params.read(request), default=100, maximum=200)
    page = await followed_tags(connection(request), member.account.id, window)
    site = config(request).site
    body = [render_tag(entry.tag, site, following=True) for entry in page]
    return with_link(json_response(body), request, [entry.id for entry in page])


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/tags/{name}", show_tag),
            ("POST", "/api/v1/tags/{name}/follow", follow_tag),
            ("POST", "/api/v1/tags/{name}/unfollow", unfollow_tag),
            ("GET", "/api/v1/followed_tags", list_followed_tags),
        ],
    )
