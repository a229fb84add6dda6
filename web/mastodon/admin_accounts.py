"""Mastodon's admin API for local accounts: list (v1 and v2), show, approve, reject, disable
(`action` with `type=disable`), enable; and Rukun's role change.

Admin scopes as Mastodon's (`admin:read:accounts`, `admin:write:accounts`, or their parents),
and a staff member behind the token: moderators manage ordinary members, admins everyone, and
only admins change roles (`actors.roles`). Ids are account ids, as in Mastodon."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import Member, MemberError
from actors.admin_accounts import STATUSES, MemberRecord, list_member_records, load_member_record
from actors.profiles import load_accounts
from actors.registrations import do_approve, do_reject
from actors.roles import NoSuchMember, PermissionRefused, do_change_role, do_disable, do_enable
from actors.roles import managed_member as find_managed
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.admin_accounts import render_admin_account
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"
NOT_ALLOWED = "This action is not allowed"
MAX_LIMIT = 200


async def require_staff(request: web.Request, scope: str) -> Member:
    member = await require_member(request, scope)
    if not member.is_staff:
        raise ApiError(403, NOT_ALLOWED)
    return member


def account_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, "Record not found")
    return int(text)


def refusal(error: MemberError) -> ApiError:
    if isinstance(error, PermissionRefused):
        return ApiError(403, str(error))
    if isinstance(error, NoSuchMember):
        return ApiError(404, "Record not found")
    return ApiError(422, str(error))


async def rendered(request: web.Request, records: list[MemberRecord]) -> list[dict[str, object]]:
    views = await load_accounts(connection(request), [r.member.account.id for r in records])
    site = config(request).site
    return [render_admin_account(r, views[r.member.account.id], site) for r in records]


async def one(request: web.Request, account: int) -> web.Response:
    record = await load_member_record(connection(request), account)
    if record is None:
        raise ApiError(404, "Record not found")
    return json_response((await rendered(request, [record]))[0])


async def _listing(request: web.Request, status: str | None, remote: bool, staff: bool) -> list:
    params = Params(request.query)
    if status is not None and status not in STATUSES:
        raise ApiError(422, f"Validation failed: status must be one of {', '.join(STATUSES)}")
    if remote:  # members are local; remote accounts have no user to manage here
        return []
    limit = params.integer("limit", 100, minimum=1) or 100
    records = await list_member_records(
        connection(request),
        status=status,
        staff_only=staff,
        max_id=params.id("max_id"),
        limit=min(limit, MAX_LIMIT),
    )
    return await rendered(request, records)


async def index_v1(request: web.Request) -> web.Response:
    """v1 filters by flags: `pending=true`, `disabled=true`, `active=true`, `remote=true`, …"""
    await require_staff(request, READ)
    params = Params(request.query)
    status = next((s for s in STATUSES if params.boolean(s)), None)
    staff = bool(params.boolean("staff"))
    return json_response(await _listing(request, status, bool(params.boolean("remote")), staff))


async def index_v2(request: web.Request) -> web.Response:
    """v2 filters by values: `origin=local|remote`, `status=pending|…`, `permissions=staff`."""
    await require_staff(request, READ)
    params = Params(request.query)
    remote = params.string("origin") == "remote"
    staff = params.string("permissions") == "staff"
    return json_response(await _listing(request, params.string("status"), remote, staff))


async def show(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    return await one(request, account_id(request))


async def approve(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    try:
        member = await do_approve(connection(request), actor, account_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return await one(request, member.account.id)


async def reject(request: web.Request) -> web.Response:
    """Mastodon answers the rejected account as it was; it no longer exists afterwards."""
    actor = await require_staff(request, WRITE)
    conn = connection(request)
    account = account_id(request)
    record = await load_member_record(conn, account)
    before = await rendered(request, [record]) if record else []
    try:
        await do_reject(conn, actor, account)
    except MemberError as error:
        raise refusal(error) from None
    return json_response(before[0])


async def action(request: web.Request) -> web.Response:
    """`type=disable` disables the login; `none` only records a warning in Mastodon, which
    Rukun does not keep yet, so it does nothing. Silence, suspend and sensitive come with the
    moderation tools."""
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    kind = params.string("type") or "none"
    conn = connection(request)
    try:
        target = await find_managed(conn, actor, account_id(request))
        if kind == "disable":
            await do_disable(conn, actor, target)
        elif kind != "none":
            raise ApiError(422, f"Validation failed: type {kind!r} is not available on this node")
    except MemberError as error:
        raise refusal(error) from None
    return json_response({})


async def enable(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    conn = connection(request)
    try:
        target = await find_managed(conn, actor, account_id(request))
        await do_enable(conn, actor, target)
    except MemberError as error:
        raise refusal(error) from None
    return await one(request, target.account.id)


async def change_role(request: web.Request) -> web.Response:
    """Rukun's own: `POST /api/v1/rukun/admin/accounts/:id/role` with `role`."""
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    role = params.string("role") or ""
    conn = connection(request)
    try:
        target = await find_managed(conn, actor, account_id(request))
        await do_change_role(conn, actor, target, role)
    except MemberError as error:
        raise refusal(error) from None
    return await one(request, target.account.id)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/admin/accounts", index_v1),
            ("GET", "/api/v2/admin/accounts", index_v2),
            ("GET", "/api/v1/admin/accounts/{id}", show),
            ("POST", "/api/v1/admin/accounts/{id}/approve", approve),
            ("POST", "/api/v1/admin/accounts/{id}/reject", reject),
            ("POST", "/api/v1/admin/accounts/{id}/action", action),
            ("POST", "/api/v1/admin/accounts/{id}/enable", enable),
            ("POST", "/api/v1/rukun/admin/accounts/{id}/role", change_role),
        ],
    )
