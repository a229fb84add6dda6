"""What every admin page shares: who may open it, the one-line notice a change leaves for
the page it redirects to, and form parsing.

Staff pages follow the admin API's rules (`web.mastodon.staff`): moderators handle members
who are not staff and reports, admins everything. A visitor without a session is sent to
sign in; a member who is not staff is told the page does not exist (404); a moderator on an
admins' page is refused (403). Every POST has passed the CSRF check of `require_session`
before the handler runs, and answers with a redirect (post/redirect/get)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

import aiohttp_jinja2
from aiohttp import web

from actors.accounts import Member
from web.auth import PageHandler, delete_cookie, require_session, set_cookie

NOTICE_COOKIE = "rukun_notice"
_NOTICE_MAX = 500
STAFF_KEY = web.RequestKey("admin_staff", Member)


def staff_page(handler: PageHandler) -> PageHandler:
    """Admins and moderators."""
    return _guarded(handler, admins_only=False)


def admin_page(handler: PageHandler) -> PageHandler:
    """Admins only; moderators get 403."""
    return _guarded(handler, admins_only=True)


def _guarded(handler: PageHandler, *, admins_only: bool) -> PageHandler:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = await require_session(request)
        member = session.member
        if not member.is_staff:
            raise web.HTTPNotFound()
        if admins_only and member.role != "admin":
            raise web.HTTPForbidden(reason="Only admins may open this page")
        request[STAFF_KEY] = member
        return await handler(request)

    return wrapper


def staff(request: web.Request) -> Member:
    """The staff member behind a guarded page."""
    return request[STAFF_KEY]


def render(
    request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> web.Response:
    """Render an admin page with the notice a previous change left, which is then forgotten."""
    notice = unquote(request.cookies.get(NOTICE_COOKIE, ""))[:_NOTICE_MAX]
    kind, _, text = notice.partition(":")
    page_context = {
        **context,
        "staff": staff(request),
        "notice": text if kind in ("ok", "error") else "",
        "notice_is_error": kind == "error",
        "section": template.removeprefix("admin/").split("_")[0].removesuffix(".html"),
    }
    response = aiohttp_jinja2.render_template(template, request, page_context, status=status)
    if notice:
        delete_cookie(request, response, NOTICE_COOKIE)
    return response


def done(request: web.Request, location: str, message: str, *, error: bool = False) -> web.Response:
    """The redirect after a change, carrying its outcome to the next page as a notice.

    The notice travels in a cookie, never in the URL, so nobody can craft a link that shows
    words of their choosing on an admin page."""
    response = web.Response(status=303, headers={"Location": location})
    kind = "error" if error else "ok"
    set_cookie(request, response, NOTICE_COOKIE, quote(f"{kind}:{message}"[:_NOTICE_MAX]))
    return response


async def form(request: web.Request) -> dict[str, str]:
    """The submitted form's text fields (uploads left out)."""
    posted = await request.post()
    return {name: value for name, value in posted.items() if isinstance(value, str)}


def path_id(request: web.Request, name: str = "id") -> int:
    text = request.match_info[name]
    if not text.isdigit() or len(text) > 19:
        raise web.HTTPNotFound()
    return int(text)


def page_number(request: web.Request) -> int:
    text = request.query.get("page", "1")
    return max(1, min(int(text), 10_000)) if text.isdigit() and len(text) < 6 else 1
