"""Rukun's invitation API, `/api/v1/rukun/invitations` (Mastodon has invitations only on its
web pages): list, create, revoke.

Scopes: `read:accounts` to list, `write:accounts` to create and revoke; an invitation that
gives a staff role (admin, moderator) also needs `admin:write:accounts`, so an ordinary app
token of an admin cannot mint admins. What a member may do follows their role and the node
policy (`actors.invitations.check_may_invite`); admins list everyone's invitations, others
their own."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.accounts import ROLES
from actors.invitations import (
    Invitation,
    InvitationError,
    do_create_invitation,
    do_revoke_invitation,
    invitation_link,
    list_invitations,
)
from actors.node_policy import load_policy
from actors.roles import STAFF
from actors.scopes import allows
from actors.site import Site
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon.auth import grant_for, require_member
from web.mastodon.entities.dates import iso
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

BASE = "/api/v1/rukun/invitations"
STAFF_SCOPE = "admin:write:accounts"


def render_invitation(invitation: Invitation, site: Site) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "code": invitation.code,
        "url": invitation_link(site, invitation.code),
        "role": invitation.role,
        "uses": invitation.uses,
        "max_uses": invitation.max_uses,
        "expires_at": iso(invitation.expires_at),
        "revoked": invitation.revoked_at is not None,
        "created_at": iso(invitation.created_at),
    }


async def index(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    found = await list_invitations(connection(request), member)
    site = config(request).site
    return json_response([render_invitation(i, site) for i in found])


async def create(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    params = await Params.read(request)
    role = params.string("role") or "customer"
    if role not in ROLES:
        raise ApiError(422, f"Validation failed: role must be one of {', '.join(ROLES)}")
    grant = await grant_for(request)
    if role in STAFF and (grant is None or not allows(grant.scopes, STAFF_SCOPE)):
        raise ApiError(403, "This action is outside the authorized scopes")
    conn = connection(request)
    try:
        invitation = await do_create_invitation(
            conn,
            member,
            await load_policy(conn),
            role,
            expires_in=params.integer("expires_in"),
            max_uses=params.integer("max_uses"),
        )
    except InvitationError as error:
        prefix = "Validation failed: " if error.status == 422 else ""
        raise ApiError(error.status, prefix + str(error)) from None
    return json_response(render_invitation(invitation, config(request).site))


async def revoke(request: web.Request) -> web.Response:
    member = await require_member(request, "write:accounts")
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, "Record not found")
    try:
        invitation = await do_revoke_invitation(connection(request), member, int(text))
    except InvitationError as error:
        raise ApiError(error.status, str(error)) from None
    return json_response(render_invitation(invitation, config(request).site))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", BASE, index),
            ("POST", BASE, create),
            ("DELETE", BASE + "/{id}", revoke),
        ],
    )
