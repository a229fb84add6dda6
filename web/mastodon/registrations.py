"""`POST /api/v1/accounts`: signing up through an app, as Mastodon does it.

The app proves itself with a client-credentials token holding `write:accounts` (a member's
token answers 403, as Mastodon's `require_client_credentials!`). Field errors answer 422 with
Mastodon's `details`; a node that takes no sign-ups answers 403; an invitation that cannot be
used answers 403 too (Mastodon refuses registration then), saying why. Success answers a Token
for the new member, with the app token's scopes. A member waiting for approval gets one as in
Mastodon, but every call needing a user answers 403 until an admin approves."""

from __future__ import annotations

from aiohttp import web

from actors.invitations import InvitationError
from actors.registrations import RegistrationsClosed, SignUp, SignUpInvalid, do_sign_up
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import require_app
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def create(request: web.Request) -> web.Response:
    grant = await require_app(request, "write:accounts")
    if grant.member is not None or grant.application_id is None:
        raise ApiError(403, "This method requires an client credentials authentication")
    params = await Params.read(request)
    sign_up = SignUp(
        username=(params.string("username") or "").strip(),
        email=(params.string("email") or "").strip(),
        password=params.string("password") or "",
        agreement=bool(params.boolean("agreement", False)),
        invite_code=(params.string("invite_code") or "").strip() or None,
        reason=params.string("reason") or "",
        locale=params.string("locale") or None,
        ip=request.remote,
        application_id=grant.application_id,
    )
    try:
        _, token = await do_sign_up(connection(request), sign_up, " ".join(sorted(grant.scopes)))
    except RegistrationsClosed as error:
        raise ApiError(403, str(error)) from None
    except InvitationError as error:
        raise ApiError(403, str(error)) from None
    except SignUpInvalid as error:
        raise ApiError(422, str(error), details=error.details) from None
    assert token is not None
    body = {
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scopes,
        "created_at": int(token.created_at.timestamp()),
    }
    return json_response(body, headers=NO_STORE)


def setup(app: web.Application) -> None:
    add_routes(app, [("POST", "/api/v1/accounts", create)])
