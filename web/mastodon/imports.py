"""Imports: `POST /api/v1/rukun/imports` (multipart `type`, `mode`, `data`) and
`GET /api/v1/rukun/imports[/:id]`. Mastodon has no import API (its importer is a settings
page); these follow its form's fields. A file of the wrong shape is refused with 422 and
`errors`, one message per wrong line, and nothing is imported."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.import_files import ImportFileError
from actors.imports import Import, get_import, list_imports
from content.archives import MAX_ARCHIVE_BYTES
from content.import_uploads import do_accept_import
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import require_member
from web.mastodon.entities.dates import iso
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.uploads import read_upload_form

READ_SCOPE = "read:accounts"
WRITE_SCOPE = "write:accounts"


def render_import(item: Import) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "type": item.type,
        "mode": item.mode,
        "state": item.state,
        "filename": item.filename,
        "total_items": item.total_items,
        "processed_items": item.processed_items,
        "failed_items": item.failed_items,
        "skipped_items": item.skipped_items,
        "imported_items": item.processed_items - item.failed_items - item.skipped_items,
        "errors": item.errors,
        "created_at": iso(item.created_at),
        "finished_at": iso(item.finished_at),
    }


def refusal(error: ImportFileError) -> ApiError:
    return ApiError(422, f"The file cannot be imported: {error}", errors=error.errors)


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, WRITE_SCOPE)
    form = await read_upload_form(
        request, max_file_bytes=MAX_ARCHIVE_BYTES, max_total_bytes=MAX_ARCHIVE_BYTES + 65536
    )
    upload = form.files.get("data")
    if upload is None:
        raise ApiError(422, "Validation failed: Data can't be blank")
    try:
        item = await do_accept_import(
            connection(request),
            member.account.id,
            form.fields.get("type", ""),
            upload.data,
            mode=form.fields.get("mode", "merge") or "merge",
            filename=upload.filename or "",
        )
    except ImportFileError as error:
        raise refusal(error) from None
    return json_response(render_import(item), status=202)


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, READ_SCOPE)
    items = await list_imports(connection(request), member.account.id)
    return json_response([render_import(item) for item in items])


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, READ_SCOPE)
    text = request.match_info["id"]
    item = None
    if text.isdigit() and len(text) < 19:
        item = await get_import(connection(request), member.account.id, int(text))
    if item is None:
        raise ApiError(404, "Record not found")
    return json_response(render_import(item))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/rukun/imports", create),
            ("GET", "/api/v1/rukun/imports", index),
            ("GET", "/api/v1/rukun/imports/{id}", show),
        ],
    )
