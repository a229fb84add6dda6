"""Mastodon API routes whose features come in later issues, answered the way Mastodon would
answer on a node where the feature exists but holds nothing — never a crash, never HTML.

Apps probe several collections at start-up (filters, lists, announcements, followed tags,
custom emojis, …) and give up on an error, so each answers what is true today: an empty list,
since none can exist yet. Single records answer 404 `Record not found` (none exists); creating
one answers 422, the status Mastodon uses for a request it cannot carry out. Routes a real
module has registered are skipped, so a feature that lands simply takes over its paths; any
other unknown `/api/` path answers 404 JSON through `web.errors`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from actors.profiles import load_account
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import require_member
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NOT_FOUND = "Record not found"
UNAVAILABLE = "This feature is not available on this server yet"


def answer(scope: str | None, body: Any = None, *, status: int = 200) -> Handler:
    """A handler that checks the token, then answers `body` (or raises `status` with `body` as
    the error message)."""

    async def handler(request: web.Request) -> web.Response:
        await (require_member(request, scope) if scope else require_member(request))
        if status >= 400:
            raise ApiError(status, body)
        return json_response(body)

    return handler


def listing(scope: str | None) -> Handler:
    return answer(scope, [])


def missing(scope: str | None) -> Handler:
    return answer(scope, NOT_FOUND, status=404)


def unavailable(scope: str | None) -> Handler:
    return answer(scope, UNAVAILABLE, status=422)


def done(scope: str | None) -> Handler:
    """`{}`: undoing something that does not exist is a success in Mastodon."""
    return answer(scope, {})


def of_account(inner: Handler) -> Handler:
    """For `/accounts/:id/…`: 404 for an account that does not exist, as Mastodon answers."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await require_member(request)
        text = request.match_info["id"]
        if not text.isdigit() or len(text) > 19:
            raise ApiError(404, NOT_FOUND)
        if await load_account(connection(request), int(text)) is None:
            raise ApiError(404, NOT_FOUND)
        return await inner(request)

    return handler


async def admin(request: web.Request) -> web.Response:
    """The admin API: admin scopes and a staff member first, then not available yet."""
    scope = "admin:read" if request.method == "GET" else "admin:write"
    member = await require_member(request, scope)
    if not member.is_staff:
        raise ApiError(403, "This action is not allowed")
    raise ApiError(422, UNAVAILABLE)


# Mastodon 4.3+ lets members filter notifications; nothing is filtered here, so the policy
# accepts everything and no request ever waits.
_POLICY = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "accept",
    "for_limited_accounts": "accept",
    "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
}
_EMAIL_CONFIRMED = "This method is only available while the e-mail is awaiting confirmation"

PLACEHOLDERS: tuple[tuple[str, str, Handler], ...] = (
    # Lists
    ("GET", "/api/v1/lists", listing("read:lists")),
    ("POST", "/api/v1/lists", unavailable("write:lists")),
    ("GET", "/api/v1/lists/{id}", missing("read:lists")),
    ("PUT", "/api/v1/lists/{id}", missing("write:lists")),
    ("DELETE", "/api/v1/lists/{id}", missing("write:lists")),
    ("GET", "/api/v1/lists/{id}/accounts", missing("read:lists")),
    ("POST", "/api/v1/lists/{id}/accounts", missing("write:lists")),
    ("DELETE", "/api/v1/lists/{id}/accounts", missing("write:lists")),
    ("GET", "/api/v1/accounts/{id}/lists", of_account(listing("read:lists"))),
    # Filters, v2 and the deprecated v1
    ("GET", "/api/v2/filters", listing("read:filters")),
    ("POST", "/api/v2/filters", unavailable("write:filters")),
    ("GET", "/api/v2/filters/keywords/{id}", missing("read:filters")),
    ("PUT", "/api/v2/filters/keywords/{id}", missing("write:filters")),
    ("DELETE", "/api/v2/filters/keywords/{id}", missing("write:filters")),
    ("GET", "/api/v2/filters/statuses/{id}", missing("read:filters")),
    ("DELETE", "/api/v2/filters/statuses/{id}", missing("write:filters")),
    ("GET", "/api/v2/filters/{id}", missing("read:filters")),
    ("PUT", "/api/v2/filters/{id}", missing("write:filters")),
    ("DELETE", "/api/v2/filters/{id}", missing("write:filters")),
    ("GET", "/api/v2/filters/{id}/keywords", missing("read:filters")),
    ("POST", "/api/v2/filters/{id}/keywords", missing("write:filters")),
    ("GET", "/api/v2/filters/{id}/statuses", missing("read:filters")),
    ("POST", "/api/v2/filters/{id}/statuses", missing("write:filters")),
    ("GET", "/api/v1/filters", listing("read:filters")),
    ("POST", "/api/v1/filters", unavailable("write:filters")),
    ("GET", "/api/v1/filters/{id}", missing("read:filters")),
    ("PUT", "/api/v1/filters/{id}", missing("write:filters")),
    ("DELETE", "/api/v1/filters/{id}", missing("write:filters")),
    # Polls
    ("GET", "/api/v1/polls/{id}", missing("read:statuses")),
    ("POST", "/api/v1/polls/{id}/votes", missing("write:statuses")),
    # Conversations: direct statuses exist, so an empty list would hide them; say so instead.
    ("GET", "/api/v1/conversations", unavailable("read:statuses")),
    ("DELETE", "/api/v1/conversations/{id}", missing("write:conversations")),
    ("POST", "/api/v1/conversations/{id}/read", missing("write:conversations")),
    ("POST", "/api/v1/conversations/{id}/unread", missing("write:conversations")),
    # Scheduled statuses
    ("GET", "/api/v1/scheduled_statuses", listing("read:statuses")),
    ("GET", "/api/v1/scheduled_statuses/{id}", missing("read:statuses")),
    ("PUT", "/api/v1/scheduled_statuses/{id}", missing("write:statuses")),
    ("DELETE", "/api/v1/scheduled_statuses/{id}", missing("write:statuses")),
    # Web push: no subscription exists (Mastodon answers 404 for that), none can be made yet.
    ("GET", "/api/v1/push/subscription", missing("push")),
    ("POST", "/api/v1/push/subscription", unavailable("push")),
    ("PUT", "/api/v1/push/subscription", missing("push")),
    ("DELETE", "/api/v1/push/subscription", done("push")),
    # Streaming: Mastodon's web app answers 404 when streaming is served elsewhere; clients
    # then fall back to polling.
    ("GET", "/api/v1/streaming", missing(None)),
    ("GET", "/api/v1/streaming/{tail:.*}", missing(None)),
    # The admin API
    ("*", "/api/v1/admin/{tail:.*}", admin),
    ("*", "/api/v2/admin/{tail:.*}", admin),
    # Trends and suggestions: Mastodon answers empty lists when trends are off.
    ("GET", "/api/v1/trends", listing(None)),
    ("GET", "/api/v1/trends/tags", listing(None)),
    ("GET", "/api/v1/trends/statuses", listing(None)),
    ("GET", "/api/v1/trends/links", listing(None)),
    ("GET", "/api/v1/suggestions", listing("read")),
    ("GET", "/api/v2/suggestions", listing("read")),
    ("DELETE", "/api/v1/suggestions/{id}", done("read")),
    # Featured tags and endorsements
    ("GET", "/api/v1/featured_tags", listing("read:accounts")),
    ("POST", "/api/v1/featured_tags", unavailable("write:accounts")),
    ("GET", "/api/v1/featured_tags/suggestions", listing("read:accounts")),
    ("DELETE", "/api/v1/featured_tags/{id}", missing("write:accounts")),
    ("GET", "/api/v1/accounts/{id}/featured_tags", of_account(listing(None))),
    ("GET", "/api/v1/endorsements", listing("read:accounts")),
    ("GET", "/api/v1/accounts/{id}/endorsements", of_account(listing(None))),
    ("GET", "/api/v1/accounts/{id}/identity_proofs", of_account(listing(None))),
    ("POST", "/api/v1/accounts/{id}/endorse", unavailable("write:accounts")),
    ("POST", "/api/v1/accounts/{id}/unendorse", unavailable("write:accounts")),
    ("POST", "/api/v1/accounts/{id}/pin", unavailable("write:accounts")),
    ("POST", "/api/v1/accounts/{id}/unpin", unavailable("write:accounts")),
    # Reports
    ("POST", "/api/v1/reports", unavailable("write:reports")),
    # Domain blocks (by members, of whole servers)
    ("GET", "/api/v1/domain_blocks", listing("read:blocks")),
    ("POST", "/api/v1/domain_blocks", unavailable("write:blocks")),
    ("DELETE", "/api/v1/domain_blocks", done("write:blocks")),
    # Hashtags: featuring comes later (following is `web.mastodon.followed_tags`)
    ("POST", "/api/v1/tags/{name}/feature", unavailable("write:accounts")),
    ("POST", "/api/v1/tags/{name}/unfeature", unavailable("write:accounts")),
    # Notification requests and policy: nothing is filtered, so nothing waits.
    ("GET", "/api/v2/notifications/policy", answer("read:notifications", _POLICY)),
    ("PATCH", "/api/v2/notifications/policy", unavailable("write:notifications")),
    ("GET", "/api/v1/notifications/requests", listing("read:notifications")),
    (
        "GET",
        "/api/v1/notifications/requests/merged",
        answer("read:notifications", {"merged": True}),
    ),
    ("POST", "/api/v1/notifications/requests/accept", done("write:notifications")),
    ("POST", "/api/v1/notifications/requests/dismiss", done("write:notifications")),
    ("GET", "/api/v1/notifications/requests/{id}", missing("read:notifications")),
    ("POST", "/api/v1/notifications/requests/{id}/accept", missing("write:notifications")),
    ("POST", "/api/v1/notifications/requests/{id}/dismiss", missing("write:notifications")),
    # Annual reports ("Wrapstodon") and the asynchronous refreshes behind them
    (
        "GET",
        "/api/v1/annual_reports",
        answer("read:accounts", {"annual_reports": [], "accounts": [], "statuses": []}),
    ),
    ("GET", "/api/v1/annual_reports/{year}", missing("read:accounts")),
    ("GET", "/api/v1/annual_reports/{year}/state", missing("read:accounts")),
    ("POST", "/api/v1/annual_reports/{year}/read", missing("write:accounts")),
    ("POST", "/api/v1/annual_reports/{year}/generate", unavailable("write:accounts")),
    ("GET", "/api/v1_alpha/async_refreshes/{id}", missing(None)),
    # E-mail confirmation: members' addresses come from the company, already confirmed.
    (
        "POST",
        "/api/v1/emails/confirmations",
        answer("write:accounts", _EMAIL_CONFIRMED, status=403),
    ),
    ("GET", "/api/v1/emails/check_confirmation", answer("read:accounts", True)),
)

_PARAMETER = re.compile(r"\{[^}]*\}")


def path_shape(path: str) -> str:
    """A path with its parameters unnamed, to compare routes registered by other modules."""
    return _PARAMETER.sub("{}", path.rstrip("/")) or "/"


def setup(app: web.Application) -> None:
    taken = {(route.method, path_shape(route.resource.canonical)) for route in app.router.routes()}
    add_routes(
        app,
        [
            (method, path, handler)
            for method, path, handler in PLACEHOLDERS
            if (method, path_shape(path)) not in taken
        ],
    )
