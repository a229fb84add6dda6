"""Profiles: `/@name` for members here and `/@user@domain` for accounts this node knows from
elsewhere, with organisation details, a follow button and the account's posts (under
`content.access`'s rules, like `GET /api/v1/accounts/:id/statuses`); and the follow and
unfollow forms, which use `outbox.relationships` as the Mastodon API does. A group's name
shows the group's page (`web.pages.group_page`)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.account_lookup import find_account, lookup_account
from actors.accounts import get_member
from actors.profiles import load_account
from actors.relationships import NotAllowed, load_relationship
from content.access import may_see_account
from content.account_statuses import ProfileFilter, profile_status_ids
from content.sanitise import html_to_text
from content.status_views import load_status_views
from db.keyset import Window
from outbox.relationships import do_follow, do_unfollow
from web.auth import current_session, form_text, member_page, safe_next
from web.keys import config, connection
from web.pages import group_page, person_link, profile_fields
from web.status_entries import (
    handle_of,
    id_param,
    page_viewer,
    person,
    refuse_read_only,
    status_entries,
)
from web.timeline_pages import PAGE_SIZE, paging_links


@member_page
async def profile(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    viewer = await page_viewer(request)
    name = request.match_info["name"]
    member = None
    if "@" in name:
        view = await lookup_account(conn, name, config(request).site.domain)
    else:
        member = await get_member(conn, name)
        if member is None:
            return await group_page(request, viewer)
        view = await load_account(conn, member.account.id)
    if view is None or view.account.suspended_at is not None:
        raise web.HTTPNotFound()
    account = view.account
    if account.actor_type == "Group" and account.domain is None:
        return await group_page(request, viewer)
    if not await may_see_account(conn, viewer, account.id):
        raise web.HTTPNotFound()
    if member is None and account.domain is None:
        raise web.HTTPFound(f"/@{account.username}")  # `@name@ourdomain`: the local page
    window = Window(
        max_id=id_param(request.query.get("max_id")),
        min_id=id_param(request.query.get("min_id")),
        limit=PAGE_SIZE,
    )
    ids = await profile_status_ids(conn, viewer, account.id, window, ProfileFilter())
    views = await load_status_views(conn, ids, viewer.account_id)
    moved = None
    if account.moved_to_account_id is not None:
        target = await load_account(conn, account.moved_to_account_id)
        moved = person_link(target) if target is not None else None
    handle = handle_of(account)
    context: dict[str, Any] = {
        "account": account,
        "view": view,
        "handle": handle,
        "full_handle": handle if account.domain else f"{handle}@{config(request).site.domain}",
        "profile": member,
        "bio": account.note if account.domain is None else html_to_text(account.note),
        "fields": profile_fields(account),
        "moved": moved,
        "is_self": account.id == viewer.account_id,
        "relationship": await load_relationship(conn, viewer.account_id, account.id),
        "statuses": status_entries(request, [views[i] for i in ids if i in views]),
        "links": paging_links(f"/@{handle}", ids, window, PAGE_SIZE),
        "next_path": f"/@{handle}",
    }
    return aiohttp_jinja2.render_template("profile.html", request, context)


async def _follow_or_unfollow(request: web.Request, follow: bool) -> web.StreamResponse:
    conn = connection(request)
    viewer = await page_viewer(request)
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    refuse_read_only(session.member, as_itself=follow)
    account_id = id_param(request.match_info["id"])
    target = await find_account(conn, account_id) if account_id is not None else None
    if target is None or not await may_see_account(conn, viewer, target.account.id):
        raise web.HTTPNotFound()
    site = config(request).site
    if follow:
        try:
            await do_follow(conn, site, session.member.account, target.account)
        except NotAllowed:
            raise web.HTTPForbidden(reason="You cannot follow this account") from None
    else:
        await do_unfollow(conn, site, session.member.account, target.account)
    form = await request.post()
    back = form_text(form, "next") or person(target)["href"]
    raise web.HTTPSeeOther(safe_next(back))


@member_page
async def follow(request: web.Request) -> web.StreamResponse:
    return await _follow_or_unfollow(request, True)


@member_page
async def unfollow(request: web.Request) -> web.StreamResponse:
    return await _follow_or_unfollow(request, False)


def setup(app: web.Application) -> None:
    app.router.add_get("/@{name}", profile, name="profile")
    app.router.add_post("/web/accounts/{id}/follow", follow, name="follow")
    app.router.add_post("/web/accounts/{id}/unfollow", unfollow, name="unfollow")
