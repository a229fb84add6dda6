"""Statuses: post, view, edit, delete; their history, source and context
(`/api/v1/statuses…`). What a member does to a status (boost, favourite, bookmark, pin, mute)
is in `status_actions`; lists of statuses and accounts in `status_lists`.

Mastodon's shape throughout: what the viewer may not see is 404 `Record not found`; a draft
that cannot be posted is 422 `Validation failed: …`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.accounts import Member
from actors.preferences import get_preferences
from actors.profiles import load_accounts
from actors.remote import RemoteLookup
from content.access import VISIBILITIES, narrower
from content.compose import ComposeError, Draft
from content.edits import Edit, MediaChange, media_by_ids, status_history
from content.languages import normalise_language
from content.status_lookup import access_status, visible_among
from content.statuses import Status, get_status
from content.threads import ancestor_ids, descendant_ids
from outbox.interactions import do_delete_status, do_edit_status
from outbox.posting import do_post
from outbox.posting_once import do_post_once
from web.errors import ApiError
from web.keys import config, connection, federation
from web.mastodon import status_actions, status_lists
from web.mastodon.auth import grant_for, require_member, viewer_for
from web.mastodon.entities.status_edits import render_status_edit, render_status_source
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.status_access import (
    NOT_FOUND,
    accessible_status,
    path_id,
    render_one,
    render_statuses,
)

MAX_REQUESTED = 20  # Mastodon's limit for GET /api/v1/statuses?id[]=
MAX_IDEMPOTENCY_KEY = 512
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
NO_SCHEDULING = "Validation failed: Scheduled posts are not supported yet"
NO_POLLS = "Validation failed: Polls are not supported yet"


def language_of(params: Params) -> str | None:
    raw = params.string("language")
    if raw is None or not raw.strip():
        return None
    try:
        return normalise_language(raw)
    except ValueError:
        raise ApiError(422, "Validation failed: Language is not a valid ISO 639 code") from None


def visibility_of(params: Params, default: str) -> str:
    """`visibility`, else the member's default. glitch-soc's `local_only: true` asks for a post
    that stays on this node, which is Rukun's `local` (it never widens a narrower choice)."""
    requested = params.string("visibility") or None
    if requested is not None and requested not in VISIBILITIES:
        raise ApiError(422, "Validation failed: Visibility is not included in the list")
    visibility = requested or default
    if params.boolean("local_only", False):
        visibility = narrower(visibility, "local")
    return visibility


def _refuse_unsupported(params: Params) -> None:
    # Better a clear 422 than a post published now, or without its poll.
    if params.raw("scheduled_at") not in (None, ""):
        raise ApiError(422, NO_SCHEDULING)
    if params.raw("poll") not in (None, "", {}):
        raise ApiError(422, NO_POLLS)


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(422, "Validation failed: Idempotency-Key is too long")
    return key or None


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:statuses")
    grant = await grant_for(request)
    params = await Params.read(request)
    _refuse_unsupported(params)
    conn = connection(request)
    viewer = member.account.id
    preferences = await get_preferences(conn, member.user_id)
    draft = Draft(
        text=params.string("status", "") or "",
        spoiler_text=params.string("spoiler_text", "") or "",
        visibility=visibility_of(params, preferences.default_visibility),
        sensitive=bool(params.boolean("sensitive", preferences.default_sensitive)),
        language=language_of(params) or preferences.default_language,
        in_reply_to_id=params.id("in_reply_to_id"),
        media_ids=tuple(params.ids("media_ids")),
        application_id=grant.application_id if grant else None,
    )
    key = _idempotency_key(request)
    if (
        draft.in_reply_to_id is not None
        and await access_status(conn, await viewer_for(request, member), draft.in_reply_to_id)
        is None
    ):
        raise ApiError(404, REPLY_NOT_FOUND)
    site = config(request).site
    remote = RemoteLookup(federation(request), config(request).federation_mode)
    try:
        if key is None:
            status = await do_post(conn, site, viewer, draft, remote=remote)
        else:
            status = await do_post_once(
                conn, site, viewer, draft, user_id=member.user_id, key=key, remote=remote
            )
    except ComposeError as error:
        raise ApiError(422, str(error)) from None
    return json_response(await render_one(request, status.id, viewer))


async def show(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    status = await accessible_status(request, await viewer_for(request, member))
    return json_response(await render_one(request, status.id, member.account.id))


async def index(request: web.Request) -> web.Response:
    """`GET /api/v1/statuses?id[]=…`: those the viewer may see, in the order asked."""
    member = await require_member(request, "read:statuses")
    ids = list(dict.fromkeys((await Params.read(request)).ids("id")))
    if len(ids) > MAX_REQUESTED:
        raise ApiError(422, f"Validation failed: at most {MAX_REQUESTED} statuses at a time")
    visible = await visible_among(connection(request), await viewer_for(request, member), ids)
    wanted = [i for i in ids if i in visible]
    return json_response(await render_statuses(request, wanted, member.account.id))


async def _own_status(request: web.Request, account_id: int) -> Status:
    """Only the author may edit or delete; to anyone else the status is not there."""
    status = await get_status(connection(request), path_id(request))
    if status is None or status.account_id != account_id:
        raise ApiError(404, NOT_FOUND)
    return status


async def delete(request: web.Request) -> web.Response:
    """Answers the deleted status with its `text`, which apps use to redraft."""
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    status = await _own_status(request, member.account.id)
    rendered = await render_one(request, status.id, member.account.id)
    rendered["text"] = status.text
    deleted = await do_delete_status(
        connection(request),
        config(request).site,
        status,
        delete_media=bool(params.boolean("delete_media", False)),
    )
    if not deleted:
        raise ApiError(404, NOT_FOUND)
    # Rendered just before the deletion; Mastodon too answers with the count already lowered.
    account = rendered["account"]
    account["statuses_count"] = max(account["statuses_count"] - 1, 0)
    return json_response(rendered)


def _focus(raw: Any) -> tuple[float, float] | None:
    """`"x,y"` (or `{"x": …, "y": …}`), each between -1 and 1."""
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, dict):
            x, y = float(raw["x"]), float(raw["y"])
        else:
            x_text, y_text = str(raw).split(",")
            x, y = float(x_text), float(y_text)
    except (KeyError, TypeError, ValueError):
        raise ApiError(422, "Validation failed: focus must be two numbers, x,y") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ApiError(422, "Validation failed: focus must be between -1 and 1")
    return (x, y)


def _media_changes(params: Params) -> tuple[MediaChange, ...]:
    changes = []
    for item in params.objects("media_attributes"):
        attributes = Params(item)
        media_id = attributes.id("id")
        if media_id is None:
            raise ApiError(422, "Validation failed: media_attributes need an id")
        changes.append(
            MediaChange(
                id=media_id,
                description=attributes.string("description"),
                focus=_focus(attributes.raw("focus")),
            )
        )
    return tuple(changes)


async def update(request: web.Request) -> web.Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    status = await _own_status(request, member.account.id)
    if status.reblog_of_id is not None:
        raise ApiError(422, "Validation failed: A boost cannot be edited")
    if params.raw("poll") not in (None, "", {}):
        raise ApiError(422, NO_POLLS)
    edit = Edit(
        text=params.string("status", "") or "",
        spoiler_text=params.string("spoiler_text", "") or "",
        sensitive=bool(params.boolean("sensitive", False)),
        language=language_of(params),
        media_ids=tuple(dict.fromkeys(params.ids("media_ids"))),
        media_changes=_media_changes(params),
    )
    return await edit_and_render(request, member, status, edit)


async def edit_and_render(
    request: web.Request, member: Member, status: Status, edit: Edit
) -> web.Response:
    """Edit the member's own status (a note or an article) and answer it as it now stands."""
    try:
        edited = await do_edit_status(
            connection(request),
            config(request).site,
            member.account.id,
            status,
            edit,
            remote=RemoteLookup(federation(request), config(request).federation_mode),
        )
    except ComposeError as error:
        raise ApiError(422, str(error)) from None
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    return json_response(await render_one(request, edited.id, member.account.id))


async def history(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    status = await accessible_status(request, await viewer_for(request, member))
    conn = connection(request)
    versions = await status_history(conn, status)
    authors = await load_accounts(conn, {v.account_id for v in versions})
    media = await media_by_ids(conn, [i for v in versions for i in v.media_ids])
    site = config(request).site
    return json_response(
        [
            render_status_edit(v, authors[v.account_id], media, site)
            for v in versions
            if v.account_id in authors
        ]
    )


async def source(request: web.Request) -> web.Response:
    member = await require_member(request, "read:statuses")
    status = await accessible_status(request, await viewer_for(request, member))
    return json_response(render_status_source(status))


async def context(request: web.Request) -> web.Response:
    """Ancestors oldest first, descendants in thread order; each one the viewer may see."""
    member = await require_member(request, "read:statuses")
    viewer = await viewer_for(request, member)
    status = await accessible_status(request, viewer)
    conn = connection(request)
    ancestors = await ancestor_ids(conn, status, viewer)
    descendants = await descendant_ids(conn, status, viewer)
    return json_response(
        {
            "ancestors": await render_statuses(request, ancestors, viewer.account_id),
            "descendants": await render_statuses(request, descendants, viewer.account_id),
        }
    )


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/statuses", create),
            ("GET", "/api/v1/statuses", index),
            ("GET", "/api/v1/statuses/{id}", show),
            ("PUT", "/api/v1/statuses/{id}", update),
            ("DELETE", "/api/v1/statuses/{id}", delete),
            ("GET", "/api/v1/statuses/{id}/history", history),
            ("GET", "/api/v1/statuses/{id}/source", source),
            ("GET", "/api/v1/statuses/{id}/context", context),
        ],
    )
    status_actions.setup(app)
    status_lists.setup(app)
