"""Mastodon's admin API for federation domains — `domain_blocks` (severity `silence`,
`suspend` or `noop`, with reject_media, reject_reports, comments and obfuscate) and
`domain_allows` — over Rukun's one table of domain rules (`actors.partners`): a domain has
one rule, an allow or a block, so blocking an allowed domain replaces its allow. A block
with `suspend` takes effect at once: queued deliveries there are dropped
(`outbox.domain_blocks`) and its inbox posts are refused from then on. Admins only."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import Member
from actors.partners import (
    BlockOptions,
    DomainPolicy,
    PartnerError,
    check_domain,
    covering_block,
    do_allow_domain,
    do_remove_domain,
    domain_rule_by_id,
    get_domain_policy,
    list_domain_rules,
)
from federation.domain_policy import ALLOW, BLOCK, SEVERITIES
from outbox.domain_blocks import do_block_domain_now
from web.errors import ApiError
from web.keys import connection
from web.mastodon.entities.admin_domains import render_domain_allow, render_domain_block
from web.mastodon.paging import page_from, with_link
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.mastodon.staff import NOT_FOUND, path_id, require_admin

BLOCKS_READ = "admin:read:domain_blocks"
BLOCKS_WRITE = "admin:write:domain_blocks"
ALLOWS_READ = "admin:read:domain_allows"
ALLOWS_WRITE = "admin:write:domain_allows"
# What Mastodon's interface calls "limit" is the `silence` severity.
_SEVERITY_NAMES = {"limit": "silence"}


def _options(params: Params) -> BlockOptions:
    return BlockOptions(
        reject_media=params.boolean("reject_media"),
        reject_reports=params.boolean("reject_reports"),
        private_comment=params.string("private_comment"),
        public_comment=params.string("public_comment"),
        obfuscate=params.boolean("obfuscate"),
    )


def _severity(params: Params, default: str | None) -> str | None:
    severity = params.string("severity") or default
    severity = _SEVERITY_NAMES.get(severity or "", severity)
    if severity is not None and severity not in SEVERITIES:
        raise ApiError(422, f"Validation failed: Severity must be one of {', '.join(SEVERITIES)}")
    return severity


async def _rule(request: web.Request, policy: str) -> DomainPolicy:
    rule = await domain_rule_by_id(connection(request), path_id(request), policy)
    if rule is None:
        raise ApiError(404, NOT_FOUND)
    return rule


async def _listing(request: web.Request, policy: str) -> list[DomainPolicy]:
    page = page_from(Params(request.query), default=100, maximum=200)
    return await list_domain_rules(
        connection(request), policy, max_id=page.max_id, limit=page.limit
    )


# -- blocks -----------------------------------------------------------------------------------


async def blocks(request: web.Request) -> web.Response:
    await require_admin(request, BLOCKS_READ)
    rules = await _listing(request, BLOCK)
    response = json_response([render_domain_block(rule) for rule in rules])
    return with_link(response, request, [rule.id for rule in rules])


async def block(request: web.Request) -> web.Response:
    await require_admin(request, BLOCKS_READ)
    return json_response(render_domain_block(await _rule(request, BLOCK)))


async def create_block(request: web.Request) -> web.Response:
    """Mastodon refuses a block of a domain already covered by one (on it or on a parent)
    with 422, naming the block there."""
    actor = await require_admin(request, BLOCKS_WRITE)
    params = await Params.read(request)
    text = params.string("domain") or ""
    if not text.strip():
        raise ApiError(422, "Validation failed: Domain can't be blank")
    conn = connection(request)
    try:
        existing = await covering_block(conn, text)
        if existing is not None:
            raise ApiError(
                422,
                f"You have already imposed stricter limits on {existing.domain}.",
                existing_domain_block=render_domain_block(existing),
            )
        rule = await do_block_domain_now(
            conn,
            actor,
            text,
            severity=_severity(params, "silence") or "silence",
            reason=params.string("private_comment") or "",
            options=_options(params),
        )
    except PartnerError as error:
        raise ApiError(422, f"Validation failed: Domain {error}") from None
    return json_response(render_domain_block(rule))


async def update_block(request: web.Request) -> web.Response:
    actor = await require_admin(request, BLOCKS_WRITE)
    params = await Params.read(request)
    rule = await _rule(request, BLOCK)
    try:
        changed = await do_block_domain_now(
            connection(request),
            actor,
            rule.domain,
            severity=_severity(params, rule.severity) or rule.severity,
            reason=rule.reason,
            options=_options(params),
        )
    except PartnerError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    return json_response(render_domain_block(changed))


async def _remove(request: web.Request, policy: str, actor: Member) -> web.Response:
    rule = await _rule(request, policy)
    await do_remove_domain(connection(request), rule.domain, actor=actor)
    return json_response({})


async def delete_block(request: web.Request) -> web.Response:
    actor = await require_admin(request, BLOCKS_WRITE)
    return await _remove(request, BLOCK, actor)


# -- allows -----------------------------------------------------------------------------------


async def allows(request: web.Request) -> web.Response:
    await require_admin(request, ALLOWS_READ)
    rules = await _listing(request, ALLOW)
    response = json_response([render_domain_allow(rule) for rule in rules])
    return with_link(response, request, [rule.id for rule in rules])


async def allow(request: web.Request) -> web.Response:
    await require_admin(request, ALLOWS_READ)
    return json_response(render_domain_allow(await _rule(request, ALLOW)))


async def create_allow(request: web.Request) -> web.Response:
    """Allowing a domain already allowed answers the allow there, as Mastodon does."""
    actor = await require_admin(request, ALLOWS_WRITE)
    params = await Params.read(request)
    text = params.string("domain") or ""
    if not text.strip():
        raise ApiError(422, "Validation failed: Domain can't be blank")
    conn = connection(request)
    try:
        existing = await get_domain_policy(conn, check_domain(text))
        if existing is not None and existing.policy == ALLOW:
            return json_response(render_domain_allow(existing))
        rule = await do_allow_domain(conn, text, actor=actor)
    except PartnerError as error:
        raise ApiError(422, f"Validation failed: Domain {error}") from None
    return json_response(render_domain_allow(rule))


async def delete_allow(request: web.Request) -> web.Response:
    actor = await require_admin(request, ALLOWS_WRITE)
    return await _remove(request, ALLOW, actor)


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/admin/domain_blocks", blocks),
            ("POST", "/api/v1/admin/domain_blocks", create_block),
            ("GET", "/api/v1/admin/domain_blocks/{id}", block),
            ("PUT", "/api/v1/admin/domain_blocks/{id}", update_block),
            ("DELETE", "/api/v1/admin/domain_blocks/{id}", delete_block),
            ("GET", "/api/v1/admin/domain_allows", allows),
            ("POST", "/api/v1/admin/domain_allows", create_allow),
            ("GET", "/api/v1/admin/domain_allows/{id}", allow),
            ("DELETE", "/api/v1/admin/domain_allows/{id}", delete_allow),
        ],
    )
