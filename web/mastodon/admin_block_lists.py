"""Mastodon's admin API for the lists that keep people out: `canonical_email_blocks` (with
`/test`), `email_domain_blocks` and `ip_blocks` (`actors.sign_up_blocks`). Admins only, as
these shape who may join the node at all."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.accounts import MemberError
from actors.sign_up_blocks import (
    CanonicalEmailBlock,
    EmailDomainBlock,
    IpBlock,
    do_block_canonical_email,
    do_block_email_domain,
    do_block_ip,
    do_remove_canonical_email_block,
    do_remove_email_domain_block,
    do_remove_ip_block,
    do_update_ip_block,
    get_canonical_email_block,
    get_email_domain_block,
    get_ip_block,
    list_canonical_email_blocks,
    list_email_domain_blocks,
    list_ip_blocks,
    matching_canonical_email_blocks,
)
from web.errors import ApiError
from web.keys import connection
from web.mastodon.entities.dates import iso
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import NOT_FOUND, path_id, require_admin


def render_canonical(block: CanonicalEmailBlock) -> dict[str, Any]:
    return {"id": str(block.id), "canonical_email_hash": block.canonical_email_hash}


def render_email_domain(block: EmailDomainBlock) -> dict[str, Any]:
    # `history` is Mastodon's daily count of sign-up attempts; Rukun does not count them.
    return {
        "id": str(block.id),
        "domain": block.domain,
        "created_at": iso(block.created_at),
        "history": [],
    }


def render_ip(block: IpBlock) -> dict[str, Any]:
    return {
        "id": str(block.id),
        "ip": block.ip,
        "severity": block.severity,
        "comment": block.comment,
        "created_at": iso(block.created_at),
        "expires_at": iso(block.expires_at) if block.expires_at else None,
    }


def _page(request: web.Request) -> tuple[int | None, int]:
    page = page_from(Params(request.query), default=100, maximum=200)
    return page.max_id, page.limit


def _found(value: Any) -> Any:
    if value is None:
        raise ApiError(404, NOT_FOUND)
    return value


def _refused(error: MemberError) -> ApiError:
    return ApiError(422, str(error))


# -- canonical email blocks -------------------------------------------------------------------
CANONICAL_READ = "admin:read:canonical_email_blocks"
CANONICAL_WRITE = "admin:write:canonical_email_blocks"


async def canonical_index(request: web.Request) -> web.Response:
    await require_admin(request, CANONICAL_READ)
    max_id, limit = _page(request)
    blocks = await list_canonical_email_blocks(connection(request), max_id=max_id, limit=limit)
    response = json_response([render_canonical(b) for b in blocks])
    return with_link(response, request, [b.id for b in blocks])


async def canonical_show(request: web.Request) -> web.Response:
    await require_admin(request, CANONICAL_READ)
    block = _found(await get_canonical_email_block(connection(request), path_id(request)))
    return json_response(render_canonical(block))


async def canonical_test(request: web.Request) -> web.Response:
    await require_admin(request, CANONICAL_READ)
    params = await Params.read(request)
    email = params.string("email") or ""
    if not email:
        raise ApiError(400, "Missing parameter: email")
    blocks = await matching_canonical_email_blocks(connection(request), email)
    return json_response([render_canonical(b) for b in blocks])


async def canonical_create(request: web.Request) -> web.Response:
    actor = await require_admin(request, CANONICAL_WRITE)
    params = await Params.read(request)
    try:
        block = await do_block_canonical_email(
            connection(request),
            actor,
            email=params.string("email"),
            canonical_email_hash_value=params.string("canonical_email_hash"),
        )
    except MemberError as error:
        raise _refused(error) from None
    return json_response(render_canonical(block))


async def canonical_delete(request: web.Request) -> web.Response:
    actor = await require_admin(request, CANONICAL_WRITE)
    block = await do_remove_canonical_email_block(connection(request), actor, path_id(request))
    _found(block)
    return json_response({})


# -- email domain blocks ----------------------------------------------------------------------
EMAIL_READ = "admin:read:email_domain_blocks"
EMAIL_WRITE = "admin:write:email_domain_blocks"


async def email_index(request: web.Request) -> web.Response:
    await require_admin(request, EMAIL_READ)
    max_id, limit = _page(request)
    blocks = await list_email_domain_blocks(connection(request), max_id=max_id, limit=limit)
    response = json_response([render_email_domain(b) for b in blocks])
    return with_link(response, request, [b.id for b in blocks])


async def email_show(request: web.Request) -> web.Response:
    await require_admin(request, EMAIL_READ)
    block = _found(await get_email_domain_block(connection(request), path_id(request)))
    return json_response(render_email_domain(block))


async def email_create(request: web.Request) -> web.Response:
    actor = await require_admin(request, EMAIL_WRITE)
    params = await Params.read(request)
    domain = params.string("domain") or ""
    if not domain.strip():
        raise ApiError(422, "Validation failed: Domain can't be blank")
    try:
        block = await do_block_email_domain(connection(request), actor, domain)
    except MemberError as error:
        raise _refused(error) from None
    return json_response(render_email_domain(block))


async def email_delete(request: web.Request) -> web.Response:
    actor = await require_admin(request, EMAIL_WRITE)
    if not await do_remove_email_domain_block(connection(request), actor, path_id(request)):
        raise ApiError(404, NOT_FOUND)
    return json_response({})


# -- IP blocks --------------------------------------------------------------------------------
IP_READ = "admin:read:ip_blocks"
IP_WRITE = "admin:write:ip_blocks"


async def ip_index(request: web.Request) -> web.Response:
    await require_admin(request, IP_READ)
    max_id, limit = _page(request)
    blocks = await list_ip_blocks(connection(request), max_id=max_id, limit=limit)
    response = json_response([render_ip(b) for b in blocks])
    return with_link(response, request, [b.id for b in blocks])


async def ip_show(request: web.Request) -> web.Response:
    await require_admin(request, IP_READ)
    return json_response(
        render_ip(_found(await get_ip_block(connection(request), path_id(request))))
    )


async def ip_create(request: web.Request) -> web.Response:
    actor = await require_admin(request, IP_WRITE)
    params = await Params.read(request)
    ip = params.string("ip") or ""
    severity = params.string("severity") or ""
    if not ip or not severity:
        raise ApiError(422, "Validation failed: Ip and severity can't be blank")
    try:
        block = await do_block_ip(
            connection(request),
            actor,
            ip,
            severity,
            comment=params.string("comment") or "",
            expires_in=params.integer("expires_in", minimum=1),
        )
    except MemberError as error:
        raise _refused(error) from None
    return json_response(render_ip(block))


async def ip_update(request: web.Request) -> web.Response:
    actor = await require_admin(request, IP_WRITE)
    params = await Params.read(request)
    try:
        block = await do_update_ip_block(
            connection(request),
            actor,
            path_id(request),
            ip=params.string("ip"),
            severity=params.string("severity"),
            comment=params.string("comment"),
            expires_in=params.integer("expires_in", minimum=1),
        )
    except MemberError as error:
        raise _refused(error) from None
    return json_response(render_ip(_found(block)))


async def ip_delete(request: web.Request) -> web.Response:
    actor = await require_admin(request, IP_WRITE)
    if not await do_remove_ip_block(connection(request), actor, path_id(request)):
        raise ApiError(404, NOT_FOUND)
    return json_response({})


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/admin/canonical_email_blocks", canonical_index),
            ("POST", "/api/v1/admin/canonical_email_blocks", canonical_create),
            ("POST", "/api/v1/admin/canonical_email_blocks/test", canonical_test),
            ("GET", "/api/v1/admin/canonical_email_blocks/{id}", canonical_show),
            ("DELETE", "/api/v1/admin/canonical_email_blocks/{id}", canonical_delete),
            ("GET", "/api/v1/admin/email_domain_blocks", email_index),
            ("POST", "/api/v1/admin/email_domain_blocks", email_create),
            ("GET", "/api/v1/admin/email_domain_blocks/{id}", email_show),
            ("DELETE", "/api/v1/admin/email_domain_blocks/{id}", email_delete),
            ("GET", "/api/v1/admin/ip_blocks", ip_index),
            ("POST", "/api/v1/admin/ip_blocks", ip_create),
            ("GET", "/api/v1/admin/ip_blocks/{id}", ip_show),
            ("PUT", "/api/v1/admin/ip_blocks/{id}", ip_update),
            ("DELETE", "/api/v1/admin/ip_blocks/{id}", ip_delete),
        ],
    )
