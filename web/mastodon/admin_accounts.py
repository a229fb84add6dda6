"""Mastodon's admin API for accounts: list (v1 and v2), show, approve, reject, the moderation
`action` (`none` — a warning —, `sensitive`, `disable`, `silence`, `suspend`, optionally
resolving a report), enable, unsilence, unsuspend, unsensitive, and deleting a suspended
account's data; Rukun's own role change, password reset and forced sign-out.

Admin scopes as Mastodon's (`admin:read:accounts`, `admin:write:accounts`, or their parents),
and a staff member behind the token: moderators manage ordinary members and remote accounts,
admins everyone, and only admins change roles (`actors.roles`). Ids are account ids, as in
Mastodon. Every change is a `do_*` command that writes the audit log."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import MemberError
from actors.admin_accounts import (
    STATUSES,
    MemberRecord,
    list_member_records,
    list_remote_account_ids,
    load_member_record,
)
from actors.moderation import (
    ACTIONS,
    do_account_action,
    do_force_sign_out,
    do_lift,
    do_reset_password,
)
from actors.profiles import load_accounts
from actors.registrations import do_approve, do_reject
from actors.roles import do_change_role, do_enable
from actors.roles import managed_member as find_managed
from content.account_data_removal import do_delete_account_data
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.admin_account_views import admin_accounts_by_id
from web.mastodon.entities.admin_accounts import render_admin_account
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import NOT_FOUND, path_id, refusal, require_staff

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"
MAX_LIMIT = 200


def account_id(request: web.Request) -> int:
    return path_id(request)


async def rendered(request: web.Request, records: list[MemberRecord]) -> list[dict[str, object]]:
    views = await load_accounts(connection(request), [r.member.account.id for r in records])
    site = config(request).site
    return [render_admin_account(r, views[r.member.account.id], site) for r in records]


async def one(request: web.Request, account: int) -> web.Response:
    found = await admin_accounts_by_id(request, [account])
    if account not in found:
        raise ApiError(404, NOT_FOUND)
    return json_response(found[account])


async def _listing(
    request: web.Request, status: str | None, remote: bool, staff: bool
) -> list[dict[str, object]]:
    params = Params(request.query)
    if status is not None and status not in STATUSES:
        raise ApiError(422, f"Validation failed: status must be one of {', '.join(STATUSES)}")
    limit = params.integer("limit", 100, minimum=1) or 100
    if remote:
        if staff:  # staff are members of this node
            return []
        ids = await list_remote_account_ids(
            connection(request),
            status=status,
            by_domain=params.string("by_domain"),
            max_id=params.id("max_id"),
            limit=min(limit, MAX_LIMIT),
        )
        found = await admin_accounts_by_id(request, ids)
        return [found[i] for i in ids if i in found]
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
    """Mastodon answers an empty object. `send_email_notification` is accepted and has nothing
    to do (members see their warnings in the app); `warning_preset_id` names presets Rukun
    does not keep, so only `text` carries the warning."""
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    kind = params.string("type") or "none"
    if kind not in ACTIONS:
        # Mastodon's own words (Admin::AccountAction's validation).
        raise ApiError(422, "Validation failed: Type is not included in the list")
    try:
        await do_account_action(
            connection(request),
            actor,
            account_id(request),
            kind,
            text=params.string("text") or "",
            report_id=params.id("report_id"),
        )
    except MemberError as error:
        raise refusal(error) from None
    return json_response({})


async def _lift(request: web.Request, kind: str) -> web.Response:
    actor = await require_staff(request, WRITE)
    try:
        state = await do_lift(connection(request), actor, account_id(request), kind)
    except MemberError as error:
        raise refusal(error) from None
    return await one(request, state.account.id)


async def unsilence(request: web.Request) -> web.Response:
    return await _lift(request, "unsilence")


async def unsuspend(request: web.Request) -> web.Response:
    return await _lift(request, "unsuspend")


async def unsensitive(request: web.Request) -> web.Response:
    return await _lift(request, "unsensitive")


async def delete(request: web.Request) -> web.Response:
    """Mastodon deletes only a suspended account's data (403 otherwise) and answers the
    account."""
    actor = await require_staff(request, WRITE)
    account = account_id(request)
    try:
        await do_delete_account_data(connection(request), actor, account)
    except MemberError as error:
        raise refusal(error) from None
    return await one(request, account)


async def reset_password(request: web.Request) -> web.Response:
    """Rukun's own: a one-time password, shown in this answer only."""
    actor = await require_staff(request, WRITE)
    try:
        password = await do_reset_password(connection(request), actor, account_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return json_response({"password": password, "password_change_required": True})


async def sign_out(request: web.Request) -> web.Response:
    """Rukun's own: every session and token of the member ends."""
    actor = await require_staff(request, WRITE)
    try:
        ended = await do_force_sign_out(connection(request), actor, account_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return json_response({"revoked_tokens": ended})


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
            ("POST", "/api/v1/admin/accounts/{id}/unsilence", unsilence),
            ("POST", "/api/v1/admin/accounts/{id}/unsuspend", unsuspend),
            ("POST", "/api/v1/admin/accounts/{id}/unsensitive", unsensitive),
            ("DELETE", "/api/v1/admin/accounts/{id}", delete),
            ("POST", "/api/v1/rukun/admin/accounts/{id}/role", change_role),
            ("POST", "/api/v1/rukun/admin/accounts/{id}/reset_password", reset_password),
            ("POST", "/api/v1/rukun/admin/accounts/{id}/sign_out", sign_out),
        ],
    )
