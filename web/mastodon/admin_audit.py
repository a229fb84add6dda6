"""Rukun's audit log over the API: `GET /api/v1/rukun/admin/audit_log`, newest first, paged by
`max_id`, filtered by `account_id` (who acted), `action`, `target_type` and `target_id`.
Mastodon keeps the same record (Admin::ActionLog) but shows it only in its web interface.
Admins only: it names what moderators did too."""

from __future__ import annotations

from aiohttp import web

from actors.audit import list_audit_log
from web.keys import connection
from web.mastodon.admin_account_views import admin_accounts_by_id
from web.mastodon.entities.dates import iso
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import require_admin


async def audit_log(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read")
    params = Params(request.query)
    page = page_from(params, default=40, maximum=200)
    entries = await list_audit_log(
        connection(request),
        account_id=params.id("account_id"),
        action=params.string("action"),
        target_type=params.string("target_type"),
        target_id=params.string("target_id"),
        max_id=page.max_id,
        limit=page.limit,
    )
    actors = await admin_accounts_by_id(
        request, [e.account_id for e in entries if e.account_id is not None]
    )
    response = json_response(
        [
            {
                "id": str(e.id),
                "account": actors.get(e.account_id) if e.account_id else None,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "details": e.details,
                "created_at": iso(e.created_at),
            }
            for e in entries
        ]
    )
    return with_link(response, request, [e.id for e in entries])


def setup(app: web.Application) -> None:
    add_routes(app, [("GET", "/api/v1/rukun/admin/audit_log", audit_log)])
