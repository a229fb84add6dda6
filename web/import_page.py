"""`/settings/import`: the member's import page — a form (type, mode, file) and the progress
of their imports with every row that failed. The form is multipart, read with the uploads'
own size limit, so its CSRF token is checked here from the parsed form rather than by
`member_page` (which reads forms with the app's small body limit)."""

from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from actors.credentials import WebSession
from actors.import_files import ImportFileError
from actors.imports import list_imports
from content.archives import MAX_ARCHIVE_BYTES
from content.import_uploads import IMPORT_TYPES, do_accept_import
from web.auth import (
    CSRF_FIELD,
    PASSWORD_PATH,
    SIGN_IN_PATH,
    check_origin,
    csrf_refused,
    current_session,
    member_page,
    tokens_match,
)
from web.errors import ApiError
from web.keys import connection
from web.mastodon.uploads import read_upload_form

PATH = "/settings/import"
TYPE_NAMES = {
    "following": "Following list",
    "blocking": "Blocking list",
    "muting": "Muting list",
    "domain_blocking": "Domain blocking list",
    "bookmarks": "Bookmarks",
    "lists": "Lists",
    "posts": "Archive of posts (zip)",
}


async def _page(
    request: web.Request, session: WebSession, errors: list[str], status: int = 200
) -> web.StreamResponse:
    imports = await list_imports(connection(request), session.member.account.id)
    context = {
        "imports": imports,
        "errors": errors,
        "types": [(kind, TYPE_NAMES[kind]) for kind in IMPORT_TYPES],
    }
    response = aiohttp_jinja2.render_template("settings_import.html", request, context)
    response.set_status(status)
    return response


@member_page
async def show(request: web.Request) -> web.StreamResponse:
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    return await _page(request, session, [])


async def submit(request: web.Request) -> web.StreamResponse:
    session = await current_session(request)
    if session is None:
        raise web.HTTPFound(URL(SIGN_IN_PATH).with_query(next=PATH))
    if session.member.password_change_required:
        raise web.HTTPFound(PASSWORD_PATH)
    check_origin(request)
    try:
        form = await read_upload_form(
            request, max_file_bytes=MAX_ARCHIVE_BYTES, max_total_bytes=MAX_ARCHIVE_BYTES + 65536
        )
    except ApiError as error:
        message = json.loads(error.text or "{}").get("error", "The upload was refused")
        return await _page(request, session, [message], status=error.status)
    if not tokens_match(session.csrf_token, form.fields.get(CSRF_FIELD, "")):
        raise csrf_refused()
    upload = form.files.get("data")
    if upload is None or not upload.data:
        return await _page(request, session, ["Choose a file to import"], status=422)
    try:
        await do_accept_import(
            connection(request),
            session.member.account.id,
            form.fields.get("type", ""),
            upload.data,
            mode=form.fields.get("mode", "merge"),
            filename=upload.filename or "",
        )
    except ImportFileError as error:
        return await _page(request, session, error.errors, status=422)
    raise web.HTTPSeeOther(PATH)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, show, name="settings_import")
    app.router.add_post(PATH, submit)
