"""Accounts: the member's own (verify and update credentials), others' profiles, their
statuses, followers and following, lookup and search. Following, blocking, muting and the
lists they make are in `web.mastodon.relationships`, registered from here.

Unknown, suspended and hidden accounts (the instance actor) answer 404 `Record not found`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.account_lookup import find_accounts, lookup_account, search_accounts
from actors.accounts import Member, get_member_by_user_id
from actors.preferences import get_preferences
from actors.profile_edits import ProfileEdit, ProfileError
from actors.profiles import load_account
from actors.relationships import count_follow_requests, is_blocking, list_page
from content.access import hides_customers
from content.account_statuses import ProfileFilter, profile_status_ids
from content.images import MediaError
from content.media import MAX_PROFILE_IMAGE_BYTES
from content.status_views import load_status_views
from outbox.profile_updates import do_remove_profile_image, do_update_credentials
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon import relationships
from web.mastodon.account_pages import (
    NOT_FOUND,
    accounts_page,
    shown_accounts,
    shown_views,
    target_account,
    window_from,
)
from web.mastodon.auth import require_member, require_viewer
from web.mastodon.entities.accounts import render_account, render_credential_account
from web.mastodon.entities.statuses import render_status
from web.mastodon.paging import with_link
from web.mastodon.params import Params, nest
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.uploads import UploadedFile, read_upload_form

MAX_ACCOUNTS = 40  # GET /api/v1/accounts?id[]=…, as Mastodon limits it


# -- the member's own account ---------------------------------------------------------------


async def credential_account(request: web.Request, member: Member) -> web.Response:
    conn = connection(request)
    view = await load_account(conn, member.account.id)
    assert view is not None
    preferences = await get_preferences(conn, member.user_id)
    return json_response(
        render_credential_account(
            view,
            member,
            config(request).site,
            follow_requests_count=await count_follow_requests(conn, member.account.id),
            default_privacy=preferences.default_visibility,
            default_sensitive=preferences.default_sensitive,
            default_language=preferences.default_language,
        )
    )


async def verify_credentials(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts", "profile")
    return await credential_account(request, member)


def _fields(params: Params) -> list[tuple[str, str]] | None:
    if "fields_attributes" not in params:
        return None
    fields = []
    for entry in params.objects("fields_attributes"):
        item = Params(entry)
        name = item.string("name", "")
        value = item.string("value", "")
        assert name is not None and value is not None
        fields.append((name, value))
    return fields


def manager_param(params: Params) -> tuple[int | None, bool]:
    """`manager_id`: an account id sets the manager, "" (or JSON null) clears it."""
    if "manager_id" not in params:
        return None, False
    if params.raw("manager_id") in ("", None):
        return None, True
    return params.id("manager_id"), False


def organisation_edit(params: Params) -> dict[str, Any]:
    """Rukun's organisation profile, namespaced so no Mastodon parameter is shadowed:
    `rukun[department]`, `rukun[job_title]`, `rukun[manager_id]`, `rukun[location]`,
    `rukun[phone]`, `rukun[skills][]`, `rukun[start_date]` (form or JSON). The top-level
    `department`, `job_title` and `location` of earlier versions still work."""
    rukun = Params(params.mapping("rukun"))
    manager_id, clear_manager = manager_param(rukun)
    return {
        "department": rukun.string("department", params.string("department")),
        "job_title": rukun.string("job_title", params.string("job_title")),
        "location": rukun.string("location", params.string("location")),
        "phone": rukun.string("phone"),
        "skills": rukun.strings("skills") if "skills" in rukun or "skills[]" in rukun else None,
        "start_date": rukun.string("start_date"),
        "manager_id": manager_id,
        "clear_manager": clear_manager,
    }


def profile_edit(params: Params) -> ProfileEdit:
    source = Params(params.mapping("source"))
    return ProfileEdit(
        display_name=params.string("display_name"),
        note=params.string("note"),
        locked=params.boolean("locked"),
        bot=params.boolean("bot"),
        discoverable=params.boolean("discoverable"),
        fields=_fields(params),
        **organisation_edit(params),
        default_privacy=source.string("privacy"),
        default_sensitive=source.boolean("sensitive"),
        default_language=source.string("language"),
    )


async def _read_edit(request: web.Request) -> tuple[Params, dict[str, UploadedFile]]:
    """Multipart bodies (with pictures) are streamed with their own size limit; JSON and
    urlencoded bodies go through the usual reader."""
    if request.content_type == "multipart/form-data":
        form = await read_upload_form(
            request,
            max_file_bytes=MAX_PROFILE_IMAGE_BYTES,
            max_total_bytes=2 * MAX_PROFILE_IMAGE_BYTES + 1024 * 1024,
        )
        params, files = Params(nest(form.fields)), form.files
    else:
        params, files = await Params.read(request), {}
    for name in ("avatar", "header"):
        if params.raw(name) is not None:
            raise ApiError(422, f"Validation failed: {name} must be an image file")
    return params, files


async def update_credentials(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    params, files = await _read_edit(request)
    edit = profile_edit(params)
    avatar, header = files.get("avatar"), files.get("header")
    try:
        await do_update_credentials(
            connection(request),
            config(request).site,
            config(request).media_root,
            member,
            edit,
            avatar=avatar.data if avatar else None,
            header=header.data if header else None,
        )
    except (ProfileError, MediaError) as error:
        raise ApiError(422, str(error)) from None
    updated = await get_member_by_user_id(connection(request), member.user_id)
    assert updated is not None
    return await credential_account(request, updated)


# -- other accounts ---------------------------------------------------------------------------


async def show(request: web.Request) -> web.Response:
    await require_member(request, "read:accounts")
    view = await target_account(request)
    return json_response(render_account(view, config(request).site))


async def index(request: web.Request) -> web.Response:
    await require_member(request, "read:accounts")
    ids = (await Params.read(request)).ids("id")
    if len(ids) > MAX_ACCOUNTS:
        raise ApiError(422, f"Validation failed: too many ids (maximum is {MAX_ACCOUNTS})")
    site = config(request).site
    views = await shown_views(request, await find_accounts(connection(request), ids))
    return json_response([render_account(view, site) for view in views])


async def lookup(request: web.Request) -> web.Response:
    await require_member(request, "read:accounts")
    acct = (await Params.read(request)).string("acct")
    if not acct:
        raise ApiError(400, "Missing parameter: acct")
    site = config(request).site
    view = await lookup_account(connection(request), acct, site.domain)
    if view is None or not await shown_accounts(request, [view.account.id]):
        raise ApiError(404, NOT_FOUND)
    return json_response(render_account(view, site))


async def search(request: web.Request) -> web.Response:
    """Search needs no WebFinger yet: `resolve` finds only accounts this node knows."""
    viewer = await require_viewer(request, "read:accounts")
    params = await Params.read(request)
    query = params.string("q", "") or ""
    limit = params.integer("limit", 40, minimum=1) or 40
    params.boolean("resolve", False)  # checked for its type; nothing remote to resolve yet
    site = config(request).site
    views = await search_accounts(
        connection(request),
        viewer.account_id,
        query,
        site.domain,
        limit=min(limit, 80),
        offset=params.integer("offset", 0, minimum=0) or 0,
        following=bool(params.boolean("following", False)),
        hidden_roles=("customer",) if hides_customers(viewer) else (),
    )
    return json_response([render_account(view, site) for view in views])


async def statuses(request: web.Request) -> web.Response:
    viewer = await require_viewer(request, "read:statuses")
    view = await target_account(request)
    params = await Params.read(request)
    window = window_from(params, default=20, maximum=40)
    options = ProfileFilter(
        only_media=bool(params.boolean("only_media", False)),
        exclude_replies=bool(params.boolean("exclude_replies", False)),
        exclude_reblogs=bool(params.boolean("exclude_reblogs", False)),
        exclude_direct=bool(params.boolean("exclude_direct", False)),
        pinned=bool(params.boolean("pinned", False)),
        tagged=params.string("tagged") or None,
    )
    conn = connection(request)
    ids = await profile_status_ids(conn, viewer, view.account.id, window, options)
    views = await load_status_views(conn, ids, viewer.account_id)
    site = config(request).site
    body = [render_status(views[i], site, viewer.account_id) for i in ids if i in views]
    return with_link(json_response(body), request, ids)


async def _follow_list(request: web.Request, kind: str) -> web.Response:
    member = await require_member(request, "read:accounts")
    view = await target_account(request)
    window = window_from(await Params.read(request), default=40, maximum=80)
    conn = connection(request)
    # Mastodon shows an account that blocks the viewer with empty lists.
    if await is_blocking(conn, view.account.id, member.account.id):
        return json_response([])
    return await accounts_page(request, await list_page(conn, kind, view.account.id, window))


async def followers(request: web.Request) -> web.Response:
    return await _follow_list(request, "followers")


async def following(request: web.Request) -> web.Response:
    return await _follow_list(request, "following")


async def delete_profile_image(request: web.Request) -> web.Response:
    """Mastodon 4.2's `DELETE /api/v1/profile/avatar` and `/header`."""
    member = await require_member(request, "write:accounts")
    which = request.match_info["image"]
    await do_remove_profile_image(
        connection(request), config(request).site, config(request).media_root, member, which
    )
    updated = await get_member_by_user_id(connection(request), member.user_id)
    assert updated is not None
    return await credential_account(request, updated)


def setup(app: web.Application) -> None:
    # Fixed paths first, so `/api/v1/accounts/{id}` never takes them.
    add_routes(
        app,
        [
            ("GET", "/api/v1/accounts/verify_credentials", verify_credentials),
            ("PATCH", "/api/v1/accounts/update_credentials", update_credentials),
            ("GET", "/api/v1/accounts/lookup", lookup),
            ("GET", "/api/v1/accounts/search", search),
            ("DELETE", "/api/v1/profile/{image:avatar|header}", delete_profile_image),
        ],
    )
    relationships.setup(app)
    add_routes(
        app,
        [
            ("GET", "/api/v1/accounts", index),
            ("GET", "/api/v1/accounts/{id}", show),
            ("GET", "/api/v1/accounts/{id}/statuses", statuses),
            ("GET", "/api/v1/accounts/{id}/followers", followers),
            ("GET", "/api/v1/accounts/{id}/following", following),
        ],
    )
