"""Errors in Mastodon's shape: `{"error": "..."}` with the right status, HTML for browsers on
pages, and never a stack trace to the client."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_JSON_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/userinfo",
    "/.well-known/",
    "/nodeinfo/",
    "/inbox",
    "/users/",
    "/actor",
)


class ApiError(web.HTTPException):
    """An error with a message for the client: `raise ApiError(422, "Validation failed: ...")`."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": message, **extra}), content_type="application/json"
        )


def wants_json(request: web.Request) -> bool:
    if request.path.startswith(_JSON_PREFIXES):
        return True
    accept = request.headers.get("Accept", "")
    return "text/html" not in accept and "*/*" not in accept and bool(accept)


def _reason(error: web.HTTPException) -> str:
    if error.status == 404:
        return "Record not found"
    if error.status == 413:
        return "Request body is too large"
    if error.status == 405:
        return "Method not allowed"
    return error.reason


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    title = html.escape(f"{status} {message}")
    page = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        f'<h1>{title}</h1><p><a href="/">Back to the start page</a></p></html>'
    )
    return web.Response(text=page, status=status, content_type="text/html")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError:
        raise
    except web.HTTPException as error:
        if error.status < 400 or error.content_type == "application/json":
            raise
        response = error_response(request, error.status, _reason(error))
        for name in ("Allow", "WWW-Authenticate", "Retry-After"):
            if name in error.headers:
                response.headers[name] = error.headers[name]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(request, 500, "Internal server error")


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 400 that says why."""
    try:
        return await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON") from None
