"""RSS 2.0 and Atom feeds of a local account's posts: `/@name.rss` (as Mastodon serves it) and
`/@name.atom`, for signed-in members only.

A browser brings its session; a feed reader, which cannot sign in, brings its member's
personal `feed_token` (`actors.feed_tokens`). Either way the feed holds what that member may
read (`content.access`): a customer's token never shows `local` posts, nor another
customer's. Without either, the visitor is sent to sign in; a wrong token answers 401.

The XML is built with the standard library's `xml.etree`, which escapes text and attribute
values itself. `feedgen` (the usual library) would bring lxml and dateutil, and its last
release is of 2023-12, for two documents of a dozen elements each."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from email.utils import format_datetime

from aiohttp import web

from actors.accounts import Member, get_member
from actors.feed_tokens import member_for_feed_token
from actors.node_policy import load_policy
from actors.site import Site
from content.access import may_see_account, viewer_of
from content.account_feed import account_feed
from content.sanitise import html_to_text
from content.status_views import StatusView
from web.auth import require_session
from web.keys import config, connection

ATOM = "http://www.w3.org/2005/Atom"
_MAX_TOKEN_LENGTH = 200
_TITLE_LENGTH = 80
_NAME = "{name:[A-Za-z0-9_]+}"
Render = Callable[[Site, str, str, list[StatusView]], bytes]


async def _reader(request: web.Request) -> Member:
    token = request.query.get("feed_token")
    if token is None:
        return (await require_session(request)).member
    member = None
    if token and len(token) <= _MAX_TOKEN_LENGTH:
        member = await member_for_feed_token(connection(request), token)
    if member is None:
        raise web.HTTPUnauthorized(text="The feed token is invalid")
    return member


def _title(view: StatusView) -> str:
    status = view.status
    if status.spoiler_text:
        return status.spoiler_text
    text = " ".join(html_to_text(status.content).split())
    return text if len(text) <= _TITLE_LENGTH else text[: _TITLE_LENGTH - 1] + "…"


def _link(site: Site, view: StatusView) -> str:
    return site.status_url(view.account.account.username, view.status.id)


def _rss(site: Site, username: str, name: str, views: list[StatusView]) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = name
    ET.SubElement(channel, "link").text = site.profile_url(username)
    ET.SubElement(channel, "description").text = f"Posts from @{username}@{site.domain}"
    if views:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(views[0].status.created_at)
    for view in views:
        item = ET.SubElement(channel, "item")
        link = _link(site, view)
        ET.SubElement(item, "title").text = _title(view)
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "pubDate").text = format_datetime(view.status.created_at)
        ET.SubElement(item, "description").text = view.status.content
        for tag in view.tags:
            ET.SubElement(item, "category").text = tag
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _atom(site: Site, username: str, name: str, views: list[StatusView]) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    profile = site.profile_url(username)
    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", profile)
    sub(root, "title", name)
    sub(root, "subtitle", f"Posts from @{username}@{site.domain}")
    updated = views[0].status.created_at.isoformat() if views else None
    sub(root, "updated", updated or "1970-01-01T00:00:00+00:00")
    sub(root, "link", rel="alternate", type="text/html", href=profile)
    # The self link leaves out the token: it is a secret of whoever reads.
    sub(root, "link", rel="self", type="application/atom+xml", href=f"{profile}.atom")
    author = sub(root, "author")
    sub(author, "name", name)
    sub(author, "uri", profile)
    for view in views:
        entry = sub(root, "entry")
        status = view.status
        sub(entry, "id", status.uri or _link(site, view))
        sub(entry, "title", _title(view))
        sub(entry, "published", status.created_at.isoformat())
        sub(entry, "updated", (status.edited_at or status.created_at).isoformat())
        sub(entry, "link", rel="alternate", type="text/html", href=_link(site, view))
        sub(entry, "content", status.content, type="html")
        for tag in view.tags:
            sub(entry, "category", term=tag)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


async def _feed(request: web.Request, render: Render, content_type: str) -> web.Response:
    member = await _reader(request)
    conn = connection(request)
    viewer = viewer_of(member, await load_policy(conn))
    shown = await get_member(conn, request.match_info["name"])
    if (
        shown is None
        or shown.account.suspended_at is not None
        or not await may_see_account(conn, viewer, shown.account.id)
    ):
        raise web.HTTPNotFound()
    account = shown.account
    views = await account_feed(conn, viewer, account.id)
    site = config(request).site
    body = render(site, account.username, account.display_name or account.username, views)
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8",
        # Personal to the reader: never stored by a shared cache.
        headers={"Cache-Control": "private, no-store"},
    )


async def rss(request: web.Request) -> web.Response:
    return await _feed(request, _rss, "application/rss+xml")


async def atom(request: web.Request) -> web.Response:
    return await _feed(request, _atom, "application/atom+xml")


def setup(app: web.Application) -> None:
    """Before `web.pages`: its `/@{name}` would otherwise take `/@name.rss` for a name."""
    app.router.add_get(f"/@{_NAME}.rss", rss, name="feed_rss")
    app.router.add_get(f"/@{_NAME}.atom", atom, name="feed_atom")
