"""The members' HTML pages: the start page, profiles and groups' pages. Every one needs a
signed-in member (others are sent to sign in), and a profile the member may not see
(`content.access`: a customer looking at another customer) is not found."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.accounts import Account, get_local_account, get_member
from actors.groups import get_group, is_member, staff_role
from actors.node_policy import load_policy
from actors.people import direct_reports, manager_chain
from actors.profiles import AccountView, load_accounts
from content.access import Viewer, hides_customers, may_see_account, viewer_of
from content.group_posts import latest_threads
from content.sanitise import html_to_text
from content.statuses import Status
from web import article_pages
from web.auth import current_session, member_page
from web.keys import config, connection

ROLE_NAMES = {
    "admin": "Administrator",
    "moderator": "Moderator",
    "employee": "Employee",
    "customer": "Customer",
}


async def template_context(request: web.Request) -> dict[str, Any]:
    """What every template may use: `member` (or None), `csrf_token` for forms, `site`.

    aiohttp_jinja2 calls this before every handler, pages or not; it costs a query only when
    the request carries a session cookie, and `member_page` reuses that lookup."""
    session = await current_session(request)
    return {
        "site": config(request).site,
        "member": session.member if session else None,
        "csrf_token": session.csrf_token if session else "",
        "role_names": ROLE_NAMES,
    }


def profile_fields(account: Account) -> list[tuple[str, str]]:
    """The free `name: value` fields, skipping any entry that is not a pair of strings."""
    pairs = []
    for field in account.fields:
        if not isinstance(field, dict):
            continue
        name, value = field.get("name"), field.get("value")
        if isinstance(name, str) and isinstance(value, str) and (name or value):
            pairs.append((name, value))
    return pairs


async def group_page(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """A group hosted here: name, description, members count, and its latest posts with their
    reply threads (the project's discussion). A members-only group is not found by others."""
    conn = connection(request)
    account = await get_local_account(conn, request.match_info["name"])
    group = await get_group(conn, account.id) if account is not None else None
    if group is None or group.account.suspended_at is not None:
        raise web.HTTPNotFound()
    member = await is_member(conn, group.id, viewer.account_id)
    staff = await staff_role(conn, group.id, viewer.account_id)
    if (group.members_only or viewer.is_customer) and not member and staff is None:
        raise web.HTTPNotFound()
    threads = await latest_threads(conn, group.id, viewer, limit=20)
    authors = await load_accounts(
        conn, {s.account_id for root, replies in threads for s in (root, *replies)}
    )

    def shown(status: Status) -> dict[str, Any]:
        view = authors.get(status.account_id)
        author = view.account if view else None
        return {
            "author": (author.display_name or author.username) if author else "",
            "handle": (
                author.username
                if author and author.is_local
                else f"{author.username}@{author.domain}"
                if author
                else ""
            ),
            # Plain text, escaped by the template: the page never trusts stored HTML.
            "content": status.text or html_to_text(status.content),
            "created_at": status.created_at,
        }

    view = (await load_accounts(conn, [group.id])).get(group.id)
    context = {
        "group": group,
        "members_count": view.followers_count if view else 0,
        "joined": member,
        "threads": [(shown(root), [shown(r) for r in replies]) for root, replies in threads],
    }
    return aiohttp_jinja2.render_template("group.html", request, context)


def person_link(view: AccountView) -> dict[str, str]:
    """What the org chart shows of a person: name, handle, job title and where to go."""
    account = view.account
    local = account.domain is None
    return {
        "name": account.display_name or account.username,
        "handle": account.username if local else f"{account.username}@{account.domain}",
        "job_title": account.job_title,
        "href": f"/@{account.username}" if local else (account.url or account.uri or ""),
    }


@member_page
async def org_chart(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    shown = await get_member(conn, request.match_info["name"])
    session = await current_session(request)
    assert session is not None  # member_page let the request in
    viewer = viewer_of(session.member, await load_policy(conn))
    if (
        shown is None
        or shown.disabled_at is not None
        or shown.account.suspended_at
        or not await may_see_account(conn, viewer, shown.account.id)
    ):
        raise web.HTTPNotFound()
    hidden = ("customer",) if hides_customers(viewer) else ()
    chain = await manager_chain(conn, shown.account.id, hidden_roles=hidden)
    reports = await direct_reports(conn, shown.account.id, hidden_roles=hidden)
    context = {
        "profile": shown,
        "chain": [person_link(v) for v in reversed(chain)],
        "reports": [person_link(v) for v in reports],
    }
    return aiohttp_jinja2.render_template("org_chart.html", request, context)


def setup(app: web.Application) -> None:
    app.router.add_get("/@{name}/org", org_chart, name="org_chart")
    article_pages.setup(app)
