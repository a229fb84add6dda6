"""`/settings`: the member's profile (name, bio, fields, organisation details, pictures) and
posting defaults, saved through `outbox.profile_updates.do_update_credentials` as
`PATCH /api/v1/accounts/update_credentials` saves them; the browser sessions and app tokens
holding access to the account, each of which can be ended; and links to the password,
export and import pages. The profile form is multipart (pictures), so its CSRF token is
checked from the parsed form."""

from __future__ import annotations

import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from actors.accounts import get_member_by_user_id
from actors.credentials import (
    WebSession,
    do_end_session,
    do_revoke_token,
    list_app_tokens,
    list_sessions,
)
from actors.preferences import get_preferences
from actors.profile_edits import ProfileEdit, ProfileError
from content.access import Viewer
from content.images import MediaError
from content.media import MAX_PROFILE_IMAGE_BYTES
from outbox.profile_updates import do_update_credentials
from web.auth import (
    CSRF_FIELD,
    PASSWORD_PATH,
    SIGN_IN_PATH,
    check_origin,
    csrf_refused,
    current_session,
    form_text,
    member_page,
    tokens_match,
)
from web.compose_form import read_form, visibility_choices
from web.errors import ApiError
from web.keys import SESSION_COOKIE, config, connection
from web.pages import profile_fields
from web.status_entries import id_param, page_viewer, refuse_read_only

PATH = "/settings"
FIELD_SLOTS = 4


def _default_choices(viewer: Viewer) -> list[tuple[str, str]]:
    """A default audience is one of Mastodon's three or internal; never direct."""
    return [choice for choice in visibility_choices(viewer) if choice[0] != "direct"]


async def _session(request: web.Request) -> WebSession:
    session = await current_session(request)
    if session is None:
        raise web.HTTPFound(URL(SIGN_IN_PATH).with_query(next=PATH))
    if session.member.password_change_required:
        raise web.HTTPFound(PASSWORD_PATH)
    return session


async def _render(
    request: web.Request, *, error: str = "", status: int = 200
) -> web.StreamResponse:
    session = await _session(request)
    conn = connection(request)
    member = session.member
    viewer = await page_viewer(request)
    fields = profile_fields(member.account)
    fields += [("", "")] * (FIELD_SLOTS - len(fields))
    context: dict[str, Any] = {
        "account": member.account,
        "fields": fields[:FIELD_SLOTS],
        "preferences": await get_preferences(conn, member.user_id),
        "visibilities": _default_choices(viewer),
        "sessions": await list_sessions(conn, member.user_id, request.cookies[SESSION_COOKIE]),
        "tokens": await list_app_tokens(conn, member.user_id),
        "saved": request.query.get("saved", ""),
        "error": error,
    }
    return aiohttp_jinja2.render_template("settings.html", request, context, status=status)


@member_page
async def settings(request: web.Request) -> web.StreamResponse:
    return await _render(request)


async def save_profile(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    check_origin(request)
    try:
        form = await read_form(
            request,
            max_file_bytes=MAX_PROFILE_IMAGE_BYTES,
            max_total_bytes=2 * MAX_PROFILE_IMAGE_BYTES + 1024 * 1024,
        )
    except ApiError as error:
        message = json.loads(error.text or "{}").get("error", "The upload was refused")
        return await _render(request, error=message, status=error.status)
    fields = form.fields
    if not tokens_match(session.csrf_token, fields.get(CSRF_FIELD, "")):
        raise csrf_refused()
    refuse_read_only(session.member, as_itself=False)
    pairs = [
        (fields.get(f"field_name_{i}", ""), fields.get(f"field_value_{i}", ""))
        for i in range(1, FIELD_SLOTS + 1)
    ]
    skills = [s.strip() for s in fields.get("skills", "").split(",") if s.strip()]
    edit = ProfileEdit(
        display_name=fields.get("display_name", ""),
        note=fields.get("note", ""),
        fields=[(name, value) for name, value in pairs if name or value],
        department=fields.get("department", ""),
        job_title=fields.get("job_title", ""),
        location=fields.get("location", ""),
        phone=fields.get("phone", ""),
        skills=skills,
        start_date=fields.get("start_date", ""),
    )
    avatar, header = form.files.get("avatar"), form.files.get("header")
    try:
        await do_update_credentials(
            connection(request),
            config(request).site,
            config(request).media_root,
            session.member,
            edit,
            avatar=avatar.data if avatar and avatar.data else None,
            header=header.data if header and header.data else None,
        )
    except (ProfileError, MediaError) as error:
        return await _render(request, error=str(error), status=422)
    raise web.HTTPSeeOther(f"{PATH}?saved=profile")


@member_page
async def save_preferences(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    refuse_read_only(session.member, as_itself=False)
    form = await request.post()
    visibility = form_text(form, "default_visibility")
    viewer = await page_viewer(request)
    if visibility not in {name for name, _ in _default_choices(viewer)}:
        return await _render(request, error="Choose a default audience.", status=422)
    conn = connection(request)
    member = await get_member_by_user_id(conn, session.member.user_id)
    assert member is not None  # signed in just now
    edit = ProfileEdit(
        default_privacy=visibility,
        default_sensitive=form_text(form, "default_sensitive") == "1",
    )
    try:
        await do_update_credentials(
            conn, config(request).site, config(request).media_root, member, edit
        )
    except ProfileError as error:
        return await _render(request, error=str(error), status=422)
    raise web.HTTPSeeOther(f"{PATH}?saved=preferences")


@member_page
async def end_session(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    key = form_text(await request.post(), "key")
    if not await do_end_session(connection(request), session.member.user_id, key[:128]):
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(f"{PATH}#sessions")


@member_page
async def revoke_token(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    token_id = id_param(request.match_info["id"])
    conn = connection(request)
    if token_id is None or not await do_revoke_token(conn, session.member.user_id, token_id):
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(f"{PATH}#apps")


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, settings, name="settings")
    app.router.add_post(f"{PATH}/profile", save_profile)
    app.router.add_post(f"{PATH}/preferences", save_preferences)
    app.router.add_post(f"{PATH}/sessions/end", end_session)
    app.router.add_post(f"{PATH}/apps/{{id}}/revoke", revoke_token)
