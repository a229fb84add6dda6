"""People: the profile directory (`GET /api/v1/directory`, Mastodon's, with Rukun's
`department` and `skill` filters), the org chart of an account, and the admins' edit of a
member's place in the organisation (manager and department)."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import get_member_by_account_id
from actors.people import ORDERS, DirectoryQuery, direct_reports, directory_page, manager_chain
from actors.profile_edits import ProfileEdit, ProfileError
from actors.profiles import load_account
from content.access import hides_customers
from outbox.profile_updates import do_update_credentials
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.account_pages import NOT_FOUND, account_id_from, target_account
from web.mastodon.accounts import manager_param
from web.mastodon.auth import require_member, require_viewer
from web.mastodon.entities.accounts import render_account
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes


async def directory(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:accounts")
    params = await Params.read(request)
    order = params.string("order", "active") or "active"
    if order not in ORDERS:
        raise ApiError(422, f"Validation failed: order must be one of {', '.join(ORDERS)}")
    query = DirectoryQuery(
        offset=params.integer("offset", 0, minimum=0) or 0,
        limit=min(params.integer("limit", 40, minimum=1) or 40, 80),
        order=order,
        local=bool(params.boolean("local", False)),
        department=(params.string("department") or "").strip() or None,
        skill=(params.string("skill") or "").strip() or None,
    )
    site = config(request).site
    hidden = ("customer",) if hides_customers(viewer) else ()
    views = await directory_page(connection(request), query, hidden_roles=hidden)
    return json_response([render_account(view, site) for view in views])


async def org_chart(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:accounts")
    view = await target_account(request)
    conn = connection(request)
    site = config(request).site
    hidden = ("customer",) if hides_customers(viewer) else ()
    chain = await manager_chain(conn, view.account.id, hidden_roles=hidden)
    reports = await direct_reports(conn, view.account.id, hidden_roles=hidden)
    return json_response(
        {
            "manager_chain": [render_account(v, site) for v in chain],
            "direct_reports": [render_account(v, site) for v in reports],
        }
    )


async def admin_organisation(request: web.Request) -> web.Response:
    """`PATCH /api/v1/rukun/admin/accounts/:id/organisation` with `manager_id` ("" or null
    clears it) and `department`: an admin places a member in the organisation."""
    admin = await require_member(request, "admin:write:accounts")
    if admin.role != "admin":
        raise ApiError(403, "This action is not allowed")
    conn = connection(request)
    member = await get_member_by_account_id(conn, account_id_from(request))
    if member is None:
        raise ApiError(404, NOT_FOUND)
    params = await Params.read(request)
    manager_id, clear_manager = manager_param(params)
    edit = ProfileEdit(
        department=params.string("department"),
        manager_id=manager_id,
        clear_manager=clear_manager,
    )
    settings = config(request)
    try:
        await do_update_credentials(conn, settings.site, settings.media_root, member, edit)
    except ProfileError as error:
        raise ApiError(422, str(error)) from None
    view = await load_account(conn, member.account.id)
    assert view is not None
    return json_response(render_account(view, settings.site))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/directory", directory),
            ("GET", "/api/v1/rukun/accounts/{id}/org_chart", org_chart),
            ("PATCH", "/api/v1/rukun/admin/accounts/{id}/organisation", admin_organisation),
        ],
    )
