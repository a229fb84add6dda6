"""What every ActivityPub GET answers with: the JSON body, its media type, and headers that
keep caches from handing one signer's answer to another."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from actors.accounts import Account
from actors.directory import get_published_member_account
from federation.media_types import ACTIVITY_JSON_UTF8, accepts_activitystreams
from web.errors import ApiError
from web.keys import connection
from web.signed_fetch import VARY

# The same for every reader: public caches may keep it a little while (as Mastodon's 3 min).
PUBLIC_CACHE = {"Cache-Control": "public, max-age=180"}
# What one signer may read is for that signer only.
PRIVATE_CACHE = {"Cache-Control": "private, no-store"}


def activity_response(document: dict[str, Any], cache: dict[str, str]) -> web.Response:
    return web.Response(
        body=json.dumps(document).encode(),
        headers={"Content-Type": ACTIVITY_JSON_UTF8, **VARY, **cache},
    )


def wants_activity(request: web.Request) -> bool:
    return accepts_activitystreams(request.headers.get("Accept"))


async def member_account(request: web.Request) -> Account:
    """The published member the path names, else 404."""
    account = await get_published_member_account(connection(request), request.match_info["name"])
    if account is None:
        raise ApiError(404, "Record not found")
    return account
