"""A member's own moderation business: filing a report (Mastodon's `POST /api/v1/reports`) and
reading the warnings the staff gave them (Rukun's `GET /api/v1/rukun/warnings`, the
AccountWarning entities Mastodon shows in its web interface)."""

from __future__ import annotations

from aiohttp import web

from actors.account_lookup import find_account
from actors.moderation import account_warnings
from outbox.reports import ReportRefused, do_file_report
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_viewer
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.dates import iso
from web.mastodon.entities.reports import render_report
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes


async def create(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "write:reports")
    params = await Params.read(request)
    target_id = params.id("account_id")
    if target_id is None:
        raise ApiError(422, "Validation failed: Account can't be blank")
    named = "rule_ids" in params or "rule_ids[]" in params
    conn = connection(request)
    try:
        report = await do_file_report(
            conn,
            config(request).site,
            viewer,
            target_id,
            status_ids=params.ids("status_ids"),
            comment=params.string("comment") or "",
            forward=bool(params.boolean("forward")),
            category=params.string("category"),
            rule_ids=params.ids("rule_ids") if named else None,
        )
    except ReportRefused as error:
        raise ApiError(error.status, str(error)) from None
    target = await find_account(conn, target_id)
    assert target is not None
    return json_response(render_report(report, render_account(target, config(request).site)))


async def warnings(request: web.Request) -> web.Response:
    """The member's warnings as Mastodon's AccountWarning entities, newest first."""
    viewer = await require_viewer(request, "read:accounts")
    conn = connection(request)
    found = await account_warnings(conn, viewer.account_id)
    me = await find_account(conn, viewer.account_id)
    assert me is not None  # a member who may read is shown
    account = render_account(me, config(request).site)
    return json_response(
        [
            {
                "id": str(w.id),
                "action": w.action,
                "text": w.text,
                "status_ids": [],
                "target_account": account,
                "appeal": None,
                "created_at": iso(w.created_at),
                # Rukun's: the report the action resolved, if any.
                "report_id": str(w.report_id) if w.report_id else None,
            }
            for w in found
        ]
    )


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/reports", create),
            ("GET", "/api/v1/rukun/warnings", warnings),
        ],
    )
