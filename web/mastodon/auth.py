"""Bearer-token authentication and scope checks for the client API.

Errors follow Mastodon: 401 `The access token is invalid` for a missing, unknown, revoked or
expired token (and for a disabled member's), 403 `This action is outside the authorized scopes`
when the token lacks the scope, 422 `This method requires an authenticated user` when an app
token (client_credentials) is used where a member is needed, and 403 `Your login is currently
pending approval` for a member whose sign-up an admin has not approved yet (Mastodon issues
such a member a token at sign-up, then refuses it everywhere a user is needed). A request with
a token from a network under a `no_access` IP block (`actors.sign_up_blocks`) gets 403."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import Member
from actors.credentials import TokenGrant, authenticate_token
from actors.node_policy import load_policy
from actors.scopes import allows
from actors.sign_up_blocks import ip_severity
from content.access import Viewer, viewer_of
from web.errors import ApiError
from web.keys import connection

GRANT: web.RequestKey[TokenGrant | None] = web.RequestKey("grant")
VIEWER: web.RequestKey[Viewer] = web.RequestKey("viewer")
_INVALID = "The access token is invalid"
PENDING_APPROVAL = "Your login is currently pending approval"
NETWORK_BLOCKED = "Access from your network is blocked"


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    # Some clients (and the streaming API) pass the token as a parameter.
    return request.query.get("access_token") or None


async def grant_for(request: web.Request) -> TokenGrant | None:
    """The request's token grant, or None without a token; 401 for a bad token."""
    if GRANT in request:
        return request[GRANT]
    token = bearer_token(request)
    grant = None
    if token is not None:
        conn = connection(request)
        # An admin's `no_access` IP block refuses every authenticated request from there.
        if await ip_severity(conn, request.remote) == "no_access":
            raise ApiError(403, NETWORK_BLOCKED)
        grant = await authenticate_token(conn, token)
        if grant is None:
            raise ApiError(401, _INVALID)
    request[GRANT] = grant
    return grant


def _check_scopes(grant: TokenGrant, scopes: tuple[str, ...]) -> None:
    if scopes and not any(allows(grant.scopes, scope) for scope in scopes):
        raise ApiError(403, "This action is outside the authorized scopes")


async def require_app(request: web.Request, *scopes: str) -> TokenGrant:
    """Any valid token, app-only tokens included."""
    grant = await grant_for(request)
    if grant is None:
        raise ApiError(401, _INVALID)
    _check_scopes(grant, scopes)
    return grant


async def require_member(request: web.Request, *scopes: str) -> Member:
    """A member's token holding one of `scopes`. Nothing on a members-only node is readable
    without one."""
    grant = await require_app(request, *scopes)
    if grant.member is None:
        raise ApiError(422, "This method requires an authenticated user")
    if not grant.member.approved:
        raise ApiError(403, PENDING_APPROVAL)
    if grant.member.leaves_at is not None:
        refuse_leaving(request)
    if grant.member.account.moved_to_account_id is not None:
        refuse_moved_changes(request)
    return grant.member


LEAVING = "This account is read-only: its member is leaving the organisation"
# What a leaving member may still change: where they move to, and their archive.
_LEAVING_MAY = ("/api/v1/rukun/move", "/api/v1/rukun/aliases", "/api/v1/rukun/exports")


def refuse_leaving(request: web.Request) -> None:
    """An offboarded member reads, takes their archive and names their new account; nothing
    else they send changes anything here."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.path.rstrip("/").startswith(_LEAVING_MAY):
        return
    raise ApiError(403, LEAVING)


MOVED = "Your login is currently disabled"
# What a moved account may still change: its redirect and aliases, and its archive.
_MOVED_MAY = ("/api/v1/rukun/move", "/api/v1/rukun/aliases", "/api/v1/rukun/exports")


def refuse_moved_changes(request: web.Request) -> None:
    """A moved account reads, takes its archive and may cancel its redirect; it no longer
    acts here (Mastodon refuses it the whole API with this message; reads stay open here so
    the member can still see what they leave behind)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.path.rstrip("/").startswith(_MOVED_MAY):
        return
    raise ApiError(403, MOVED)


async def viewer_for(request: web.Request, member: Member) -> Viewer:
    """What the member may see (`content.access`): their role and the node's current policy,
    read once per request."""
    if VIEWER not in request:
        request[VIEWER] = viewer_of(member, await load_policy(connection(request)))
    return request[VIEWER]


async def require_viewer(request: web.Request, *scopes: str) -> Viewer:
    """`require_member`, as the viewer every read is filtered for."""
    return await viewer_for(request, await require_member(request, *scopes))
