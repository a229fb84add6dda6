"""A member's archive through the API (Rukun's own, under `/api/v1/rukun/`, shaped like
Mastodon's entities): `POST /api/v1/rukun/exports` starts one (429 while another is being
prepared), `GET /api/v1/rukun/exports[/:id]` shows state and progress, and
`GET /api/v1/rukun/exports/:id/download` streams the zip to its owner, signed in with a token
or, for the settings page, a browser session. Anyone else's export is not found."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.exports import (
    Export,
    ExportInProgress,
    do_request_export,
    get_own_export,
    list_exports,
)
from web.archive_files import NOT_FOUND, archive_response
from web.auth import current_session
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import bearer_token, require_member
from web.mastodon.entities.dates import iso
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

IN_PROGRESS = "An export is already being prepared; wait for it to finish"


def download_path(export: Export) -> str:
    return f"/api/v1/rukun/exports/{export.id}/download"


def render_export(export: Export) -> dict[str, Any]:
    return {
        "id": str(export.id),
        "state": export.state,
        "progress": {
            "items_done": export.items_done,
            "items_total": export.items_total,
            "percent": export.percent,
        },
        "includes_internal": export.includes_internal,
        "size": export.file_size,
        "error": export.error,
        "created_at": iso(export.created_at),
        "finished_at": iso(export.finished_at),
        "download_url": download_path(export) if export.state == "done" else None,
    }


async def _owner(request: web.Request, scope: str) -> int:
    """The account asking: by token (with `scope`), else by browser session."""
    if bearer_token(request) is None:
        session = await current_session(request)
        if session is not None:
            return session.member.account.id
    return (await require_member(request, scope)).account.id


async def _own_export(request: web.Request, account_id: int) -> Export:
    try:
        export_id = int(request.match_info["id"])
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    export = await get_own_export(connection(request), account_id, export_id)
    if export is None:
        raise ApiError(404, NOT_FOUND)
    return export


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    try:
        export = await do_request_export(connection(request), member.account.id)
    except ExportInProgress:
        raise ApiError(429, IN_PROGRESS) from None
    return json_response(render_export(export))


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    exports = await list_exports(connection(request), member.account.id)
    return json_response([render_export(export) for export in exports])


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    return json_response(render_export(await _own_export(request, member.account.id)))


async def download(request: web.Request) -> web.StreamResponse:
    account_id = await _owner(request, "read:accounts")
    return await archive_response(request, await _own_export(request, account_id))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/rukun/exports", create),
            ("GET", "/api/v1/rukun/exports", index),
            ("GET", "/api/v1/rukun/exports/{id}", show),
            ("GET", "/api/v1/rukun/exports/{id}/download", download),
        ],
    )
