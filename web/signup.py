"""The sign-up pages: `/invite/{code}` (an invitation's link) and `/auth/sign_up` (by the
organisation's email domain, waiting for approval). CSRF as on the sign-in form: a
double-submit cookie repeated in the form. An invitation that cannot be used answers a page
saying why (404 unknown, 410 expired, used up or revoked) and creates nothing."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from actors.credentials import do_open_session
from actors.instance import list_rules
from actors.invitations import Invitation, InvitationError, find_invitation
from actors.node_policy import load_policy
from actors.registrations import CLOSED, RegistrationsClosed, SignUp, SignUpInvalid, do_sign_up
from web.auth import (
    CSRF_COOKIE,
    check_sign_in_post,
    current_session,
    form_text,
    pre_session_token,
    set_cookie,
)
from web.keys import SESSION_COOKIE, connection
from web.signin import see_other

SIGN_UP_PATH = "/auth/sign_up"


async def render_form(
    request: web.Request,
    *,
    invitation: Invitation | None,
    values: dict[str, Any] | None = None,
    error: SignUpInvalid | None = None,
    status: int = 200,
) -> web.Response:
    conn = connection(request)
    token = pre_session_token(request)
    context = {
        "csrf_token": token,
        "invitation": invitation,
        "action": f"/invite/{invitation.code}" if invitation else SIGN_UP_PATH,
        "domains": (await load_policy(conn)).signup_email_domains,
        "rules": await list_rules(conn),
        "values": values or {},
        "errors": error.messages if error else [],
        "fields": set(error.details) if error else set(),
    }
    response = aiohttp_jinja2.render_template("sign_up.html", request, context, status=status)
    set_cookie(request, response, CSRF_COOKIE, token)
    return response


def render_refused(request: web.Request, title: str, message: str, status: int) -> web.Response:
    context = {"title": title, "message": message}
    return aiohttp_jinja2.render_template("sign_up_refused.html", request, context, status=status)


def invitation_refused(request: web.Request, error: InvitationError) -> web.Response:
    title = "Invitation not found" if error.status == 404 else "Invitation no longer valid"
    return render_refused(request, title, str(error), error.status)


async def invitation_form(request: web.Request) -> web.StreamResponse:
    if await current_session(request) is not None:
        raise web.HTTPFound("/")
    try:
        invitation = await find_invitation(connection(request), request.match_info["code"])
    except InvitationError as error:
        return invitation_refused(request, error)
    return await render_form(request, invitation=invitation)


async def domain_form(request: web.Request) -> web.StreamResponse:
    if await current_session(request) is not None:
        raise web.HTTPFound("/")
    if not (await load_policy(connection(request))).signup_email_domains:
        return render_refused(request, "Registrations are closed", CLOSED, 403)
    return await render_form(request, invitation=None)


async def sign_up(request: web.Request) -> web.StreamResponse:
    """Both forms post here: with the code from the path, or without one."""
    await check_sign_in_post(request)
    form = await request.post()
    code = request.match_info.get("code")
    values = {
        "username": form_text(form, "username").strip()[:64],
        "email": form_text(form, "email").strip()[:400],
        "reason": form_text(form, "reason")[:2000],
        "agreement": bool(form_text(form, "agreement")),
    }
    details = SignUp(
        username=values["username"],
        email=values["email"],
        password=form_text(form, "password"),
        password_confirmation=form_text(form, "password_confirmation"),
        agreement=values["agreement"],
        invite_code=code,
        reason="" if code else values["reason"],
        ip=request.remote,
    )
    conn = connection(request)
    try:
        member, _ = await do_sign_up(conn, details)
    except InvitationError as error:
        return invitation_refused(request, error)
    except RegistrationsClosed as error:
        return render_refused(request, "Registrations are closed", str(error), 403)
    except SignUpInvalid as error:
        try:
            invitation = await find_invitation(conn, code) if code else None
        except InvitationError as gone:
            return invitation_refused(request, gone)
        return await render_form(
            request, invitation=invitation, values=values, error=error, status=422
        )
    if not member.approved:
        context = {"username": member.username}
        return aiohttp_jinja2.render_template("sign_up_pending.html", request, context)
    token = await do_open_session(
        conn, member.user_id, request.remote, request.headers.get("User-Agent", "")
    )
    response = see_other("/")
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/invite/{code}", invitation_form, name="invitation")
    app.router.add_post("/invite/{code}", sign_up)
    app.router.add_get(SIGN_UP_PATH, domain_form, name="sign_up")
    app.router.add_post(SIGN_UP_PATH, sign_up)
