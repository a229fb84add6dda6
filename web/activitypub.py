"""ActivityPub documents at the URLs people also open in a browser: the Accept header decides
between the actor document and a redirect to the profile page.

Served unsigned for now; fetches gated on HTTP Signatures arrive with federation."""

from __future__ import annotations

import json

from aiohttp import web

from actors.accounts import Account
from actors.directory import get_account_link, get_instance_actor, get_published_member_account
from federation.media_types import ACTIVITY_JSON_UTF8, accepts_activitystreams
from outbox.actor_document import actor_document
from web.errors import ApiError
from web.keys import config, connection

# Caches must keep the JSON and the redirect apart.
VARY = {"Vary": "Accept"}


async def _answer(request: web.Request, account: Account) -> web.Response:
    site = config(request).site
    if not accepts_activitystreams(request.headers.get("Accept")):
        raise web.HTTPFound(site.profile_url(account.username), headers=VARY)
    manager = None
    if account.manager_id is not None:
        manager = await get_account_link(connection(request), account.manager_id)
    document = actor_document(account, site, manager=manager)
    return web.Response(
        body=json.dumps(document).encode(),
        headers={"Content-Type": ACTIVITY_JSON_UTF8, **VARY},
    )


async def member_actor(request: web.Request) -> web.Response:
    account = await get_published_member_account(connection(request), request.match_info["name"])
    if account is None:
        raise ApiError(404, "Record not found")
    return await _answer(request, account)


async def instance_actor(request: web.Request) -> web.Response:
    account = await get_instance_actor(connection(request))
    if account is None:
        raise ApiError(404, "Record not found")
    return await _answer(request, account)


def setup(app: web.Application) -> None:
    app.router.add_get("/users/{name}", member_actor)
    app.router.add_get("/actor", instance_actor)
