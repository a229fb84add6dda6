"""Notifications: v1 (one entity each) and v2 (grouped notifications, every notification in a
group of its own until Rukun groups them), the unread count, dismissing and clearing."""

from __future__ import annotations

from aiohttp import web

from content.notification_queries import (
    NotificationFilter,
    count_unread,
    do_clear_notifications,
    do_dismiss_notification,
    get_notification,
    list_notifications,
)
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import require_member, viewer_for
from web.mastodon.entities.notifications import render_grouped_results, render_notification
from web.mastodon.paging import with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.timelines import window_from

NOT_FOUND = "Record not found"
READ = "read:notifications"
WRITE = "write:notifications"
# Mastodon's paging sizes for notifications (4.1+), and the cap of the unread count.
DEFAULT_LIMIT, MAX_LIMIT = 40, 80
DEFAULT_COUNT_LIMIT, MAX_COUNT_LIMIT = 100, 1000


def notification_filter(params: Params) -> NotificationFilter:
    return NotificationFilter(
        types=tuple(params.strings("types")),
        exclude_types=tuple(params.strings("exclude_types")),
        from_account_id=params.id("account_id"),
    )


def _notification_id(request: web.Request) -> int:
    # Routes admit digits only; an id too long for bigint is one nobody has.
    text = request.match_info["id"]
    if len(text) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(text)


def _group_id(request: web.Request) -> int:
    """The notification behind a group key; every group is `ungrouped-<id>` for now."""
    prefix, _, number = request.match_info["group_key"].partition("-")
    if prefix != "ungrouped" or not number.isdigit() or len(number) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(number)


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    params = await Params.read(request)
    views = await list_notifications(
        connection(request),
        await viewer_for(request, member),
        window_from(params, default=DEFAULT_LIMIT, maximum=MAX_LIMIT),
        notification_filter(params),
    )
    site = config(request).site
    response = json_response([render_notification(v, site, member.account.id) for v in views])
    return with_link(response, request, [v.notification.id for v in views])


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    view = await get_notification(
        connection(request), await viewer_for(request, member), _notification_id(request)
    )
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(render_notification(view, config(request).site, member.account.id))


async def unread_count(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    params = await Params.read(request)
    limit = params.integer("limit", default=DEFAULT_COUNT_LIMIT, minimum=1) or DEFAULT_COUNT_LIMIT
    count = await count_unread(
        connection(request),
        await viewer_for(request, member),
        member.user_id,
        notification_filter(params),
        min(limit, MAX_COUNT_LIMIT),
    )
    return json_response({"count": count})


async def dismiss(request: web.Request) -> web.Response:
    member = await require_member(request, WRITE)
    notification_id = _notification_id(request)
    if not await do_dismiss_notification(connection(request), member.account.id, notification_id):
        raise ApiError(404, NOT_FOUND)
    return json_response({})


async def clear(request: web.Request) -> web.Response:
    member = await require_member(request, WRITE)
    await do_clear_notifications(connection(request), member.account.id)
    return json_response({})


async def grouped_index(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    params = await Params.read(request)
    views = await list_notifications(
        connection(request),
        await viewer_for(request, member),
        window_from(params, default=DEFAULT_LIMIT, maximum=MAX_LIMIT),
        notification_filter(params),
    )
    body = render_grouped_results(views, config(request).site, member.account.id)
    return with_link(json_response(body), request, [v.notification.id for v in views])


async def grouped_show(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    view = await get_notification(
        connection(request), await viewer_for(request, member), _group_id(request)
    )
    if view is None:
        raise ApiError(404, NOT_FOUND)
    body = render_grouped_results([view], config(request).site, member.account.id, paginated=False)
    return json_response(body)


async def grouped_accounts(request: web.Request) -> web.Response:
    member = await require_member(request, READ)
    view = await get_notification(
        connection(request), await viewer_for(request, member), _group_id(request)
    )
    if view is None:
        raise ApiError(404, NOT_FOUND)
    body = render_grouped_results([view], config(request).site, member.account.id)
    return json_response(body["accounts"])


async def grouped_dismiss(request: web.Request) -> web.Response:
    member = await require_member(request, WRITE)
    # Mastodon answers success for a group that has nothing left to dismiss.
    await do_dismiss_notification(connection(request), member.account.id, _group_id(request))
    return json_response({})


def setup(app: web.Application) -> None:
    routes = [
        ("GET", "/api/v1/notifications", index),
        ("GET", "/api/v1/notifications/unread_count", unread_count),
        ("POST", "/api/v1/notifications/clear", clear),
        ("GET", r"/api/v1/notifications/{id:\d+}", show),
        ("POST", r"/api/v1/notifications/{id:\d+}/dismiss", dismiss),
    ]
    # Mastodon 4.3's pre-releases served grouped notifications under v2_alpha; some apps of
    # that time still ask there.
    for version in ("v2", "v2_alpha"):
        routes += [
            ("GET", f"/api/{version}/notifications", grouped_index),
            ("GET", f"/api/{version}/notifications/unread_count", unread_count),
            ("GET", f"/api/{version}/notifications/{{group_key:ungrouped-[0-9]+}}", grouped_show),
            (
                "GET",
                f"/api/{version}/notifications/{{group_key:ungrouped-[0-9]+}}/accounts",
                grouped_accounts,
            ),
            (
                "POST",
                f"/api/{version}/notifications/{{group_key:ungrouped-[0-9]+}}/dismiss",
                grouped_dismiss,
            ),
        ]
    add_routes(app, routes)
