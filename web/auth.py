"""Who is behind a browser request, and whether a form really came from our own pages.

A session cookie (`SESSION_COOKIE`) names a row in `web_sessions`; `current_session` looks it up
once per request. Every state-changing form POST must pass `check_form_post`: the form carries a
secret token in the hidden field `authenticity_token` (the session's `csrf_token` once signed in;
before that, the value of the double-submit cookie `CSRF_COOKIE`), and a cross-site `Origin` is
refused outright."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDictProxy
from yarl import URL

from actors.credentials import WebSession, session_for
from web.keys import CONNECTION, SESSION, SESSION_COOKIE, config, connection

CSRF_COOKIE = "rukun_csrf"
CSRF_FIELD = "authenticity_token"
SIGN_IN_PATH = "/auth/sign_in"
PASSWORD_PATH = "/auth/password"  # noqa: S105 (a URL path, not a secret)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_TOKEN_LENGTH = 256
_MAX_NEXT_LENGTH = 2000

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def current_session(request: web.Request) -> WebSession | None:
    """The signed-in session, or None; looked up at most once per request."""
    if SESSION in request:
        session: WebSession | None = request[SESSION]
        return session
    token = request.cookies.get(SESSION_COOKIE, "")
    session = None
    # Static files hold no database connection; they never need a session.
    if token and len(token) <= _MAX_TOKEN_LENGTH and CONNECTION in request:
        session = await session_for(connection(request), token)
    request[SESSION] = session
    return session


async def require_session(request: web.Request, *, password_change_ok: bool = False) -> WebSession:
    """The session, or a redirect: anonymous visitors to sign-in (coming back here afterwards),
    members who must change their password to the password page."""
    session = await current_session(request)
    if session is None:
        raise web.HTTPFound(URL(SIGN_IN_PATH).with_query(next=request.path_qs))
    if session.member.password_change_required and not password_change_ok:
        raise web.HTTPFound(PASSWORD_PATH)
    if request.method not in _SAFE_METHODS:
        await check_form_post(request, session.csrf_token)
    return session


def member_page(handler: PageHandler) -> PageHandler:
    """For HTML handlers that need a signed-in member: redirects the others, and checks the
    CSRF token of every state-changing request. Inside, `current_session` answers from cache."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        await require_session(request)
        return await handler(request)

    return wrapper


def safe_next(value: str | None) -> str:
    """A same-site path to go back to after signing in; anything else becomes `/`.

    Browsers read `//host`, `/\\host` and `\\host` as other sites, so only a single leading `/`
    followed by no slash or backslash, and no control characters, is honoured."""
    if not value or len(value) > _MAX_NEXT_LENGTH:
        return "/"
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if "\\" in value or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def check_origin(request: web.Request) -> None:
    """Refuse a request a browser says came from another site (`Origin`, `Sec-Fetch-Site`).

    A request without `Origin` is let through to the token check: older browsers and
    non-browser clients omit it. `Origin: null` (sandboxed frames, opaque redirects) is refused."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise csrf_refused()
    origin = request.headers.get("Origin")
    if origin is None:
        return
    ours = {config(request).site.base_url, f"{request.scheme}://{request.host}"}
    if origin.rstrip("/").lower() not in {o.lower() for o in ours}:
        raise csrf_refused()


def form_text(form: MultiDictProxy[str | bytes | web.FileField], name: str) -> str:
    """A text field of a submitted form, or "" (uploads and absent fields alike)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def tokens_match(expected: str, given: str) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def check_form_post(request: web.Request, expected_token: str) -> None:
    """The CSRF check for a form POST: same-site origin, and the hidden field matches."""
    check_origin(request)
    form = await request.post()  # aiohttp caches the parsed form for the handler
    if not tokens_match(expected_token, form_text(form, CSRF_FIELD)):
        raise csrf_refused()


async def check_sign_in_post(request: web.Request) -> None:
    """Before a session exists: the hidden field must repeat the double-submit cookie, which
    another site can neither read nor set (it is HttpOnly and SameSite=Lax)."""
    await check_form_post(request, request.cookies.get(CSRF_COOKIE, ""))


def pre_session_token(request: web.Request) -> str:
    """The double-submit token for the sign-in form: the visitor's cookie, or a fresh one."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(token) <= _MAX_TOKEN_LENGTH and token.isascii():
        return token
    return secrets.token_urlsafe(32)


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=config(request).secure_cookies,
    )


def delete_cookie(request: web.Request, response: web.StreamResponse, name: str) -> None:
    response.del_cookie(
        name, path="/", httponly=True, samesite="Lax", secure=config(request).secure_cookies
    )


def csrf_refused() -> web.HTTPForbidden:
    # The error middleware renders this as an HTML page, or `{"error": ...}` for JSON clients.
    return web.HTTPForbidden(
        reason="This form has expired or did not come from this site; reload it and try again"
    )
