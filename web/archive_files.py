"""Sending a finished archive, and `GET /exports/{id}/{token}`: the time-limited link that
downloads one without a session (made by `actors.exports.create_download_link` for
offboarding). A wrong, expired or unfinished link answers 404, whichever it is."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actors.exports import Export, archive_path, export_for_link
from web.errors import ApiError
from web.keys import config, connection

NOT_FOUND = "Record not found"


async def archive_response(request: web.Request, export: Export) -> web.StreamResponse:
    """The zip, streamed from disk; 404 until it is built."""
    path = await asyncio.to_thread(archive_path, config(request).media_root, export)
    if path is None:
        raise ApiError(404, NOT_FOUND)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Cache-Control": "private, no-store",
        },
    )


async def download_by_link(request: web.Request) -> web.StreamResponse:
    try:
        export_id = int(request.match_info["id"])
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    token = request.match_info["token"]
    export = await export_for_link(connection(request), export_id, token) if token else None
    if export is None:
        raise ApiError(404, NOT_FOUND)
    return await archive_response(request, export)


def setup(app: web.Application) -> None:
    app.router.add_get("/exports/{id}/{token}", download_by_link)
