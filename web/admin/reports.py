"""`/admin/reports`: open reports first, then a report's page — the reported account and
posts (remote HTML sanitised again before it is shown), the reporter's comment, notes, and
the moderator's moves: assign, note, resolve with an action, reopen, forward."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from actors.accounts import MemberError
from actors.instance import list_rules
from actors.moderation import do_account_action
from actors.profiles import load_accounts
from actors.reports import (
    NoSuchReport,
    Report,
    do_add_report_note,
    do_assign_report,
    do_reopen_report,
    do_resolve_report,
    do_unassign_report,
    list_reports,
    load_report,
    report_notes,
)
from content.sanitise import sanitise_html
from content.statuses import get_statuses
from outbox.reports import ReportRefused, do_forward_report
from web.admin.common import done, form, page_number, path_id, render, staff, staff_page
from web.keys import config, connection

PAGE_SIZE = 50
RESOLUTIONS = {"none": None, "warn": "none", "limit": "silence", "suspend": "suspend"}


def _account_ids(reports: list[Report]) -> set[int]:
    return {
        i
        for r in reports
        for i in (r.account_id, r.target_account_id, r.assigned_account_id)
        if i is not None
    }


@staff_page
async def index(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    resolved = request.query.get("resolved") == "1"
    page = page_number(request)
    found = await list_reports(conn, resolved=resolved, limit=PAGE_SIZE * page + 1)
    reports = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "reports": reports,
        "accounts": await load_accounts(conn, _account_ids(reports)),
        "resolved": resolved,
        "page": page,
        "more": len(found) > page * PAGE_SIZE,
    }
    return render(request, "admin/reports.html", context)


@staff_page
async def show(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    try:
        report = await load_report(conn, path_id(request))
    except MemberError:
        raise web.HTTPNotFound() from None
    statuses = await get_statuses(conn, report.status_ids)
    posts = [
        (status, Markup(sanitise_html(status.content)))  # noqa: S704 (sanitised just now)
        for status in (statuses[i] for i in report.status_ids if i in statuses)
    ]
    accounts = await load_accounts(conn, _account_ids([report]))
    target = accounts.get(report.target_account_id)
    rules = {rule.id: rule for rule in await list_rules(conn)}
    notes = (await report_notes(conn, [report.id])).get(report.id, [])
    authors = {n.account_id for n in notes if n.account_id is not None}
    context = {
        "report": report,
        "accounts": accounts,
        "target": target,
        "posts": posts,
        "notes": notes,
        "note_authors": await load_accounts(conn, authors),
        "rules": [rules[i] for i in report.rule_ids or [] if i in rules],
        "forwardable": target is not None and not target.account.is_local and not report.forwarded,
    }
    return render(request, "admin/report.html", context)


@staff_page
async def act(request: web.Request) -> web.StreamResponse:
    report_id = path_id(request)
    path = f"/admin/reports/{report_id}"
    actor = staff(request)
    conn = connection(request)
    fields = await form(request)
    action = fields.get("action", "")
    try:
        report = await load_report(conn, report_id)
        if action == "assign":
            await do_assign_report(conn, actor, report_id)
        elif action == "unassign":
            await do_unassign_report(conn, actor, report_id)
        elif action == "note":
            await do_add_report_note(conn, actor, report_id, fields.get("content", ""))
        elif action == "reopen":
            await do_reopen_report(conn, actor, report_id)
        elif action == "resolve":
            resolution = fields.get("resolution", "none")
            if resolution not in RESOLUTIONS:
                raise MemberError("Choose one of the actions offered")
            kind = RESOLUTIONS[resolution]
            if kind is None:
                await do_resolve_report(conn, actor, report_id)
            else:
                await do_account_action(
                    conn,
                    actor,
                    report.target_account_id,
                    kind,
                    text=fields.get("text", ""),
                    report_id=report_id,
                )
            return done(request, "/admin/reports", f"Report #{report_id} resolved.")
        elif action == "forward":
            await do_forward_report(conn, config(request).site, actor, report_id)
        else:
            raise web.HTTPBadRequest(reason="Unknown action")
    except NoSuchReport:
        raise web.HTTPNotFound() from None
    except (MemberError, ReportRefused) as error:
        return done(request, path, str(error), error=True)
    return done(request, path, "Done.")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/reports", index, name="admin_reports")
    app.router.add_get("/admin/reports/{id}", show)
    app.router.add_post("/admin/reports/{id}", act)
