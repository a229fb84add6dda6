"""`/settings/export`: a member's archives as an HTML page — start one (a CSRF-checked form),
watch its progress, download it when done. The page reloads itself while one is being made."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from actors.exports import Export, ExportInProgress, do_request_export, list_exports
from web.auth import current_session, member_page
from web.keys import connection
from web.mastodon.exports import download_path

PATH = "/settings/export"


async def _member_account_id(request: web.Request) -> int:
    session = await current_session(request)  # member_page has checked it is there
    if session is None:
        raise web.HTTPFound(PATH)
    return session.member.account.id


def _render(
    request: web.Request, exports: list[Export], *, error: str = "", status: int = 200
) -> web.Response:
    busy = any(export.state in ("queued", "running") for export in exports)
    context = {
        "exports": exports,
        "busy": busy,
        "error": error,
        "download_path": download_path,
    }
    response = aiohttp_jinja2.render_template("export.html", request, context, status=status)
    if busy:
        response.headers["Refresh"] = "5"
    return response


@member_page
async def page(request: web.Request) -> web.StreamResponse:
    account_id = await _member_account_id(request)
    return _render(request, await list_exports(connection(request), account_id))


@member_page
async def start(request: web.Request) -> web.StreamResponse:
    account_id = await _member_account_id(request)
    conn = connection(request)
    try:
        await do_request_export(conn, account_id)
    except ExportInProgress:
        error = "An archive is already being prepared; it will appear below when ready."
        return _render(request, await list_exports(conn, account_id), error=error, status=429)
    return web.Response(status=303, headers={"Location": PATH})


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, page, name="export")
    app.router.add_post(PATH, start)
