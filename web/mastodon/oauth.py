"""OAuth 2 endpoints: the token endpoint (authorization code with PKCE, client credentials,
password), revocation, the server metadata (RFC 8414) and OIDC-style user info.

Errors on the token and revocation endpoints take OAuth's shape, not the API's (RFC 6749 §5.2):
`{"error": "invalid_grant", "error_description": "…"}`, 401 for a client that failed to
authenticate and 400 otherwise, as Mastodon's Doorkeeper answers."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from actors.credentials import recent_failed_sign_ins, record_sign_in_attempt
from actors.oauth import (
    INVALID_GRANT,
    Application,
    IssuedToken,
    OAuthError,
    authenticate_client,
    check_requested_scopes,
    do_issue_token,
    do_redeem_authorization_code,
    do_revoke_token,
)
from actors.scopes import ADMIN_READ, ADMIN_WRITE, READ, WRITE
from actors.site import Site
from web.errors import ApiError
from web.keys import config, connection
from web.mastodon import apps, authorize
from web.mastodon.auth import require_member
from web.mastodon.entities.accounts import DEFAULT_AVATAR, absolute
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.signin import MAX_FAILED_SIGN_INS, RETRY_AFTER_SECONDS, TOO_MANY_ATTEMPTS, check_sign_in

INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
UNSUPPORTED_GRANT_TYPE = (
    "The authorization grant type is not supported by the authorization server."
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
SCOPES_SUPPORTED = [
    "read",
    "write",
    *sorted(WRITE),
    *sorted(READ),
    "follow",
    "push",
    "profile",
    "admin:read",
    *sorted(ADMIN_READ),
    "admin:write",
    *sorted(ADMIN_WRITE),
]


def oauth_error(error: str, description: str, status: int = 400) -> ApiError:
    failure = ApiError(status, error, error_description=description)
    failure.headers.update(NO_STORE)
    return failure


def _refusal(error: OAuthError) -> ApiError:
    return oauth_error(error.error, error.description)


async def _read(request: web.Request) -> Params:
    """Form or JSON bodies (masto.js and megalodon send JSON); unknown fields are ignored."""
    try:
        return await Params.read(request)
    except ApiError:
        raise oauth_error("invalid_request", "The request body could not be read.") from None


def _text(params: Params, name: str) -> str | None:
    value = params.raw(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise oauth_error("invalid_request", f"The parameter {name} must be a string.")
    return str(value)


def _required(params: Params, name: str) -> str:
    value = _text(params, name)
    if value is None:
        raise oauth_error("invalid_request", f"Missing required parameter: {name}.")
    return value


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """HTTP Basic client authentication: both halves are form-encoded first (RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticated_client(request: web.Request, params: Params) -> Application:
    """The client, authenticated by HTTP Basic or by `client_id`/`client_secret` in the body."""
    basic = _basic_credentials(request)
    if basic is None:
        client_id, secret = _text(params, "client_id") or "", _text(params, "client_secret") or ""
    else:
        client_id, secret = basic
    application = None
    if client_id and secret:
        application = await authenticate_client(connection(request), client_id, secret)
    if application is None:
        failure = oauth_error("invalid_client", INVALID_CLIENT, 401)
        if basic is not None:
            failure.headers["WWW-Authenticate"] = 'Basic realm="OAuth", charset="UTF-8"'
        raise failure
    return application


# -- grants ----------------------------------------------------------------------------------


async def _authorization_code(
    request: web.Request, params: Params, application: Application
) -> IssuedToken:
    try:
        return await do_redeem_authorization_code(
            connection(request),
            application,
            _required(params, "code"),
            _required(params, "redirect_uri"),
            _text(params, "code_verifier"),
        )
    except OAuthError as error:
        raise _refusal(error) from None


async def _client_credentials(
    request: web.Request, params: Params, application: Application
) -> IssuedToken:
    """An app token: acts for no member, so it reads only what needs no account."""
    try:
        scopes = check_requested_scopes(application, _text(params, "scope"))
    except OAuthError as error:
        raise _refusal(error) from None
    _, issued = await do_issue_token(connection(request), application.id, None, scopes)
    return issued


async def _password(request: web.Request, params: Params, application: Application) -> IssuedToken:
    """The resource-owner password grant (Mastodon removed it in 4.4; scripts still use it).
    Failures count towards the same limit as the sign-in form's."""
    login = _required(params, "username").strip()[:320]
    password = _required(params, "password")
    try:
        scopes = check_requested_scopes(application, _text(params, "scope"))
    except OAuthError as error:
        raise _refusal(error) from None
    conn = connection(request)
    if await recent_failed_sign_ins(conn, request.remote, login) >= MAX_FAILED_SIGN_INS:
        failure = oauth_error("invalid_grant", TOO_MANY_ATTEMPTS, 429)
        failure.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        raise failure
    member = await check_sign_in(request, login, password)  # None for disabled members too
    await record_sign_in_attempt(conn, request.remote, login, member is not None)
    if member is None:
        raise oauth_error("invalid_grant", INVALID_GRANT)
    if member.password_change_required:
        raise oauth_error("invalid_grant", "The password must first be changed on the website.")
    _, issued = await do_issue_token(conn, application.id, member.user_id, scopes)
    return issued


_GRANTS = {
    "authorization_code": _authorization_code,
    "client_credentials": _client_credentials,
    "password": _password,
}


def grant_types(request: web.Request) -> list[str]:
    return [g for g in _GRANTS if g != "password" or config(request).password_grant]


async def token(request: web.Request) -> web.Response:
    params = await _read(request)
    grant_type = _required(params, "grant_type")
    if grant_type not in grant_types(request):
        raise oauth_error("unsupported_grant_type", UNSUPPORTED_GRANT_TYPE)
    application = await authenticated_client(request, params)
    issued = await _GRANTS[grant_type](request, params, application)
    body = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scopes,
        "created_at": int(issued.created_at.timestamp()),
    }
    return json_response(body, headers=NO_STORE)


async def revoke(request: web.Request) -> web.Response:
    """RFC 7009: once the client has authenticated the answer is always `{}`, whether the token
    was its own, another client's, unknown or already revoked; only its own is revoked."""
    params = await _read(request)
    application = await authenticated_client(request, params)
    await do_revoke_token(connection(request), application.id, _required(params, "token"))
    return json_response({})


# -- discovery and user info -----------------------------------------------------------------


def issuer(site: Site) -> str:
    return site.base_url + "/"  # Mastodon's `root_url`, with its slash


async def authorization_server(request: web.Request) -> web.Response:
    base = config(request).site.base_url
    document: dict[str, Any] = {
        "issuer": issuer(config(request).site),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}{authorize.AUTHORIZE_PATH}",
        "token_endpoint": f"{base}/oauth/token",
        # Mastodon's own name for it: /api/v1/apps is not RFC 7591 dynamic registration.
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        # Mastodon.py refuses the password flow up front when this list lacks it.
        "grant_types_supported": grant_types(request),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    return json_response(document, headers={"Access-Control-Allow-Origin": "*"})


async def userinfo(request: web.Request) -> web.Response:
    member = await require_member(request, "profile", "read:accounts")
    site = config(request).site
    account = member.account
    profile = site.profile_url(account.username)
    return json_response(
        {
            "iss": issuer(site),
            "sub": site.actor_url(account.username),
            "name": account.display_name or account.username,
            "preferred_username": account.username,
            "profile": profile,
            "picture": absolute(site, account.avatar_url, DEFAULT_AVATAR),
            "website": profile,
        }
    )


def setup(app: web.Application) -> None:
    apps.setup(app)
    authorize.setup(app)
    add_routes(
        app,
        [
            ("POST", "/oauth/token", token),
            ("POST", "/oauth/revoke", revoke),
            ("GET", "/oauth/userinfo", userinfo),
            ("POST", "/oauth/userinfo", userinfo),  # OIDC allows both
            ("GET", "/.well-known/oauth-authorization-server", authorization_server),
        ],
    )
