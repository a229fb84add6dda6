"""Writing articles from the browser: `/articles/new` and `/@name/articles/{id}/edit`
(title, summary, Markdown body, visibility). They post and edit through the commands
`POST /api/v1/rukun/articles` and `PUT /api/v1/rukun/articles/:id` use (`outbox.posting.do_post`
with an article draft, `outbox.interactions.do_edit_status`); the article's own page
(`web.article_pages`) shows the rendered Markdown."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.preferences import get_preferences
from content.access import Viewer
from content.articles import article_path
from content.compose import ComposeError, Draft
from content.edits import Edit
from content.status_lookup import access_status
from content.status_views import load_status_views
from content.statuses import Status
from outbox.interactions import do_edit_status
from outbox.posting import do_post
from web.auth import current_session, form_text, member_page
from web.compose_form import visibility_choices
from web.keys import config, connection
from web.status_entries import id_param, page_viewer, refuse_read_only

NEW_PATH = "/articles/new"


def _render(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    *,
    editing: Status | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    context: dict[str, Any] = {
        "values": values,
        "visibilities": visibility_choices(viewer),
        "editing": editing,
        "action": request.path,
        "error": error,
    }
    return aiohttp_jinja2.render_template("article_form.html", request, context, status=status)


@member_page
async def new_form(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    preferences = await get_preferences(connection(request), session.member.user_id)
    default = preferences.default_visibility
    if default == "local" and viewer.is_customer:
        default = "private"
    return _render(request, viewer, {"visibility": default})


def _values(form: Any) -> dict[str, str]:
    return {name: form_text(form, name) for name in ("title", "summary", "body", "visibility")}


@member_page
async def create(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    refuse_read_only(session.member)
    values = _values(await request.post())
    if values["visibility"] not in {name for name, _ in visibility_choices(viewer)}:
        return _render(request, viewer, values, error="Choose who may read it.", status=422)
    conn = connection(request)
    preferences = await get_preferences(conn, session.member.user_id)
    draft = Draft(
        kind="article",
        title=values["title"],
        summary=values["summary"],
        text=values["body"],
        visibility=values["visibility"],
        language=preferences.default_language,
    )
    try:
        status = await do_post(conn, config(request).site, viewer.account_id, draft)
    except ComposeError as error:
        return _render(request, viewer, values, error=str(error), status=422)
    raise web.HTTPSeeOther(article_path(session.member.username, status.id))


async def _own_article(request: web.Request, viewer: Viewer) -> Status:
    status_id = id_param(request.match_info["id"])
    conn = connection(request)
    status = await access_status(conn, viewer, status_id) if status_id is not None else None
    session = await current_session(request)
    if (
        status is None
        or session is None
        or status.account_id != viewer.account_id
        or not status.is_article
        or request.match_info["name"].lower() != session.member.username.lower()
    ):
        raise web.HTTPNotFound()
    return status


@member_page
async def edit_form(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    status = await _own_article(request, viewer)
    values = {
        "title": status.title,
        "summary": status.summary,
        "body": status.text,
        "visibility": status.visibility,
    }
    return _render(request, viewer, values, editing=status)


@member_page
async def update(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    status = await _own_article(request, viewer)
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    refuse_read_only(session.member)
    values = _values(await request.post())
    values["visibility"] = status.visibility  # an edit never changes who may read it
    conn = connection(request)
    views = await load_status_views(conn, [status.id], viewer.account_id)
    kept_media = tuple(row["id"] for row in views[status.id].media) if status.id in views else ()
    edit = Edit(
        text=values["body"],
        title=values["title"],
        summary=values["summary"],
        sensitive=status.sensitive,
        media_ids=kept_media,
    )
    try:
        await do_edit_status(conn, config(request).site, viewer.account_id, status, edit)
    except ComposeError as error:
        return _render(request, viewer, values, editing=status, error=str(error), status=422)
    except LookupError:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(article_path(request.match_info["name"], status.id))


def setup(app: web.Application) -> None:
    app.router.add_get(NEW_PATH, new_form, name="new_article")
    app.router.add_post(NEW_PATH, create)
    app.router.add_get(r"/@{name}/articles/{id:\d+}/edit", edit_form, name="edit_article")
    app.router.add_post(r"/@{name}/articles/{id:\d+}/edit", update)
