"""The browser half of OAuth's authorization-code flow: `GET /oauth/authorize` shows a signed-in
member what an app asks for; `POST /oauth/authorize` records the answer and sends the browser
back to the app with a code (or `error=access_denied`).

Until the client and its redirect URI are known to match a registration, errors are shown as a
page and never redirected (RFC 6749 §4.1.2.1): otherwise the node would be an open redirector.
Once they match, errors go back to the app as `?error=…`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from actors.credentials import do_close_session
from actors.oauth import (
    OOB,
    Application,
    CodeRequest,
    OAuthError,
    check_code_challenge,
    check_requested_scopes,
    do_create_authorization_code,
    find_application,
)
from web.auth import SIGN_IN_PATH, delete_cookie, form_text, require_session
from web.errors import error_response
from web.keys import SESSION_COOKIE, connection

AUTHORIZE_PATH = "/oauth/authorize"
_TRUE = {"true", "1", "yes", "on"}
_MAX_STATE_LENGTH = 2000
_NO_STORE = {"Cache-Control": "no-store"}  # codes travel in these redirects
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SCOPE_DESCRIPTIONS = {
    "read": "Read all your account's data",
    "write": "Change all your account's data",
    "follow": "Follow, mute and block accounts",
    "push": "Receive your push notifications",
    "profile": "Read only your basic profile",
    "admin:read": "Read all data on this node (administrators)",
    "admin:write": "Moderate and change all data on this node (administrators)",
}


@dataclass(frozen=True, slots=True)
class Pending:
    """An authorization request that passed every check, waiting for the member's answer."""

    application: Application
    redirect_uri: str
    scopes: str
    state: str
    code_challenge: str | None


def describe(scope: str) -> str:
    if scope in SCOPE_DESCRIPTIONS:
        return SCOPE_DESCRIPTIONS[scope]
    *prefix, what = scope.split(":")
    what = what.replace("_", " ")
    if prefix and prefix[0] == "admin":
        return f"{'Read' if prefix[-1] == 'read' else 'Moderate'} {what} (administrators)"
    return f"{'Read' if prefix == ['read'] else 'Change'} your {what}"


async def _client(request: web.Request, fields: Mapping[str, str]) -> tuple[Application, str]:
    """The app and the redirect URI, which must be one it registered; else a 400 page."""
    application = await find_application(connection(request), fields.get("client_id", ""))
    if application is None:
        raise _page_error("Client authentication failed: unknown client")
    redirect_uri = fields.get("redirect_uri", "")
    if redirect_uri not in application.redirect_uris:
        raise _page_error("The redirect URI is not registered for this application")
    return application, redirect_uri


def _page_error(message: str) -> web.HTTPException:
    # The error middleware renders this as a page (or JSON for an `Accept: application/json`).
    return web.HTTPBadRequest(reason=message)


def _check(application: Application, redirect_uri: str, fields: Mapping[str, str]) -> Pending:
    if fields.get("response_type") != "code":
        raise OAuthError(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        )
    state = fields.get("state", "")
    if len(state) > _MAX_STATE_LENGTH:
        raise OAuthError("invalid_request", "The state parameter is too long.")
    scopes = check_requested_scopes(application, fields.get("scope"))
    challenge = check_code_challenge(
        fields.get("code_challenge") or None, fields.get("code_challenge_method") or None
    )
    return Pending(application, redirect_uri, scopes, state, challenge)


def _with_query(uri: str, params: dict[str, str]) -> str:
    # Appended by hand: re-serialising a custom-scheme URI could change what the app registered.
    separator = "&" if "?" in uri else "?"
    return uri + separator + urlencode(params)


def _back_to_app(redirect_uri: str, params: dict[str, str], state: str) -> web.Response:
    if state:
        params = {**params, "state": state}
    location = _with_query(redirect_uri, params)
    return web.Response(status=302, headers={"Location": location, **_NO_STORE})


def _refused(
    request: web.Request, redirect_uri: str, error: OAuthError, state: str
) -> web.Response:
    if redirect_uri == OOB:
        return error_response(request, 400, error.description)
    return _back_to_app(
        redirect_uri, {"error": error.error, "error_description": error.description}, state
    )


def _form_action_source(redirect_uri: str) -> str:
    """Where the consent form's answer may lead, for CSP `form-action`: Chrome applies it to the
    redirect that follows the POST too, so `'self'` alone would stop the browser before it
    reaches the app. Returns "" when the URI cannot be named safely (the OOB page needs none)."""
    if redirect_uri == OOB:
        return ""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme in {"http", "https"}:
        host = parts.netloc.rpartition("@")[2]
        return f"{scheme}://{host}" if _HOST.match(host) else ""
    return f"{scheme}:"


def _consent_policy(redirect_uri: str) -> str:
    source = _form_action_source(redirect_uri)
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data: https:; "
        f"form-action 'self'{' ' + source if source else ''}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


async def _sign_in_again(request: web.Request) -> web.Response:
    """`force_login`: end the current session and ask for a sign-in, coming back here after it
    (without the flag, or the return trip would sign out again)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await do_close_session(connection(request), token)
    back = URL(request.path).with_query(
        [(k, v) for k, v in request.query.items() if k != "force_login"]
    )
    location = URL(SIGN_IN_PATH).with_query(next=str(back))
    response = web.Response(status=302, headers={"Location": str(location), **_NO_STORE})
    delete_cookie(request, response, SESSION_COOKIE)
    return response


async def authorize_form(request: web.Request) -> web.StreamResponse:
    fields = {name: request.query.get(name, "") for name in _FIELDS}
    application, redirect_uri = await _client(request, fields)
    try:
        pending = _check(application, redirect_uri, fields)
    except OAuthError as error:
        return _refused(request, redirect_uri, error, fields["state"])
    if request.query.get("force_login", "").lower() in _TRUE:
        return await _sign_in_again(request)
    session = await require_session(request)
    context = {
        "application": application,
        "website": application.website,
        "member": session.member,
        "redirect_uri": redirect_uri,
        "oob": OOB,
        "scope": pending.scopes,
        "scopes": [(scope, describe(scope)) for scope in pending.scopes.split()],
        "state": pending.state,
        "code_challenge": pending.code_challenge or "",
        "code_challenge_method": "S256" if pending.code_challenge else "",
    }
    response = aiohttp_jinja2.render_template("oauth_authorize.html", request, context)
    response.headers["Content-Security-Policy"] = _consent_policy(redirect_uri)
    return response


async def authorize_decision(request: web.Request) -> web.StreamResponse:
    session = await require_session(request)  # checks the form's CSRF token
    form = await request.post()
    fields = {name: form_text(form, name) for name in _FIELDS}
    application, redirect_uri = await _client(request, fields)
    try:
        pending = _check(application, redirect_uri, fields)
    except OAuthError as error:
        return _refused(request, redirect_uri, error, fields["state"])
    if form_text(form, "decision") != "authorize":
        denied = OAuthError("access_denied", "The resource owner denied the request.")
        if redirect_uri == OOB:
            context = {"application": application, "code": ""}
            return aiohttp_jinja2.render_template("oauth_code.html", request, context)
        return _refused(request, redirect_uri, denied, pending.state)
    code = await do_create_authorization_code(
        connection(request),
        CodeRequest(
            application_id=application.id,
            user_id=session.member.user_id,
            redirect_uri=redirect_uri,
            scopes=pending.scopes,
            code_challenge=pending.code_challenge,
        ),
    )
    if redirect_uri == OOB:
        context = {"application": application, "code": code}
        return aiohttp_jinja2.render_template("oauth_code.html", request, context)
    return _back_to_app(redirect_uri, {"code": code}, pending.state)


def setup(app: web.Application) -> None:
    for path in (AUTHORIZE_PATH, AUTHORIZE_PATH + "/"):  # toot opens `/oauth/authorize/`
        app.router.add_get(path, authorize_form)
        app.router.add_post(path, authorize_decision)
