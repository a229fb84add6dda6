"""`/admin/accounts`: find members (name or email, role, standing), and act on one — the
same `do_*` commands as Mastodon's admin API, so every action lands on the audit log.

A reset password and an offboarding's download link are shown once, on the page that
answers the form (no redirect: nowhere else keeps them)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from actors.accounts import ROLES, MemberError
from actors.admin_accounts import STATUSES, load_member_record, search_member_records
from actors.moderation import (
    account_warnings,
    do_account_action,
    do_force_sign_out,
    do_lift,
    do_reset_password,
)
from actors.offboarding import DEFAULT_READ_ONLY, do_offboard
from actors.registrations import do_approve, do_reject
from actors.roles import (
    NoSuchMember,
    PermissionRefused,
    check_may_manage,
    do_change_role,
    do_disable,
    do_enable,
    managed_member,
)
from web.admin.common import done, form, page_number, path_id, render, staff, staff_page
from web.keys import config, connection

PAGE_SIZE = 50
ACTIONS = {"warn": "none", "limit": "silence", "suspend": "suspend"}
LIFTS = {"unsilence": "unsilence", "unsuspend": "unsuspend"}


@staff_page
async def index(request: web.Request) -> web.StreamResponse:
    query = request.query.get("q", "")[:200]
    role = request.query.get("role", "")
    status = request.query.get("status", "")
    page = page_number(request)
    records = await search_member_records(
        connection(request),
        query=query,
        role=role if role in ROLES else None,
        status=status if status in STATUSES else None,
        exclude_staff=staff(request).role != "admin",
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    context = {
        "records": records[:PAGE_SIZE],
        "more": len(records) > PAGE_SIZE,
        "page": page,
        "query": query,
        "role": role,
        "status": status,
        "roles": ROLES,
        "statuses": STATUSES,
    }
    return render(request, "admin/accounts.html", context)


def _path(account_id: int) -> str:
    return f"/admin/accounts/{account_id}"


@staff_page
async def show(request: web.Request) -> web.StreamResponse:
    return await _show(request, path_id(request))


async def _show(
    request: web.Request, account_id: int, *, secret: dict[str, str] | None = None
) -> web.Response:
    conn = connection(request)
    record = await load_member_record(conn, account_id)
    if record is None:
        raise web.HTTPNotFound()
    try:
        check_may_manage(staff(request), record.member)
        manageable = True
    except PermissionRefused:
        manageable = False
    context = {
        "record": record,
        "account": record.member.account,
        "manageable": manageable,
        "warnings": await account_warnings(conn, account_id, limit=10),
        "roles": ROLES,
        "secret": secret,
        "read_only_days": DEFAULT_READ_ONLY.days,
    }
    return render(request, "admin/account.html", context)


@staff_page
async def act(request: web.Request) -> web.StreamResponse:
    """One form per action; `action` names it."""
    account_id = path_id(request)
    actor = staff(request)
    conn = connection(request)
    fields = await form(request)
    action = fields.get("action", "")
    try:
        if action in ACTIONS:
            await do_account_action(
                conn, actor, account_id, ACTIONS[action], text=fields.get("text", "")
            )
        elif action in LIFTS:
            await do_lift(conn, actor, account_id, LIFTS[action])
        elif action in ("disable", "enable"):
            target = await managed_member(conn, actor, account_id)
            await (do_disable if action == "disable" else do_enable)(conn, actor, target)
        elif action == "role":
            target = await managed_member(conn, actor, account_id)
            await do_change_role(conn, actor, target, fields.get("role", ""))
        elif action == "sign_out":
            ended = await do_force_sign_out(conn, actor, account_id)
            return done(request, _path(account_id), f"Signed out everywhere ({ended} tokens).")
        elif action == "approve":
            await do_approve(conn, actor, account_id)
        elif action == "reject":
            await do_reject(conn, actor, account_id)
            return done(request, "/admin/accounts", "The sign-up was rejected.")
        elif action == "reset_password":
            password = await do_reset_password(conn, actor, account_id)
            return await _show(request, account_id, secret={"password": password})
        elif action == "offboard":
            return await _offboard(request, account_id, fields.get("days", ""))
        else:
            raise web.HTTPBadRequest(reason="Unknown action")
    except NoSuchMember:
        raise web.HTTPNotFound() from None
    except MemberError as error:
        return done(request, _path(account_id), str(error), error=True)
    return done(request, _path(account_id), "Done.")


async def _offboard(request: web.Request, account_id: int, days_text: str) -> web.Response:
    conn = connection(request)
    target = await managed_member(conn, staff(request), account_id)
    days = int(days_text) if days_text.isdigit() and len(days_text) < 4 else DEFAULT_READ_ONLY.days
    leaving = await do_offboard(conn, staff(request), target.user_id, read_only_for=timedelta(days))
    link = f"{config(request).site.base_url}/exports/{leaving.export.id}/{leaving.download_token}"
    secret = {
        "download": link,
        "leaves_at": f"{leaving.leaves_at:%Y-%m-%d %H:%M} UTC",
        "expires_at": f"{leaving.download_expires_at:%Y-%m-%d %H:%M} UTC",
    }
    return await _show(request, account_id, secret=secret)


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/accounts", index, name="admin_accounts")
    app.router.add_get("/admin/accounts/{id}", show)
    app.router.add_post("/admin/accounts/{id}", act)
