"""Registering OAuth clients (`POST /api/v1/apps`) and asking which app a token belongs to."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.oauth import Application, ApplicationError, do_create_application, get_application
from web.errors import ApiError
from web.keys import connection
from web.mastodon.auth import require_app
from web.mastodon.params import Params
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes


def render_application(application: Application) -> dict[str, Any]:
    return {
        "id": str(application.id),
        "name": application.name,
        "website": application.website,
        "scopes": application.scopes.split(),
        # Deprecated since Mastodon 4.3, still read by older apps: all URIs, newline-separated.
        "redirect_uri": "\n".join(application.redirect_uris),
        "redirect_uris": list(application.redirect_uris),
        # No Web Push yet: an empty key tells apps not to subscribe.
        "vapid_key": application.vapid_key or "",
    }


def render_credential_application(application: Application, secret: str) -> dict[str, Any]:
    return {
        **render_application(application),
        "client_id": application.client_id,
        "client_secret": secret,
        "client_secret_expires_at": 0,  # secrets do not expire
    }


def _redirect_uris(params: Params) -> list[str]:
    """A string of whitespace-separated URIs (Mastodon.py joins its list with newlines) or an
    array (masto.js, megalodon; `redirect_uris[]=` in forms)."""
    if isinstance(params.raw("redirect_uris"), list | dict):
        return params.strings("redirect_uris")
    return (params.string("redirect_uris") or "").split()


def _scopes(params: Params) -> str | None:
    if isinstance(params.raw("scopes"), list):
        return " ".join(params.strings("scopes"))
    return params.string("scopes")


async def create_application(request: web.Request) -> web.Response:
    params = await Params.read(request)
    try:
        application, secret = await do_create_application(
            connection(request),
            name=params.string("client_name"),
            redirect_uris=_redirect_uris(params),
            scopes=_scopes(params),
            website=params.string("website"),
        )
    except ApplicationError as error:
        raise ApiError(422, f"Validation failed: {error}") from None
    return json_response(
        render_credential_application(application, secret),
        headers={"Cache-Control": "no-store"},
    )


async def verify_credentials(request: web.Request) -> web.Response:
    """Any token will do, an app-only one included (Mastodon 4.3 dropped the `read` scope)."""
    grant = await require_app(request)
    application = None
    if grant.application_id is not None:
        application = await get_application(connection(request), grant.application_id)
    if application is None:
        # Tokens minted on the command line belong to no app.
        raise ApiError(404, "Record not found")
    return json_response(render_application(application))


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("POST", "/api/v1/apps", create_application),
            ("GET", "/api/v1/apps/verify_credentials", verify_credentials),
        ],
    )
