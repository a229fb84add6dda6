"""The Announcement entity, as Mastodon 4.x renders it."""

from __future__ import annotations

from typing import Any

from actors.site import Site
from content.announcements import AnnouncementView
from web.mastodon.entities.dates import iso


def render_announcement(
    view: AnnouncementView, site: Site, *, admin: bool = False
) -> dict[str, Any]:
    """`admin` adds what only the admins' list shows: whether it is published, and its
    source text."""
    item = view.announcement
    body: dict[str, Any] = {
        "id": str(item.id),
        "content": item.content,
        "starts_at": iso(item.starts_at),
        "ends_at": iso(item.ends_at),
        "all_day": item.all_day,
        "published_at": iso(item.published_at),
        "updated_at": iso(item.updated_at),
        "read": view.read,
        "mentions": [
            {
                "id": str(account.id),
                "username": account.username,
                "url": site.profile_url(account.username),
                "acct": account.username,
            }
            for account in view.mentions
        ],
        "statuses": [],
        "tags": [{"name": name, "url": site.tag_url(name)} for name in view.tags],
        "emojis": [],
        # Unicode reactions carry no `url`/`static_url` in Mastodon; only custom emoji do, and
        # this node has none.
        "reactions": [
            {"name": reaction.name, "count": reaction.count, "me": reaction.me}
            for reaction in view.reactions
        ],
    }
    if admin:
        body["published"] = item.published
        body["text"] = item.text
    return body
