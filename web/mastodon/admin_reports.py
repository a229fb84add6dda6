"""Mastodon's admin API for reports: list (open by default; `resolved`, `account_id`,
`target_account_id`), show, assign to self, unassign, resolve, reopen, update (`category`,
`rule_ids`); and Rukun's moderator notes (`POST /api/v1/rukun/admin/reports/:id/notes`).
Moderators and admins alike; every change is logged by its `do_*` command."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.accounts import MemberError
from actors.instance import list_rules
from actors.moderation import ACTIONS, do_account_action
from actors.reports import (
    Report,
    do_add_report_note,
    do_assign_report,
    do_reopen_report,
    do_resolve_report,
    do_unassign_report,
    do_update_report,
    list_reports,
    load_report,
    report_notes,
)
from content.status_views import load_status_views
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.admin_account_views import admin_accounts_by_id
from web.mastodon.entities.reports import render_admin_report
from web.mastodon.entities.statuses import render_status
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import path_id, refusal, require_staff

READ = "admin:read:reports"
WRITE = "admin:write:reports"


async def _render(request: web.Request, reports: list[Report]) -> list[dict[str, Any]]:
    conn = connection(request)
    site = config(request).site
    account_ids = [
        i
        for r in reports
        for i in (
            r.account_id,
            r.target_account_id,
            r.assigned_account_id,
            r.action_taken_by_account_id,
        )
        if i is not None
    ]
    accounts = await admin_accounts_by_id(request, account_ids)
    status_ids = [i for r in reports for i in r.status_ids]
    # Staff see the reported statuses whatever their visibility: that is what a report is for.
    views = await load_status_views(conn, status_ids, None)
    rules = await list_rules(conn)
    notes = await report_notes(conn, [r.id for r in reports])
    return [
        render_admin_report(
            r,
            accounts,
            [render_status(views[i], site, None) for i in r.status_ids if i in views],
            rules,
            notes.get(r.id, []),
        )
        for r in reports
    ]


async def _one(request: web.Request, report: Report) -> web.Response:
    return json_response((await _render(request, [report]))[0])


async def index(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    params = Params(request.query)
    page = page_from(params, default=100, maximum=200)
    resolved = params.boolean("resolved")
    # Mastodon.py sends `resolved` and `unresolved` both for "all reports".
    wanted: bool | None = bool(resolved)
    if resolved and params.boolean("unresolved"):
        wanted = None
    reports = await list_reports(
        connection(request),
        resolved=wanted,
        account_id=params.id("account_id"),
        target_account_id=params.id("target_account_id"),
        max_id=page.max_id,
        since_id=page.since_id or page.min_id,
        limit=page.limit,
    )
    response = json_response(await _render(request, reports))
    return with_link(response, request, [r.id for r in reports])


async def show(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    try:
        report = await load_report(connection(request), path_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def assign(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    try:
        report = await do_assign_report(connection(request), actor, path_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def unassign(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    try:
        report = await do_unassign_report(connection(request), actor, path_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def resolve(request: web.Request) -> web.Response:
    """With Rukun's `action` (one of the account actions) and optional `text`, the action is
    taken on the reported account and resolves the report, as the account `action` endpoint
    with `report_id` does."""
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    kind = params.string("action")
    if kind is not None and kind not in ACTIONS:
        raise ApiError(422, f"Validation failed: action must be one of {', '.join(ACTIONS)}")
    conn = connection(request)
    report_id = path_id(request)
    try:
        if kind is None:
            report = await do_resolve_report(conn, actor, report_id)
        else:
            target = (await load_report(conn, report_id)).target_account_id
            text = params.string("text") or ""
            await do_account_action(conn, actor, target, kind, text=text, report_id=report_id)
            report = await load_report(conn, report_id)
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def reopen(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    try:
        report = await do_reopen_report(connection(request), actor, path_id(request))
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def update(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    named = "rule_ids" in params or "rule_ids[]" in params
    rule_ids = params.ids("rule_ids") if named else None
    try:
        report = await do_update_report(
            connection(request),
            actor,
            path_id(request),
            category=params.string("category"),
            rule_ids=rule_ids,
        )
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


async def add_note(request: web.Request) -> web.Response:
    actor = await require_staff(request, WRITE)
    params = await Params.read(request)
    conn = connection(request)
    report_id = path_id(request)
    try:
        await do_add_report_note(conn, actor, report_id, params.string("content") or "")
        report = await load_report(conn, report_id)
    except MemberError as error:
        raise refusal(error) from None
    return await _one(request, report)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/admin/reports", index),
            ("GET", "/api/v1/admin/reports/{id}", show),
            ("PUT", "/api/v1/admin/reports/{id}", update),
            ("POST", "/api/v1/admin/reports/{id}/assign_to_self", assign),
            ("POST", "/api/v1/admin/reports/{id}/unassign", unassign),
            ("POST", "/api/v1/admin/reports/{id}/resolve", resolve),
            ("POST", "/api/v1/admin/reports/{id}/reopen", reopen),
            ("POST", "/api/v1/rukun/admin/reports/{id}/notes", add_note),
        ],
    )
