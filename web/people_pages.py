"""Finding people and things: the directory (`actors.people.directory_page`, filtered by
department or skill, customers hidden from customers as in `GET /api/v1/directory`), search
(`content.search.search`, what `GET /api/v2/search` finds), a hashtag's posts, and the list
of groups with join and leave (joining a group is following it, `outbox.relationships`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from actors.groups import is_member, list_groups
from actors.people import DirectoryQuery, directory_page
from actors.profiles import load_accounts
from actors.relationships import load_relationships
from actors.remote import RemoteLookup
from content.access import hides_customers, visible_accounts
from content.search import SearchQuery, search
from content.timelines import LiveFilter, TagQuery, tag_timeline
from db.keyset import Window
from web.auth import member_page
from web.keys import config, connection, federation
from web.status_entries import id_param, page_viewer, person, status_entries
from web.timeline_pages import PAGE_SIZE, paging_links

DIRECTORY_PAGE = 40
MAX_QUERY = 500


def _text(request: web.Request, name: str) -> str:
    return request.query.get(name, "").strip()[:MAX_QUERY]


async def _people(request: web.Request, viewer_id: int, views: list[Any]) -> list[dict[str, Any]]:
    relationships = await load_relationships(
        connection(request), viewer_id, [view.account.id for view in views]
    )
    people = []
    for view in views:
        entry = person(view)
        relationship = relationships.get(view.account.id)
        entry["following"] = bool(relationship and relationship.following)
        entry["requested"] = bool(relationship and relationship.requested)
        entry["is_self"] = view.account.id == viewer_id
        people.append(entry)
    return people


@member_page
async def directory(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    department, skill = _text(request, "department"), _text(request, "skill")
    offset = request.query.get("offset", "0")
    start = int(offset) if offset.isdigit() and len(offset) < 9 else 0
    query = DirectoryQuery(
        offset=start,
        limit=DIRECTORY_PAGE,
        order="new" if request.query.get("order") == "new" else "active",
        local=request.query.get("everyone") != "1",
        department=department or None,
        skill=skill or None,
    )
    hidden = ("customer",) if hides_customers(viewer) else ()
    views = await directory_page(connection(request), query, hidden_roles=hidden)
    filters = {"department": department, "skill": skill, "order": query.order}
    kept = {name: value for name, value in filters.items() if value}
    if not query.local:
        kept["everyone"] = "1"
    base = urlencode(kept)
    context = {
        "people": await _people(request, viewer.account_id, views),
        "filters": filters,
        "everyone": not query.local,
        "next_path": request.path_qs,
        "older": start + DIRECTORY_PAGE if len(views) == DIRECTORY_PAGE else None,
        "newer": max(start - DIRECTORY_PAGE, 0) if start else None,
        "query_base": base,
    }
    return aiohttp_jinja2.render_template("directory.html", request, context)


@member_page
async def search_page(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    text = _text(request, "q")
    context: dict[str, Any] = {"q": text, "searched": bool(text), "next_path": request.path_qs}
    if text:
        site = config(request).site
        remote = RemoteLookup(federation(request), config(request).federation_mode)
        results = await search(
            connection(request), site, viewer, SearchQuery(text=text, resolve=True), remote=remote
        )
        context["accounts"] = await _people(request, viewer.account_id, results.accounts)
        context["statuses"] = status_entries(request, results.statuses)
        context["hashtags"] = [tag.name for tag in results.hashtags]
    return aiohttp_jinja2.render_template("search.html", request, context)


@member_page
async def tag_page(request: web.Request) -> web.StreamResponse:
    viewer = await page_viewer(request)
    name = request.match_info["name"].lstrip("#")[:100]
    window = Window(
        max_id=id_param(request.query.get("max_id")),
        min_id=id_param(request.query.get("min_id")),
        limit=PAGE_SIZE,
    )
    views = await tag_timeline(
        connection(request), viewer, window, TagQuery(tag=name), LiveFilter()
    )
    entries = status_entries(request, views)
    path = f"/tags/{name}"
    context = {
        "tag": name,
        "statuses": entries,
        "links": paging_links(path, [e["outer_id"] for e in entries], window, PAGE_SIZE),
        "next_path": path,
    }
    return aiohttp_jinja2.render_template("tag.html", request, context)


@member_page
async def groups(request: web.Request) -> web.StreamResponse:
    """Every group a member may see (a members-only group only to its members; a customer
    sees only the groups they are in), as `GET /api/v1/groups` lists them."""
    viewer = await page_viewer(request)
    conn = connection(request)
    listed = await list_groups(conn, viewer.account_id if viewer.is_customer else None)
    shown = []
    for group in listed:
        member = await is_member(conn, group.id, viewer.account_id)
        if group.members_only and not member:
            continue
        shown.append((group, member))
    views = await load_accounts(conn, [group.id for group, _ in shown])
    visible = await visible_accounts(conn, viewer, list(views))
    entries = []
    for group, member in shown:
        view = views.get(group.id)
        if view is None or group.id not in visible:
            continue
        entries.append(
            {
                **person(view),
                "note": view.account.note,
                "members_count": view.followers_count,
                "member": member,
                "policy": group.policy,
                "is_project": group.is_project,
            }
        )
    context = {"groups": entries, "next_path": "/groups"}
    return aiohttp_jinja2.render_template("groups.html", request, context)


def setup(app: web.Application) -> None:
    app.router.add_get("/directory", directory, name="directory")
    app.router.add_get("/search", search_page, name="search")
    app.router.add_get("/tags/{name}", tag_page, name="tag")
    app.router.add_get("/groups", groups, name="groups")
