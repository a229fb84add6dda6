"""`/notifications`: the member's notifications (`content.notification_queries`, as
`GET /api/v1/notifications` lists them) with the pending follow requests to accept or reject
(`outbox.relationships`, as `POST /api/v1/follow_requests/:id/authorize` does). New ones
appear without a reload: the page's script asks `/web/fragments/notifications`."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from actors.account_lookup import find_account, find_accounts
from actors.relationships import pending_requesters
from content.access import visible_accounts
from content.notification_queries import NotificationFilter, list_notifications
from db.keyset import Window
from outbox.relationships import (
    NoFollowRequest,
    do_authorize_follow_request,
    do_reject_follow_request,
)
from web.auth import current_session, member_page
from web.keys import config, connection
from web.status_entries import (
    id_param,
    notification_entry,
    page_viewer,
    person,
    refuse_read_only,
)
from web.timeline_pages import paging_links

PATH = "/notifications"
PAGE_SIZE = 30


def _window(request: web.Request) -> Window:
    return Window(
        max_id=id_param(request.query.get("max_id")),
        min_id=id_param(request.query.get("min_id")),
        limit=PAGE_SIZE,
    )


@member_page
async def notifications(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    viewer = await page_viewer(request)
    window = _window(request)
    views = await list_notifications(conn, viewer, window, NotificationFilter())
    site = config(request).site
    entries = [notification_entry(view, site) for view in views]
    ids = [entry["id"] for entry in entries]
    requesters = await find_accounts(conn, await pending_requesters(conn, viewer.account_id))
    shown = await visible_accounts(conn, viewer, [view.account.id for view in requesters])
    first_page = window.max_id is None and window.min_id is None
    context = {
        "notifications": entries,
        "requests": [person(view) for view in requesters if view.account.id in shown],
        "links": paging_links(PATH, ids, window, PAGE_SIZE),
        "poll": "/web/fragments/notifications" if first_page else "",
        "newest_id": ids[0] if ids else 0,
        "next_path": PATH,
    }
    return aiohttp_jinja2.render_template("notifications.html", request, context)


@member_page
async def fragment(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    since = id_param(request.query.get("since_id"))
    views = await list_notifications(
        connection(request), viewer, Window(since_id=since, limit=PAGE_SIZE), NotificationFilter()
    )
    site = config(request).site
    entries = [notification_entry(view, site) for view in views]
    response = aiohttp_jinja2.render_template(
        "notification_items.html", request, {"notifications": entries, "next_path": PATH}
    )
    response.headers["X-Newest-Id"] = str(entries[0]["id"] if entries else since or 0)
    return response


async def _decide(request: web.Request, accept: bool) -> web.StreamResponse:
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    refuse_read_only(session.member, as_itself=False)
    conn = connection(request)
    account_id = id_param(request.match_info["id"])
    requester = await find_account(conn, account_id) if account_id is not None else None
    if requester is None:
        raise web.HTTPNotFound()
    command = do_authorize_follow_request if accept else do_reject_follow_request
    try:
        await command(conn, config(request).site, session.member.account, requester.account)
    except NoFollowRequest:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(PATH)


@member_page
async def accept(request: web.Request) -> web.StreamResponse:
    return await _decide(request, True)


@member_page
async def reject(request: web.Request) -> web.StreamResponse:
    return await _decide(request, False)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, notifications, name="notifications")
    app.router.add_get("/web/fragments/notifications", fragment, name="notifications_fragment")
    app.router.add_post("/web/follow_requests/{id}/accept", accept, name="accept_follow")
    app.router.add_post("/web/follow_requests/{id}/reject", reject, name="reject_follow")
