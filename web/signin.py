"""Signing in and out of the HTML pages, and changing one's password.

Failures never say whether the name or the password was wrong, and cost the same argon2 time
either way. Failed attempts are counted per address and per login name; past the limit the
form answers 429 until the window has passed."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.accounts import Member, get_member_with_password
from actors.credentials import (
    do_change_password,
    do_close_session,
    do_open_session,
    recent_failed_sign_ins,
    record_sign_in_attempt,
)
from actors.passwords import MAX_LENGTH, WeakPassword, verify_password
from actors.sign_up_blocks import ip_severity
from web.auth import (
    CSRF_COOKIE,
    PASSWORD_PATH,
    SIGN_IN_PATH,
    check_form_post,
    check_origin,
    check_sign_in_post,
    current_session,
    delete_cookie,
    form_text,
    pre_session_token,
    require_session,
    safe_next,
    set_cookie,
)
from web.keys import SESSION_COOKIE, connection

MAX_FAILED_SIGN_INS = 5  # within actors.credentials' five-minute window; the sixth try waits
RETRY_AFTER_SECONDS = 300
INVALID_SIGN_IN = "Invalid username/email or password."
PENDING_APPROVAL = "Your account is waiting for an administrator's approval."
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Please wait five minutes and try again."
_MAX_LOGIN_LENGTH = 320


def see_other(location: str) -> web.Response:
    """The redirect after a form POST (303, so the browser follows with GET)."""
    return web.Response(status=303, headers={"Location": location})


def render_sign_in(
    request: web.Request, *, next_path: str, login: str = "", error: str = "", status: int = 200
) -> web.Response:
    token = pre_session_token(request)
    context = {"csrf_token": token, "next": next_path, "login": login, "error": error}
    response = aiohttp_jinja2.render_template("sign_in.html", request, context, status=status)
    set_cookie(request, response, CSRF_COOKIE, token)
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def check_sign_in(request: web.Request, login: str, password: str) -> Member | None:
    """The member these credentials belong to, or None (unknown, wrong, disabled or suspended
    alike)."""
    found = await get_member_with_password(connection(request), login) if login else None
    member, password_hash = found if found else (None, None)
    if len(password) > MAX_LENGTH:
        return None  # no stored password is this long; do not spend argon2 time on it
    # argon2 takes tens of milliseconds and releases the GIL: keep it off the event loop.
    matches = await asyncio.to_thread(verify_password, password_hash, password)
    if member is None or not matches or member.disabled_at is not None:
        return None
    if member.account.suspended_at is not None:
        return None
    if await ip_severity(connection(request), request.remote) == "no_access":
        return None
    return member


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next"))
    if await current_session(request) is not None:
        raise web.HTTPFound(next_path)
    return render_sign_in(request, next_path=next_path)


async def sign_in(request: web.Request) -> web.StreamResponse:
    await check_sign_in_post(request)
    form = await request.post()
    login = form_text(form, "login").strip()[:_MAX_LOGIN_LENGTH]
    password = form_text(form, "password")
    next_path = safe_next(form_text(form, "next"))
    conn = connection(request)
    ip = request.remote
    if await recent_failed_sign_ins(conn, ip, login) >= MAX_FAILED_SIGN_INS:
        return render_sign_in(
            request, next_path=next_path, login=login, error=TOO_MANY_ATTEMPTS, status=429
        )
    member = await check_sign_in(request, login, password)
    await record_sign_in_attempt(conn, ip, login, member is not None)
    if member is None:
        return render_sign_in(
            request, next_path=next_path, login=login, error=INVALID_SIGN_IN, status=401
        )
    if not member.approved:  # said only to whoever knows the password
        return render_sign_in(
            request, next_path=next_path, login=login, error=PENDING_APPROVAL, status=403
        )
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await do_close_session(conn, previous)  # the browser is about to forget it anyway
    token = await do_open_session(conn, member.user_id, ip, request.headers.get("User-Agent", ""))
    response = see_other(PASSWORD_PATH if member.password_change_required else next_path)
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    session = await current_session(request)
    if session is not None:
        await check_form_post(request, session.csrf_token)
        await do_close_session(connection(request), request.cookies[SESSION_COOKIE])
    else:
        check_origin(request)  # nothing to protect: the cookie is already dead or absent
    response = see_other(SIGN_IN_PATH)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


def render_password(
    request: web.Request, member: Member, *, error: str = "", status: int = 200
) -> web.Response:
    context: dict[str, Any] = {"required": member.password_change_required, "error": error}
    response = aiohttp_jinja2.render_template("password.html", request, context, status=status)
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def password_form(request: web.Request) -> web.StreamResponse:
    session = await require_session(request, password_change_ok=True)
    return render_password(request, session.member)


async def change_password(request: web.Request) -> web.StreamResponse:
    session = await require_session(request, password_change_ok=True)  # checks the CSRF token
    member = session.member
    form = await request.post()
    current = form_text(form, "current_password")
    new = form_text(form, "new_password")
    conn = connection(request)
    ip = request.remote
    # Guessing the current password from a stolen session counts like guessing at sign-in.
    if await recent_failed_sign_ins(conn, ip, member.username) >= MAX_FAILED_SIGN_INS:
        return render_password(request, member, error=TOO_MANY_ATTEMPTS, status=429)
    if await check_sign_in(request, member.username, current) is None:
        await record_sign_in_attempt(conn, ip, member.username, False)
        return render_password(
            request, member, error="Your current password is not correct.", status=422
        )
    if new != form_text(form, "password_confirmation"):
        return render_password(
            request, member, error="The new password and its confirmation differ.", status=422
        )
    if new == current:
        return render_password(
            request, member, error="Choose a password different from the current one.", status=422
        )
    try:
        # Every other session and app token ends: a changed password locks out whoever
        # might have known the old one.
        await do_change_password(conn, member.user_id, new, request.cookies[SESSION_COOKIE])
    except WeakPassword as error:
        return render_password(request, member, error=f"The new {error}.", status=422)
    return see_other("/")


def setup(app: web.Application) -> None:
    app.router.add_get(SIGN_IN_PATH, sign_in_form, name="sign_in")
    app.router.add_post(SIGN_IN_PATH, sign_in)
    app.router.add_post("/auth/sign_out", sign_out, name="sign_out")
    app.router.add_get(PASSWORD_PATH, password_form, name="password")
    app.router.add_post(PASSWORD_PATH, change_password)
