"""Shared by the status endpoints: the `:id` in the path, the viewer's access to it (what they
may not see is "Record not found"), and rendering statuses for the viewer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from content.access import Viewer
from content.status_lookup import access_status
from content.status_views import load_status_views
from content.statuses import Status
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.entities.statuses import render_status

NOT_FOUND = "Record not found"
_MAX_ID = 2**63 - 1


def path_id(request: web.Request, name: str = "id") -> int:
    """An id from the path; anything that cannot be an id is simply not found."""
    raw = request.match_info[name]
    if not raw.isdigit() or int(raw) > _MAX_ID:
        raise ApiError(404, NOT_FOUND)
    return int(raw)


async def accessible_status(request: web.Request, viewer: Viewer) -> Status:
    status = await access_status(connection(request), viewer, path_id(request))
    if status is None:
        raise ApiError(404, NOT_FOUND)
    return status


async def render_statuses(
    request: web.Request, ids: list[int], viewer_id: int
) -> list[dict[str, Any]]:
    """The statuses in the order given, leaving out any that are gone."""
    views = await load_status_views(connection(request), ids, viewer_id)
    site = config(request).site
    return [render_status(views[i], site, viewer_id) for i in ids if i in views]


async def render_one(request: web.Request, status_id: int, viewer_id: int) -> dict[str, Any]:
    rendered = await render_statuses(request, [status_id], viewer_id)
    if not rendered:
        raise ApiError(404, NOT_FOUND)
    return rendered[0]
