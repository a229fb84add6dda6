"""Articles through the client API (`/api/v1/rukun/articles…`): write one in Markdown, edit
it, read it whole, list them. An article is a status, so writing and editing go through the
same commands as statuses (`outbox.posting`, `outbox.interactions`) and the answer to a write
is the Status entity; reading adds what the Status entity leaves out (the Markdown source
and the whole HTML body). Errors have Mastodon's shape: 422 for what cannot be stored, 404
for what the viewer may not see."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.preferences import get_preferences
from content.articles import article_ids
from content.compose import ComposeError, Draft
from content.edits import Edit
from content.status_lookup import access_status
from content.statuses import Status, get_statuses
from outbox.posting import do_post
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import grant_for, require_member, viewer_for
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.status_access import NOT_FOUND, path_id, render_one, render_statuses
from web.mastodon.statuses import REPLY_NOT_FOUND, edit_and_render, language_of, visibility_of


def _text(params: Params, name: str) -> str:
    return params.string(name, "") or ""


def _article(status: Status, rendered: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": rendered,
        "title": status.title,
        "summary": status.summary,
        # Ours keep the Markdown they were written in; another server's are HTML only.
        "body_markdown": status.text if status.local else None,
        "content_html": status.content,
    }


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:statuses")
    grant = await grant_for(request)
    params = await Params.read(request)
    conn = connection(request)
    preferences = await get_preferences(conn, member.user_id)
    draft = Draft(
        kind="article",
        title=_text(params, "title"),
        summary=_text(params, "summary"),
        text=_text(params, "body"),
        visibility=visibility_of(params, preferences.default_visibility),
        sensitive=bool(params.boolean("sensitive", False)),
        language=language_of(params) or preferences.default_language,
        in_reply_to_id=params.id("in_reply_to_id"),
        media_ids=tuple(params.ids("media_ids")),
        application_id=grant.application_id if grant else None,
    )
    viewer = await viewer_for(request, member)
    if draft.in_reply_to_id is not None and not await access_status(
        conn, viewer, draft.in_reply_to_id
    ):
        raise ApiError(404, REPLY_NOT_FOUND)
    site = config(request).site
    try:
        status = await do_post(conn, site, member.account.id, draft)
    except ComposeError as error:
        raise ApiError(422, str(error)) from None
    return json_response(await render_one(request, status.id, member.account.id))


async def update(request: web.Request) -> web.Response:
    """Like `PUT /api/v1/statuses/:id`, what is left out is cleared (media) or kept (title,
    summary and language, which an article always has)."""
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    conn = connection(request)
    status = await access_status(conn, await viewer_for(request, member), path_id(request))
    if status is None or status.account_id != member.account.id or not status.is_article:
        raise ApiError(404, NOT_FOUND)
    edit = Edit(
        text=_text(params, "body"),
        title=params.string("title"),
        summary=params.string("summary"),
        sensitive=bool(params.boolean("sensitive", False)),
        language=language_of(params),
        media_ids=tuple(dict.fromkeys(params.ids("media_ids"))),
    )
    return await edit_and_render(request, member, status, edit)


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    conn = connection(request)
    status = await access_status(conn, await viewer_for(request, member), path_id(request))
    if status is None or not status.is_article:
        raise ApiError(404, NOT_FOUND)
    return json_response(_article(status, await render_one(request, status.id, member.account.id)))


async def index(request: web.Request) -> web.Response:
    """Newest first, of everyone or of `account_id`; paged by `max_id` with a `Link` header."""
    member = await require_member(request, "read:statuses")
    params = await Params.read(request)
    page = page_from(params)
    conn = connection(request)
    viewer = await viewer_for(request, member)
    ids = await article_ids(
        conn, viewer, account_id=params.id("account_id"), max_id=page.max_id, limit=page.limit
    )
    rendered = await render_statuses(request, ids, member.account.id)
    statuses = await get_statuses(conn, ids)
    articles = [_article(statuses[int(item["id"])], item) for item in rendered]
    return with_link(json_response(articles), request, ids)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/rukun/articles", create),
            ("GET", "/api/v1/rukun/articles", index),
            ("GET", "/api/v1/rukun/articles/{id}", show),
            ("PUT", "/api/v1/rukun/articles/{id}", update),
        ],
    )
