"""Media uploads: `POST /api/v2/media` (accepted now, processed by a job: 202), the deprecated
`POST /api/v1/media` (processed before answering: 200), and `GET`, `PUT`, `DELETE
/api/v1/media/:id` for one's own media not yet attached to a status. All need `write:media`,
as in Mastodon, and answer 404 for anyone else's media."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from content.media import (
    MAX_UPLOAD_BYTES,
    MediaError,
    do_delete_media,
    do_update_media,
    do_upload_media,
    get_unattached_media,
    parse_focus,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.media import render_media
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.uploads import read_upload_form

SCOPE = "write:media"
# The file plus its form fields (and a custom thumbnail, which is read and not used yet).
MAX_BODY_BYTES = 2 * MAX_UPLOAD_BYTES
PROCESSING_FAILED = "Error processing thumbnail for uploaded media"


def _media_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, "Record not found")
    return int(text)


def _focus(value: str | None) -> tuple[float, float] | None:
    return parse_focus(value) if value and value.strip() else None


def _answer(request: web.Request, row: dict[str, Any], *, accepted: bool = False) -> web.Response:
    """Mastodon's codes: 202 for an upload still processing, 206 when asked about one."""
    if row["state"] == "failed":
        raise ApiError(422, PROCESSING_FAILED)
    status = 200
    if row["state"] == "processing":
        status = 202 if accepted else 206
    return json_response(render_media(row, config(request).site), status=status)


async def _upload(request: web.Request, *, process_now: bool) -> web.Response:
    member = await require_member(request, SCOPE)
    form = await read_upload_form(
        request, max_file_bytes=MAX_UPLOAD_BYTES, max_total_bytes=MAX_BODY_BYTES
    )
    upload = form.files.get("file")
    if upload is None:
        raise ApiError(422, "Validation failed: File can't be blank")
    try:
        row = await do_upload_media(
            connection(request),
            config(request).media_root,
            member.account.id,
            upload.data,
            description=form.fields.get("description", ""),
            focus=_focus(form.fields.get("focus")) or (0.0, 0.0),
            process_now=process_now,
        )
    except MediaError as error:
        raise ApiError(422, str(error)) from None
    return _answer(request, row, accepted=True)


async def upload_v2(request: web.Request) -> web.Response:
    return await _upload(request, process_now=False)


async def upload_v1(request: web.Request) -> web.Response:
    return await _upload(request, process_now=True)


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, SCOPE)
    row = await get_unattached_media(connection(request), member.account.id, _media_id(request))
    if row is None:
        raise ApiError(404, "Record not found")
    return _answer(request, row)


async def update(request: web.Request) -> web.Response:
    member = await require_member(request, SCOPE)
    params = await Params.read(request)
    try:
        row = await do_update_media(
            connection(request),
            member.account.id,
            _media_id(request),
            description=params.string("description"),
            focus=_focus(params.string("focus")),
        )
    except MediaError as error:
        raise ApiError(422, str(error)) from None
    if row is None:
        raise ApiError(404, "Record not found")
    return _answer(request, row)


async def delete(request: web.Request) -> web.Response:
    member = await require_member(request, SCOPE)
    deleted = await do_delete_media(
        connection(request), config(request).media_root, member.account.id, _media_id(request)
    )
    if not deleted:
        raise ApiError(404, "Record not found")
    return json_response({})


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v2/media", upload_v2),
            ("POST", "/api/v1/media", upload_v1),
            ("GET", "/api/v1/media/{id}", show),
            ("PUT", "/api/v1/media/{id}", update),
            ("DELETE", "/api/v1/media/{id}", delete),
        ],
    )
