"""Read markers: `GET /api/v1/markers?timeline[]=home&timeline[]=notifications` and
`POST /api/v1/markers` with `home[last_read_id]` / `notifications[last_read_id]` (form or JSON).
Mastodon guards markers with the statuses scopes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from content.markers import TIMELINES, Marker, do_save_markers, get_markers
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import require_member
from web.mastodon.entities.dates import iso
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes


def render_marker(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


def render_markers(markers: dict[str, Marker]) -> dict[str, Any]:
    return {timeline: render_marker(marker) for timeline, marker in markers.items()}


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    params = await Params.read(request)
    markers = await get_markers(connection(request), member.user_id, params.strings("timeline"))
    return json_response(render_markers(markers))


def _positions(params: Params) -> dict[str, int]:
    """The timelines named in the request (others are ignored, as in Mastodon)."""
    positions = {}
    for timeline in TIMELINES:
        if timeline not in params:
            continue
        last_read_id = Params(params.mapping(timeline)).id("last_read_id")
        if last_read_id is None:
            raise ApiError(422, "Validation failed: Last read can't be blank")
        positions[timeline] = last_read_id
    return positions


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:statuses")
    positions = _positions(await Params.read(request))
    markers = await do_save_markers(connection(request), member.user_id, positions)
    return json_response(render_markers(markers))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/markers", index),
            ("POST", "/api/v1/markers", create),
        ],
    )
