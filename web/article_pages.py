"""The article pages: one article whole, with its comments (the replies under it), and the
list of a member's articles. Like every page they need a signed-in member, and what the
member may not see (`content.access`) is not found. Bodies and comments are the sanitised
HTML stored with the status (`content.sanitise`); everything else is escaped by the templates."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from actors.accounts import get_member
from actors.node_policy import load_policy
from content.access import Viewer, may_see_account, viewer_of
from content.articles import article_ids, article_path
from content.sanitise import sanitise_article_html, sanitise_html
from content.status_lookup import access_status
from content.status_views import StatusView, load_status_views
from content.threads import descendant_ids
from web.auth import current_session, member_page
from web.keys import config, connection

PAGE_SIZE = 20
_MAX_ID = 2**63 - 1


async def _viewer(request: web.Request) -> Viewer:
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    return viewer_of(session.member, await load_policy(connection(request)))


def _id(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or int(raw) > _MAX_ID:
        return None
    return int(raw)


def _handle(view: StatusView) -> str:
    account = view.account.account
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def _body(view: StatusView, media_prefix: str) -> Markup:
    """The status's HTML for a template. It was cleaned when stored (ours from Markdown, other
    servers' on arrival); it is cleaned again here, by the same allow-lists, so a page never
    relies on how an older row was written."""
    status = view.status
    if status.is_article:
        cleaned = sanitise_article_html(status.content, media_prefix)
    else:
        cleaned = sanitise_html(status.content)
    return Markup(cleaned)  # noqa: S704 - cleaned by content.sanitise just above


def _entry(view: StatusView, media_prefix: str) -> dict[str, Any]:
    """What a template shows of a status: author, date, title and summary, HTML body."""
    account = view.account.account
    handle = _handle(view)
    status = view.status
    return {
        "id": status.id,
        "author": account.display_name or account.username,
        "handle": handle,
        "author_href": f"/@{handle}" if account.domain is None else (account.url or ""),
        "created_at": status.created_at,
        "edited_at": status.edited_at,
        "title": status.title,
        "summary": status.summary,
        "spoiler_text": status.spoiler_text,
        "content": _body(view, media_prefix),
        "href": article_path(handle, status.id),
        "is_article": status.is_article,
    }


@member_page
async def article(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    viewer = await _viewer(request)
    status_id = _id(request.match_info["id"])
    status = await access_status(conn, viewer, status_id) if status_id is not None else None
    if status is None or not status.is_article:
        raise web.HTTPNotFound()
    comments = await descendant_ids(conn, status, viewer)
    views = await load_status_views(conn, [status.id, *comments], viewer.account_id)
    shown = views.get(status.id)
    if shown is None or _handle(shown).lower() != request.match_info["name"].lower():
        raise web.HTTPNotFound()
    media_prefix = config(request).site.media_url("")
    context = {
        "article": _entry(shown, media_prefix),
        "comments": [_entry(views[i], media_prefix) for i in comments if i in views],
    }
    return aiohttp_jinja2.render_template("article.html", request, context)


@member_page
async def articles(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    viewer = await _viewer(request)
    author = await get_member(conn, request.match_info["name"])
    if author is None or not await may_see_account(conn, viewer, author.account.id):
        raise web.HTTPNotFound()
    ids = await article_ids(
        conn,
        viewer,
        account_id=author.account.id,
        max_id=_id(request.query.get("max_id")),
        limit=PAGE_SIZE,
    )
    views = await load_status_views(conn, ids, viewer.account_id)
    media_prefix = config(request).site.media_url("")
    entries = [_entry(views[i], media_prefix) for i in ids if i in views]
    context = {
        "profile": author,
        "articles": entries,
        "older": ids[-1] if len(ids) == PAGE_SIZE else None,
    }
    return aiohttp_jinja2.render_template("articles.html", request, context)


def setup(app: web.Application) -> None:
    app.router.add_get("/@{name}/articles", articles, name="articles")
    app.router.add_get("/@{name}/articles/{id}", article, name="article")
