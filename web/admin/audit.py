"""`/admin/audit` (admins only): the audit log, newest first, filtered by who acted or what
they did, paged by id."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import get_local_account
from actors.audit import list_audit_log
from actors.profiles import load_accounts
from web.admin.common import admin_page, render
from web.keys import connection

PAGE_SIZE = 50


@admin_page
async def index(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    actor_name = request.query.get("actor", "").strip().removeprefix("@")[:30]
    action = request.query.get("action", "").strip()[:60]
    before = request.query.get("max_id", "")
    actor = await get_local_account(conn, actor_name) if actor_name else None
    entries = []
    if not actor_name or actor is not None:
        entries = await list_audit_log(
            conn,
            account_id=actor.id if actor else None,
            action=action or None,
            max_id=int(before) if before.isdigit() and len(before) < 20 else None,
            limit=PAGE_SIZE + 1,
        )
    shown = entries[:PAGE_SIZE]
    context = {
        "entries": shown,
        "actors": await load_accounts(conn, {e.account_id for e in shown if e.account_id}),
        "actor_name": actor_name,
        "action": action,
        "next_max_id": shown[-1].id if len(entries) > PAGE_SIZE else None,
    }
    return render(request, "admin/audit.html", context)


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/audit", index, name="admin_audit")
