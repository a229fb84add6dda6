"""What the members' pages show of statuses, accounts and notifications: plain dicts for the
templates, built from the same views the Mastodon API renders (`content.status_views`).

Templates escape everything; the one exception is a status's body, the sanitised HTML stored
with it, which is cleaned again here by `content.sanitise` and marked safe in Python, so no
template ever needs `|safe`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from actors.accounts import Account, Member
from actors.node_policy import load_policy
from actors.profiles import AccountView
from actors.site import Site
from content.access import Viewer, viewer_of
from content.articles import article_path
from content.notification_queries import NotificationView
from content.sanitise import sanitise_html
from content.status_views import StatusView
from web.auth import current_session
from web.keys import config, connection
from web.mastodon.auth import LEAVING
from web.mastodon.entities.media import render_media

_MAX_ID = 2**63 - 1
VISIBILITY_NAMES = {
    "public": "Public",
    "unlisted": "Unlisted",
    "private": "Followers only",
    "local": "Internal (only employees of this node)",
    "direct": "Mentioned people only",
}
NOTIFICATION_NAMES = {
    "follow": "followed you",
    "follow_request": "asked to follow you",
    "mention": "mentioned you",
    "reblog": "boosted your post",
    "favourite": "favourited your post",
    "status": "posted",
    "update": "edited a post you interacted with",
    "poll": "a poll has ended",
}


async def page_viewer(request: web.Request) -> Viewer:
    """The signed-in member as a reader (`member_page` has made sure there is one)."""
    session = await current_session(request)
    if session is None:
        raise web.HTTPFound("/auth/sign_in")
    return viewer_of(session.member, await load_policy(connection(request)))


def refuse_read_only(member: Member, *, as_itself: bool = True) -> None:
    """The pages refuse what the API refuses: a leaving member changes nothing, and a moved
    account no longer posts, boosts or follows as itself (`web.mastodon.auth`)."""
    if member.leaves_at is not None:
        raise web.HTTPForbidden(reason=LEAVING)
    if as_itself and member.account.moved_to_account_id is not None:
        raise web.HTTPForbidden(reason="This account has moved: it no longer posts or follows")


def id_param(raw: str | None) -> int | None:
    """A status or notification id from a path or query, or None when it cannot be one."""
    if raw is None or not raw.isdigit() or int(raw) > _MAX_ID:
        return None
    return int(raw)


def handle_of(account: Account) -> str:
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def person(view: AccountView) -> dict[str, Any]:
    """An account as the pages link to it: every known account has a page at `/@handle`."""
    account = view.account
    handle = handle_of(account)
    return {
        "id": account.id,
        "name": account.display_name or account.username,
        "handle": handle,
        "href": f"/@{handle}",
        "job_title": account.job_title,
        "department": account.department,
        "avatar": account.avatar_url,
        "local": account.domain is None,
    }


def _media(rows: list[dict[str, Any]], site: Site) -> list[dict[str, Any]]:
    shown = []
    for row in rows:
        rendered = render_media(row, site)
        if rendered["url"] is None:
            continue  # still processing, or failed: nothing to show yet
        shown.append(
            {
                "type": rendered["type"],
                "url": rendered["url"],
                "preview": rendered["preview_url"] or rendered["url"],
                "description": rendered["description"] or "",
            }
        )
    return shown


def status_entry(view: StatusView, site: Site) -> dict[str, Any]:
    """A status (a boost shows its original, with who boosted it) for `_status.html`."""
    shown = view.reblog or view
    status = shown.status
    author = person(shown.account)
    body = Markup(sanitise_html(status.content))  # noqa: S704 - cleaned by content.sanitise
    return {
        "id": status.id,
        "outer_id": view.status.id,
        "href": f"/@{author['handle']}/{status.id}",
        "article_href": article_path(author["handle"], status.id) if status.is_article else "",
        "title": status.title,
        "summary": status.summary,
        "author": author,
        "boosted_by": person(view.account) if view.reblog is not None else None,
        "created_at": status.created_at,
        "edited_at": status.edited_at,
        "visibility": status.visibility,
        "visibility_name": VISIBILITY_NAMES.get(status.visibility, status.visibility),
        "spoiler_text": status.spoiler_text,
        "sensitive": status.sensitive,
        "content": body,
        "media": _media(shown.media, site),
        "in_reply_to_id": status.in_reply_to_id,
        "replies_count": status.replies_count,
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "favourited": shown.favourited,
        "reblogged": shown.reblogged,
        "bookmarked": shown.bookmarked,
        "can_boost": status.visibility in ("public", "unlisted", "local"),
    }


def status_entries(request: web.Request, views: list[StatusView]) -> list[dict[str, Any]]:
    site = config(request).site
    return [status_entry(view, site) for view in views]


def notification_entry(view: NotificationView, site: Site) -> dict[str, Any]:
    notification = view.notification
    return {
        "id": notification.id,
        "type": notification.type,
        "text": NOTIFICATION_NAMES.get(notification.type, notification.type.replace("_", " ")),
        "created_at": notification.created_at,
        "account": person(view.account),
        "status": status_entry(view.status, site) if view.status is not None else None,
    }
