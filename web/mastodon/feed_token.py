"""`GET /api/v1/rukun/feed_token` and `POST /api/v1/rukun/feed_token`: the member's personal
feed token, for the RSS/Atom feeds (`web.feeds`). The token is stored hashed, so it is shown
only when issued (POST, which also replaces the earlier one, and answers the news account's
feed URLs with it); GET says whether one exists."""

from __future__ import annotations

from aiohttp import web

from actors.feed_tokens import do_issue_feed_token, feed_token_info
from actors.node_policy import load_policy
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.dates import iso
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    info = await feed_token_info(connection(request), member.user_id)
    return json_response(
        {
            "exists": info is not None,
            "created_at": iso(info.created_at) if info else None,
            "last_used_at": iso(info.last_used_at) if info else None,
        }
    )


async def issue(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    token = await do_issue_feed_token(connection(request), member.user_id)
    info = await feed_token_info(connection(request), member.user_id)
    assert info is not None
    body: dict[str, object] = {
        "exists": True,
        "token": token,
        "created_at": iso(info.created_at),
        "last_used_at": None,
    }
    # The organisation's news feed, ready to paste into a feed reader.
    news = (await load_policy(connection(request))).news_account
    if news:
        profile = config(request).site.profile_url(news)
        body["news_rss_url"] = f"{profile}.rss?feed_token={token}"
        body["news_atom_url"] = f"{profile}.atom?feed_token={token}"
    return json_response(body)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/rukun/feed_token", show),
            ("POST", "/api/v1/rukun/feed_token", issue),
        ],
    )
