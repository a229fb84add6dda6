"""The home page (the member's home feed with a compose form), the thread page of a status,
and what a member does to a status from a page (boost, favourite, bookmark). Reads go
through `content.timelines` and `content.threads` under `content.access`'s rules; writes
through the outbox commands the Mastodon API uses. Every form is CSRF-checked and answered
with a redirect (post, redirect, get)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.preferences import get_preferences
from content.bookmarks import do_bookmark, do_unbookmark
from content.status_lookup import access_status, original_of
from content.status_views import load_status_views
from content.threads import ancestor_ids, descendant_ids
from content.timelines import home_timeline
from db.keyset import Window
from outbox.interactions import (
    ActionNotAllowed,
    do_favourite,
    do_reblog,
    do_unfavourite,
    do_unreblog,
)
from web.auth import current_session, form_text, member_page, safe_next
from web.compose_form import compose_context
from web.keys import config, connection
from web.status_entries import id_param, page_viewer, refuse_read_only, status_entries

PAGE_SIZE = 20
FRAGMENT_LIMIT = 40
ACTIONS = ("favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark")


def _window(request: web.Request, limit: int = PAGE_SIZE) -> Window:
    query = request.query
    return Window(
        max_id=id_param(query.get("max_id")),
        since_id=id_param(query.get("since_id")),
        min_id=id_param(query.get("min_id")),
        limit=limit,
    )


def paging_links(path: str, ids: list[int], window: Window, limit: int) -> dict[str, str]:
    """Older and newer links around a page of ids (newest first)."""
    links: dict[str, str] = {}
    if not ids:
        if window.max_id is not None:
            links["newer"] = f"{path}?min_id={window.max_id - 1}"
        return links
    if len(ids) == limit or window.min_id is not None:
        links["older"] = f"{path}?max_id={ids[-1]}"
    if window.max_id is not None or window.min_id is not None:
        links["newer"] = f"{path}?min_id={ids[0]}"
    return links


@member_page
async def home(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    viewer = await page_viewer(request)
    window = _window(request)
    views = await home_timeline(conn, viewer, window)
    entries = status_entries(request, views)
    ids = [entry["outer_id"] for entry in entries]
    first_page = window.max_id is None and window.min_id is None
    context: dict[str, Any] = {
        "statuses": entries,
        "links": paging_links("/", ids, window, PAGE_SIZE),
        # Only the newest page listens for new posts.
        "poll": "/web/fragments/home" if first_page else "",
        "newest_id": ids[0] if ids else 0,
        **await compose_context(request, viewer),
    }
    return aiohttp_jinja2.render_template("home.html", request, context)


@member_page
async def home_fragment(request: web.Request) -> web.StreamResponse:
    """The posts newer than `since_id`, as list items the page's script puts on top."""
    viewer = await page_viewer(request)
    since = id_param(request.query.get("since_id"))
    views = await home_timeline(
        connection(request), viewer, Window(since_id=since, limit=FRAGMENT_LIMIT)
    )
    entries = status_entries(request, views)
    response = aiohttp_jinja2.render_template(
        "status_items.html", request, {"statuses": entries, "next_path": "/"}
    )
    response.headers["X-Newest-Id"] = str(entries[0]["outer_id"] if entries else since or 0)
    return response


@member_page
async def thread(request: web.Request) -> web.StreamResponse:
    """A status with what it answers and what answers it; the page ActivityPub object URLs
    send browsers to. Not found when the viewer may not see it or the name is not its
    author's."""
    conn = connection(request)
    viewer = await page_viewer(request)
    status_id = id_param(request.match_info["id"])
    status = await access_status(conn, viewer, status_id) if status_id is not None else None
    if status is None:
        raise web.HTTPNotFound()
    if status.reblog_of_id is not None:
        original = await original_of(conn, status)
        if original is None or await access_status(conn, viewer, original.id) is None:
            raise web.HTTPNotFound()
        status = original
    ancestors = await ancestor_ids(conn, status, viewer)
    descendants = await descendant_ids(conn, status, viewer)
    views = await load_status_views(conn, [*ancestors, status.id, *descendants], viewer.account_id)
    if status.id not in views:
        raise web.HTTPNotFound()
    focus = status_entries(request, [views[status.id]])[0]
    if focus["author"]["handle"].lower() != request.match_info["name"].lower():
        raise web.HTTPFound(focus["href"])
    context = {
        "ancestors": status_entries(request, [views[i] for i in ancestors if i in views]),
        "focus": focus,
        "descendants": status_entries(request, [views[i] for i in descendants if i in views]),
        **await compose_context(request, viewer, reply_to=focus),
    }
    return aiohttp_jinja2.render_template("thread.html", request, context)


@member_page
async def act(request: web.Request) -> web.StreamResponse:
    """`POST /web/statuses/{id}/{action}`: one of `ACTIONS`, then back to `next`."""
    action = request.match_info["action"]
    conn = connection(request)
    viewer = await page_viewer(request)
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    refuse_read_only(session.member, as_itself=not action.startswith("un"))
    status_id = id_param(request.match_info["id"])
    status = await access_status(conn, viewer, status_id) if status_id is not None else None
    if status is None or action not in ACTIONS:
        raise web.HTTPNotFound()
    site = config(request).site
    member = session.member
    try:
        if action == "favourite":
            await do_favourite(conn, site, member.account.id, status)
        elif action == "unfavourite":
            await do_unfavourite(conn, site, member.account.id, status)
        elif action == "reblog":
            preferences = await get_preferences(conn, member.user_id)
            await do_reblog(
                conn,
                site,
                member.account.id,
                status,
                visibility=None,
                default_visibility=preferences.default_visibility,
                application_id=None,
            )
        elif action == "unreblog":
            await do_unreblog(conn, site, member.account.id, status)
        else:
            original = await original_of(conn, status)
            if original is None:
                raise web.HTTPNotFound()
            command = do_bookmark if action == "bookmark" else do_unbookmark
            await command(conn, member.account.id, original.id)
    except ActionNotAllowed:
        raise web.HTTPForbidden(reason="This action is not allowed") from None
    except ValueError:
        raise web.HTTPUnprocessableEntity(reason="This post cannot be boosted") from None
    except LookupError:
        raise web.HTTPNotFound() from None
    form = await request.post()
    raise web.HTTPSeeOther(safe_next(form_text(form, "next")))


def setup(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    app.router.add_get("/web/fragments/home", home_fragment, name="home_fragment")
    app.router.add_post("/web/statuses/{id}/{action}", act, name="status_action")
    app.router.add_get(r"/@{name}/{id:\d+}", thread, name="thread")
