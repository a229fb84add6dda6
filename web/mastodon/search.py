"""`GET /api/v2/search` (`GET /api/v1/tags/:name` is in `followed_tags`).

Mastodon answers search without a token since 4.0; on this members-only node it needs a member's
token with `read:search`, like everything else that shows content."""

from __future__ import annotations

from aiohttp import web

from actors.remote import RemoteLookup
from content.search import SearchQuery, search
from web.errors import ApiError
from web.keys import config, connection, federation
from web.mastodon.auth import require_viewer
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.statuses import render_status
from web.mastodon.entities.tags import render_tag
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


def _query(params: Params) -> SearchQuery:
    text = params.string("q") or ""
    if not text.strip():
        # Rails' `params.require(:q)`, as Mastodon answers it.
        raise ApiError(400, "param is missing or the value is empty: q")
    limit = params.integer("limit", default=DEFAULT_LIMIT)
    offset = params.integer("offset", default=0)
    assert limit is not None and offset is not None
    if limit < 0 or offset < 0:
        raise ApiError(400, "Pagination values for `offset` and `limit` must be positive")
    return SearchQuery(
        text=text,
        kind=params.string("type") or None,  # an unknown type finds nothing, as in Mastodon
        resolve=bool(params.boolean("resolve", default=False)),
        following=bool(params.boolean("following", default=False)),
        account_id=params.id("account_id"),
        max_id=params.id("max_id"),
        min_id=params.id("min_id"),
        limit=min(limit, MAX_LIMIT),
        offset=offset,
    )


async def search_v2(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:search")
    query = _query(await Params.read(request))
    site = config(request).site
    remote = RemoteLookup(federation(request), config(request).federation_mode)
    results = await search(connection(request), site, viewer, query, remote=remote)
    return json_response(
        {
            "accounts": [render_account(view, site) for view in results.accounts],
            "statuses": [render_status(view, site, viewer.account_id) for view in results.statuses],
            "hashtags": [render_tag(tag, site) for tag in results.hashtags],
        }
    )


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v2/search", search_v2),
        ],
    )
