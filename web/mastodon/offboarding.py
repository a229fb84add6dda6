"""Offboarding through the API (Rukun's own; Mastodon has no such thing):
`POST /api/v1/rukun/admin/accounts/:id/offboard` (admins) starts it, as `rukun user offboard`
does, and `GET /api/v1/rukun/offboarding` gives the leaving member their last day and a fresh
time-limited link to their archive (links are shown once, so each call makes a new one)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from actors.accounts import MemberError, get_member_by_account_id
from actors.exports import Export
from actors.offboarding import (
    DEFAULT_LINK_AFTER,
    DEFAULT_READ_ONLY,
    do_offboard,
    do_own_download_link,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.dates import iso
from web.mastodon.exports import render_export
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import NOT_FOUND, path_id, require_admin

NOT_LEAVING = "This account is not leaving"


def _days(params: Params, name: str, default: timedelta) -> timedelta:
    raw = params.raw(name)
    if raw in (None, ""):
        return default
    try:
        days = float(str(raw))
    except ValueError:
        raise ApiError(422, f"Validation failed: {name} must be a number of days") from None
    if not math.isfinite(days) or days < 0:
        raise ApiError(422, f"Validation failed: {name} must be a number of days")
    return timedelta(days=days)


def _rendered(
    request: web.Request, leaves_at: datetime, export: Export, token: str, expires: datetime
) -> dict[str, Any]:
    base = config(request).site.base_url
    return {
        "leaves_at": iso(leaves_at),
        "export": render_export(export),
        "download_url": f"{base}/exports/{export.id}/{token}",
        "download_expires_at": iso(expires),
    }


async def offboard(request: web.Request) -> web.Response:
    admin = await require_admin(request, "admin:write:accounts")
    params = await Params.read(request)
    conn = connection(request)
    target = await get_member_by_account_id(conn, path_id(request))
    if target is None:
        raise ApiError(404, NOT_FOUND)
    try:
        done = await do_offboard(
            conn,
            admin,
            target.user_id,
            read_only_for=_days(params, "read_only_days", DEFAULT_READ_ONLY),
            link_after=_days(params, "link_days", DEFAULT_LINK_AFTER),
        )
    except MemberError as error:
        raise ApiError(422, str(error)) from None
    body = _rendered(
        request, done.leaves_at, done.export, done.download_token, done.download_expires_at
    )
    return json_response({"account_id": str(target.account.id), **body})


async def own_state(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    link = await do_own_download_link(connection(request), member)
    if member.leaves_at is None or link is None:
        raise ApiError(404, NOT_LEAVING)
    export, token, expires = link
    return json_response(_rendered(request, member.leaves_at, export, token, expires))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/rukun/admin/accounts/{id}/offboard", offboard),
            ("GET", "/api/v1/rukun/offboarding", own_state),
        ],
    )
