"""Rukun's group endpoints, for what Mastodon's API has no words for (`/api/v1/rukun/groups`):
create, show, change and close a group; its members, join requests, admins and moderation;
its timeline. Joining and leaving stay Mastodon's follow and unfollow of the group's account,
and posting to a group is mentioning it.

A members-only group is not found by whoever is not a member (nor its staff); customers see
only the groups they belong to in lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.account_lookup import find_account
from actors.accounts import Member
from actors.groups import Group, GroupError, get_group, is_member, list_groups, staff_role
from actors.relationships import list_page
from content.access import Viewer
from content.group_posts import group_timeline
from content.status_lookup import access_status
from content.status_views import load_status_views
from outbox.groups import (
    NotGroupStaff,
    check_group_staff,
    do_add_staff,
    do_answer_join,
    do_close_group,
    do_create_group,
    do_invite,
    do_remove_member,
    do_remove_post,
    do_update_group,
)
from outbox.relationships import NoFollowRequest
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.account_pages import account_id_from, accounts_page, window_from
from web.mastodon.auth import require_member, viewer_for
from web.mastodon.entities.accounts import render_account
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.timelines import statuses_page

NOT_FOUND = "Record not found"
NOT_ALLOWED = "This action is not allowed"


async def _render(request: web.Request, group: Group, viewer_id: int) -> dict[str, Any]:
    conn = connection(request)
    view = await find_account(conn, group.id)
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return {
        "id": str(group.id),
        "account": render_account(view, config(request).site),
        "policy": group.policy,
        "visibility": group.visibility,
        "partner_domains": list(group.partner_domains),
        "project": group.is_project,
        "description_status_id": (
            str(group.description_status_id) if group.description_status_id else None
        ),
        "members_count": view.followers_count,
        "member": await is_member(conn, group.id, viewer_id),
        "role": await staff_role(conn, group.id, viewer_id),
    }


async def _seen_group(request: web.Request, viewer: Viewer) -> Group:
    """The group the path names, if the viewer may know of it."""
    conn = connection(request)
    group = await get_group(conn, account_id_from(request))
    if group is None or group.account.suspended_at is not None:
        raise ApiError(404, NOT_FOUND)
    if group.members_only or viewer.is_customer:
        belongs = await is_member(conn, group.id, viewer.account_id)
        if not belongs and await staff_role(conn, group.id, viewer.account_id) is None:
            raise ApiError(404, NOT_FOUND)
    return group


async def _staff_group(
    request: web.Request, scope: str, *, admin: bool = True
) -> tuple[Member, Group]:
    member = await require_member(request, scope)
    group = await _seen_group(request, await viewer_for(request, member))
    try:
        await check_group_staff(connection(request), group, member.account.id, admin=admin)
    except NotGroupStaff:
        raise ApiError(403, NOT_ALLOWED) from None
    return member, group


def _domains(params: Params) -> list[str] | None:
    """`partner_domains[]=a&partner_domains[]=b`, a JSON array, or one comma-separated value."""
    if "partner_domains" not in params and "partner_domains[]" not in params:
        return None
    items = [part for item in params.strings("partner_domains") for part in item.split(",")]
    return [item.strip() for item in items if item.strip()]


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    viewer = await viewer_for(request, member)
    params = await Params.read(request)
    mine = bool(params.boolean("mine", False)) or viewer.is_customer
    groups = await list_groups(connection(request), member.account.id if mine else None)
    shown = []
    for group in groups:
        if group.members_only and not mine:
            conn = connection(request)
            if not await is_member(conn, group.id, member.account.id):
                continue
        shown.append(await _render(request, group, member.account.id))
    return json_response(shown)


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    if member.role == "customer":
        raise ApiError(403, NOT_ALLOWED)
    params = await Params.read(request)
    try:
        group = await do_create_group(
            connection(request),
            config(request).site,
            member.account,
            params.string("name", "") or "",
            display_name=params.string("display_name", "", max_length=100) or "",
            description=params.string("description", "") or "",
            policy=params.string("policy", "open") or "open",
            visibility=params.string("visibility", "public") or "public",
            partner_domains=_domains(params) or [],
            is_project=bool(params.boolean("project", False)),
        )
    except GroupError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    return json_response(await _render(request, group, member.account.id))


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    group = await _seen_group(request, await viewer_for(request, member))
    return json_response(await _render(request, group, member.account.id))


async def update(request: web.Request) -> web.Response:
    member, group = await _staff_group(request, "write:accounts")
    params = await Params.read(request)
    try:
        group = await do_update_group(
            connection(request),
            group,
            display_name=params.string("display_name", max_length=100),
            description=params.string("description"),
            policy=params.string("policy"),
            visibility=params.string("visibility"),
            partner_domains=_domains(params),
        )
    except GroupError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    return json_response(await _render(request, group, member.account.id))


async def close(request: web.Request) -> web.Response:
    _, group = await _staff_group(request, "write:accounts")
    await do_close_group(connection(request), group)
    return json_response({})


async def members(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    group = await _seen_group(request, await viewer_for(request, member))
    window = window_from(await Params.read(request), default=40, maximum=80)
    listed = await list_page(connection(request), "followers", group.id, window)
    return await accounts_page(request, listed)


async def requests(request: web.Request) -> web.Response:
    _, group = await _staff_group(request, "read:follows")
    window = window_from(await Params.read(request), default=40, maximum=80)
    listed = await list_page(connection(request), "follow_requests", group.id, window)
    return await accounts_page(request, listed)


async def _answer(request: web.Request, accept: bool) -> web.Response:
    _, group = await _staff_group(request, "write:follows")
    requester = await find_account(connection(request), account_id_from(request, "account_id"))
    if requester is None:
        raise ApiError(404, NOT_FOUND)
    try:
        await do_answer_join(
            connection(request), config(request).site, group, requester.account, accept=accept
        )
    except NoFollowRequest:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await _render(request, group, requester.account.id))


async def authorize(request: web.Request) -> web.Response:
    return await _answer(request, True)


async def reject(request: web.Request) -> web.Response:
    return await _answer(request, False)


async def remove_member(request: web.Request) -> web.Response:
    _, group = await _staff_group(request, "write:follows")
    target = await find_account(connection(request), account_id_from(request, "account_id"))
    if target is None:
        raise ApiError(404, NOT_FOUND)
    await do_remove_member(connection(request), config(request).site, group, target.account)
    return json_response(await _render(request, group, target.account.id))


async def _named_account(request: web.Request, params: Params) -> Any:
    text = params.string("account_id", "") or ""
    view = await find_account(connection(request), int(text)) if text.isdigit() else None
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return view.account


async def add_admin(request: web.Request) -> web.Response:
    member, group = await _staff_group(request, "write:accounts")
    params = await Params.read(request)
    account = await _named_account(request, params)
    try:
        await do_add_staff(
            connection(request), group, account, params.string("role", "admin") or "admin"
        )
    except GroupError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    return json_response(await _render(request, group, member.account.id))


async def invite(request: web.Request) -> web.Response:
    member, group = await _staff_group(request, "write:follows")
    account = await _named_account(request, await Params.read(request))
    await do_invite(connection(request), group, account)
    return json_response(await _render(request, group, member.account.id))


async def remove_post(request: web.Request) -> web.Response:
    member, group = await _staff_group(request, "write:statuses", admin=False)
    viewer = await viewer_for(request, member)
    status = await access_status(connection(request), viewer, account_id_from(request, "status_id"))
    if status is None:
        raise ApiError(404, NOT_FOUND)
    await do_remove_post(connection(request), config(request).site, group, status)
    return json_response({})


async def timeline(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    viewer = await viewer_for(request, member)
    group = await _seen_group(request, viewer)
    conn = connection(request)
    window = window_from(await Params.read(request), default=20, maximum=40)
    statuses = await group_timeline(conn, group.id, viewer, window)
    views = await load_status_views(conn, [s.id for s in statuses], viewer.account_id)
    ordered = [views[s.id] for s in statuses if s.id in views]
    return statuses_page(request, ordered, viewer.account_id)


def setup(app: web.Application) -> None:
    base = "/api/v1/rukun/groups"
    add_routes(
        app,
        [
            ("GET", base, index),
            ("POST", base, create),
            ("GET", f"{base}/{{id}}", show),
            ("PATCH", f"{base}/{{id}}", update),
            ("PUT", f"{base}/{{id}}", update),
            ("DELETE", f"{base}/{{id}}", close),
            ("GET", f"{base}/{{id}}/members", members),
            ("POST", f"{base}/{{id}}/members/{{account_id}}/remove", remove_member),
            ("GET", f"{base}/{{id}}/requests", requests),
            ("POST", f"{base}/{{id}}/requests/{{account_id}}/authorize", authorize),
            ("POST", f"{base}/{{id}}/requests/{{account_id}}/reject", reject),
            ("POST", f"{base}/{{id}}/admins", add_admin),
            ("POST", f"{base}/{{id}}/invites", invite),
            ("POST", f"{base}/{{id}}/statuses/{{status_id}}/remove", remove_post),
            ("GET", f"{base}/{{id}}/timeline", timeline),
        ],
    )
