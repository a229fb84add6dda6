"""Announcements: Mastodon's member API (`/api/v1/announcements`, dismiss, reactions) and,
since Mastodon keeps creating them to its admin web pages, Rukun's own admin API under
`/api/v1/rukun/admin/announcements` (list incl. unpublished, create, edit, delete)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from actors.accounts import Member
from content.announcements import (
    AnnouncementDraft,
    AnnouncementError,
    active_announcements,
    all_announcements,
    do_create_announcement,
    do_delete_announcement,
    do_dismiss,
    do_react,
    do_unreact,
    do_update_announcement,
    get_announcement_view,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.announcements import render_announcement
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

NOT_FOUND = "Record not found"


def _id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(text)


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, "read")
    params = await Params.read(request)
    views = await active_announcements(
        connection(request),
        member.account.id,
        with_dismissed=bool(params.boolean("with_dismissed", default=False)),
    )
    site = config(request).site
    return json_response([render_announcement(view, site) for view in views])


async def dismiss(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    if not await do_dismiss(connection(request), member.account.id, _id(request)):
        raise ApiError(404, NOT_FOUND)
    return json_response({})


async def react(request: web.Request) -> web.Response:
    member = await require_member(request, "write:favourites")
    try:
        found = await do_react(
            connection(request), member.account.id, _id(request), request.match_info["name"]
        )
    except AnnouncementError as error:
        raise ApiError(422, str(error)) from None
    if not found:
        raise ApiError(404, NOT_FOUND)
    return json_response({})


async def unreact(request: web.Request) -> web.Response:
    member = await require_member(request, "write:favourites")
    found = await do_unreact(
        connection(request), member.account.id, _id(request), request.match_info["name"]
    )
    if not found:
        raise ApiError(404, NOT_FOUND)
    return json_response({})


# -- the admins' API ---------------------------------------------------------------------------


async def require_admin(request: web.Request, scope: str) -> Member:
    member = await require_member(request, scope)
    if member.role != "admin":
        raise ApiError(403, "This action is not allowed")
    return member


def _moment(params: Params, name: str) -> datetime | None:
    text = params.string(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, f"Validation failed: {name} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _draft(request: web.Request) -> AnnouncementDraft:
    params = await Params.read(request)
    return AnnouncementDraft(
        text=params.string("text") or "",
        starts_at=_moment(params, "starts_at"),
        ends_at=_moment(params, "ends_at"),
        all_day=bool(params.boolean("all_day", default=False)),
        published=bool(params.boolean("published", default=True)),
    )


async def admin_index(request: web.Request) -> web.Response:
    member = await require_admin(request, "admin:read")
    views = await all_announcements(connection(request), member.account.id)
    site = config(request).site
    return json_response([render_announcement(view, site, admin=True) for view in views])


async def _answer(request: web.Request, member: Member, announcement_id: int) -> web.Response:
    view = await get_announcement_view(connection(request), member.account.id, announcement_id)
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(render_announcement(view, config(request).site, admin=True))


async def admin_create(request: web.Request) -> web.Response:
    member = await require_admin(request, "admin:write")
    draft = await _draft(request)
    try:
        created = await do_create_announcement(
            connection(request), config(request).site, member.account.id, draft, actor=member
        )
    except AnnouncementError as error:
        raise ApiError(422, str(error)) from None
    return await _answer(request, member, created.id)


async def admin_update(request: web.Request) -> web.Response:
    member = await require_admin(request, "admin:write")
    announcement_id = _id(request)
    draft = await _draft(request)
    try:
        updated = await do_update_announcement(
            connection(request), config(request).site, announcement_id, draft, actor=member
        )
    except AnnouncementError as error:
        raise ApiError(422, str(error)) from None
    if updated is None:
        raise ApiError(404, NOT_FOUND)
    return await _answer(request, member, updated.id)


async def admin_delete(request: web.Request) -> web.Response:
    member = await require_admin(request, "admin:write")
    if not await do_delete_announcement(connection(request), _id(request), actor=member):
        raise ApiError(404, NOT_FOUND)
    return json_response({})


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/announcements", index),
            ("POST", "/api/v1/announcements/{id}/dismiss", dismiss),
            ("PUT", "/api/v1/announcements/{id}/reactions/{name}", react),
            ("DELETE", "/api/v1/announcements/{id}/reactions/{name}", unreact),
            ("GET", "/api/v1/rukun/admin/announcements", admin_index),
            ("POST", "/api/v1/rukun/admin/announcements", admin_create),
            ("PUT", "/api/v1/rukun/admin/announcements/{id}", admin_update),
            ("DELETE", "/api/v1/rukun/admin/announcements/{id}", admin_delete),
        ],
    )
