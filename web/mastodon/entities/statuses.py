"""The Status entity.

Rukun's internal (`local`) visibility is rendered the way glitch-soc renders its local-only
posts: `visibility: "public"` with `local_only: true`, so every Mastodon app shows them (as
node-wide posts) without meeting an unknown visibility; `rukun.visibility` carries the truth."""

from __future__ import annotations

from typing import Any

from actors.site import Site
from content.articles import article_url, teaser_html
from content.status_views import MentionRef, StatusView
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.dates import iso
from web.mastodon.entities.media import render_media


def _mention(ref: MentionRef, site: Site) -> dict[str, str]:
    local = ref.domain is None
    return {
        "id": str(ref.account_id),
        "username": ref.username,
        "acct": ref.username if local else f"{ref.username}@{ref.domain}",
        "url": site.profile_url(ref.username) if local else (ref.url or ""),
    }


def status_uri(view: StatusView, site: Site) -> str:
    status = view.status
    if status.local:
        return site.status_uri(view.account.account.username, status.id)
    return status.uri or ""


def _handle(view: StatusView) -> str:
    account = view.account.account
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def render_status(view: StatusView, site: Site, viewer_id: int | None) -> dict[str, Any]:
    """An article shows as its title, summary and a link to its page here (where the whole of
    it is), as Mastodon shows an Article it receives; `rukun` carries the title and summary."""
    status = view.status
    username = view.account.account.username
    local_only = status.visibility == "local"
    reblog = render_status(view.reblog, site, viewer_id) if view.reblog else None
    url = site.status_url(username, status.id) if status.local else (status.url or status.uri)
    content = status.content
    if status.is_article:
        page = article_url(site, _handle(view), status.id)
        url = page if status.local else url
        content = teaser_html(status.title, status.summary, page)
    rendered: dict[str, Any] = {
        "id": str(status.id),
        "created_at": iso(status.created_at),
        "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None
        ),
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "visibility": "public" if local_only else status.visibility,
        "local_only": local_only,
        "language": status.language,
        "uri": status_uri(view, site),
        "url": url,
        "replies_count": status.replies_count,
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "edited_at": iso(status.edited_at),
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "muted": view.muted,
        "bookmarked": view.bookmarked,
        "content": "" if reblog else content,
        "filtered": [],
        "reblog": reblog,
        "application": view.application,
        "account": render_account(view.account, site),
        "media_attachments": [render_media(m, site) for m in view.media],
        "mentions": [_mention(m, site) for m in view.mentions],
        "tags": [{"name": t.lower(), "url": site.tag_url(t)} for t in view.tags],
        "emojis": [],
        "card": None,
        "poll": None,
        "rukun": {"visibility": status.visibility},
    }
    if view.imported_from is not None:
        rendered["rukun"]["imported_from"] = view.imported_from
    if status.is_article:
        rendered["rukun"].update(kind="article", title=status.title, summary=status.summary)
    if viewer_id is not None and status.account_id == viewer_id:
        rendered["pinned"] = view.pinned
    if reblog is not None:
        # A boost shows the original's marks, as Mastodon does.
        for mark in ("favourited", "reblogged", "bookmarked", "muted"):
            rendered[mark] = reblog[mark]
    return rendered
