"""The compose form (on the home page, `/compose`, and under a status to reply): text,
content warning, visibility, up to four images with their descriptions. The images go
through `content.media` as `POST /api/v1/media` does (processed before the post is made),
the post through `outbox.posting.do_post` as `POST /api/v1/statuses` does.

The form is multipart, read with the uploads' own size limit, so its CSRF token is checked
here from the parsed form (`member_page` reads forms with the app's small body limit)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from actors.preferences import get_preferences
from actors.remote import RemoteLookup
from content.access import VISIBILITIES, Viewer
from content.compose import ComposeError, Draft
from content.images import MediaError
from content.media import MAX_UPLOAD_BYTES, do_upload_media
from content.status_lookup import access_status
from content.status_views import load_status_views
from outbox.posting import do_post
from web.auth import (
    CSRF_FIELD,
    PASSWORD_PATH,
    SIGN_IN_PATH,
    check_origin,
    csrf_refused,
    current_session,
    member_page,
    safe_next,
    tokens_match,
)
from web.errors import ApiError
from web.keys import config, connection, federation
from web.mastodon.uploads import UploadForm, read_upload_form
from web.status_entries import (
    VISIBILITY_NAMES,
    id_param,
    page_viewer,
    refuse_read_only,
    status_entries,
)

PATH = "/compose"
IMAGE_SLOTS = 4
# Internal first: on a members-only node most posts are for colleagues.
_ORDER = ("local", "public", "unlisted", "private", "direct")
MAX_BODY_BYTES = IMAGE_SLOTS * MAX_UPLOAD_BYTES + 256 * 1024


def visibility_choices(viewer: Viewer) -> list[tuple[str, str]]:
    """What the member may choose; internal posts are for the organisation's own people."""
    return [
        (name, VISIBILITY_NAMES[name])
        for name in _ORDER
        if name in VISIBILITIES and not (name == "local" and viewer.is_customer)
    ]


async def compose_context(
    request: web.Request,
    viewer: Viewer,
    *,
    reply_to: dict[str, Any] | None = None,
    draft: dict[str, str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    session = await current_session(request)
    assert session is not None  # only member pages show the form
    preferences = await get_preferences(connection(request), session.member.user_id)
    default = preferences.default_visibility
    text = ""
    if reply_to is not None and reply_to["author"]["id"] != viewer.account_id:
        text = f"@{reply_to['author']['handle']} "
    if reply_to is not None:
        # A reply is never wider than what it answers.
        default = reply_to["visibility"] if reply_to["visibility"] != "public" else default
    choices = visibility_choices(viewer)
    if default not in {name for name, _ in choices}:
        default = "private"
    return {
        "compose": {
            "visibilities": choices,
            "visibility": (draft or {}).get("visibility") or default,
            "sensitive": preferences.default_sensitive,
            "text": (draft or {}).get("status", text),
            "spoiler_text": (draft or {}).get("spoiler_text", ""),
            "reply_to": reply_to,
            "slots": range(1, IMAGE_SLOTS + 1),
            "error": error,
            "next": request.path_qs,
        }
    }


@member_page
async def compose_page(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    reply_to = await _reply_entry(request, viewer, request.query.get("in_reply_to_id"))
    context = await compose_context(request, viewer, reply_to=reply_to)
    return aiohttp_jinja2.render_template("compose.html", request, context)


async def _reply_entry(
    request: web.Request, viewer: Viewer, raw: str | None
) -> dict[str, Any] | None:
    if not raw:
        return None
    conn = connection(request)
    status_id = id_param(raw)
    status = await access_status(conn, viewer, status_id) if status_id is not None else None
    if status is None:
        raise web.HTTPNotFound()
    views = await load_status_views(conn, [status.id], viewer.account_id)
    if status.id not in views:
        raise web.HTTPNotFound()
    return status_entries(request, [views[status.id]])[0]


async def read_form(
    request: web.Request, *, max_file_bytes: int, max_total_bytes: int
) -> UploadForm:
    """A page's form with files: multipart as browsers send it, or urlencoded when no file
    input was filled in by a client that chose so."""
    if request.content_type == "application/x-www-form-urlencoded":
        posted = await request.post()
        form = UploadForm()
        for name, value in posted.items():
            if isinstance(value, str):
                form.fields.add(name, value)
        return form
    return await read_upload_form(
        request, max_file_bytes=max_file_bytes, max_total_bytes=max_total_bytes
    )


async def _read_form(request: web.Request) -> UploadForm:
    session = await current_session(request)
    if session is None:
        raise web.HTTPFound(URL(SIGN_IN_PATH).with_query(next=PATH))
    if session.member.password_change_required:
        raise web.HTTPFound(PASSWORD_PATH)
    check_origin(request)
    form = await read_form(request, max_file_bytes=MAX_UPLOAD_BYTES, max_total_bytes=MAX_BODY_BYTES)
    if not tokens_match(session.csrf_token, form.fields.get(CSRF_FIELD, "")):
        raise csrf_refused()
    refuse_read_only(session.member)
    return form


async def _refused(
    request: web.Request, viewer: Viewer, form: UploadForm, message: str, status: int
) -> web.StreamResponse:
    reply_to = await _reply_entry(request, viewer, form.fields.get("in_reply_to_id"))
    context = await compose_context(
        request, viewer, reply_to=reply_to, draft=dict(form.fields), error=message
    )
    return aiohttp_jinja2.render_template("compose.html", request, context, status=status)


async def submit(request: web.Request) -> web.StreamResponse:
    """`POST /compose`: upload the images, post, and go back to where the form was."""
    try:
        form = await _read_form(request)
    except ApiError as error:
        message = json.loads(error.text or "{}").get("error", "The upload was refused")
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_BODY_BYTES, actual_size=request.content_length or 0, reason=message
        ) from None
    viewer = await page_viewer(request)
    fields = form.fields
    visibility = fields.get("visibility", "")
    allowed = {name for name, _ in visibility_choices(viewer)}
    if visibility not in allowed:
        return await _refused(request, viewer, form, "Choose who may see the post.", 422)
    reply_to = id_param(fields.get("in_reply_to_id")) if fields.get("in_reply_to_id") else None
    conn = connection(request)
    if reply_to is not None and await access_status(conn, viewer, reply_to) is None:
        raise web.HTTPNotFound()
    site = config(request).site
    media_ids = []
    try:
        for slot in range(1, IMAGE_SLOTS + 1):
            upload = form.files.get(f"image_{slot}")
            if upload is None or not upload.data:
                continue
            row = await do_upload_media(
                conn,
                config(request).media_root,
                viewer.account_id,
                upload.data,
                description=fields.get(f"description_{slot}", ""),
                focus=(0.0, 0.0),
                process_now=True,
            )
            media_ids.append(row["id"])
        session = await current_session(request)
        assert session is not None  # _read_form checked it
        preferences = await get_preferences(conn, session.member.user_id)
        draft = Draft(
            text=fields.get("status", ""),
            spoiler_text=fields.get("spoiler_text", ""),
            visibility=visibility,
            sensitive=bool(fields.get("sensitive")) or bool(fields.get("spoiler_text")),
            language=preferences.default_language,
            in_reply_to_id=reply_to,
            media_ids=tuple(media_ids),
        )
        remote = RemoteLookup(federation(request), config(request).federation_mode)
        status = await do_post(conn, site, viewer.account_id, draft, remote=remote)
    except (ComposeError, MediaError) as error:
        return await _refused(request, viewer, form, str(error), 422)
    back = safe_next(fields.get("next"))
    if back == PATH or back.startswith(PATH + "?"):
        back = "/"
    raise web.HTTPSeeOther(f"{back}#status-{status.id}" if "#" not in back else back)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, compose_page, name="compose")
    app.router.add_post(PATH, submit)
