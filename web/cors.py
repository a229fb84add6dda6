"""CORS for the client API, as Mastodon allows it: browser apps on any origin may call the API
and the token endpoints with a bearer token (no cookies), so `*` is safe there. Pages and
sign-in stay same-origin."""

from __future__ import annotations

from aiohttp import web

from web.errors import Handler

_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/oauth/userinfo", "/.well-known/",
             "/nodeinfo/")  # fmt: skip
_ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Accept"
_EXPOSE_HEADERS = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id"


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(_PREFIXES):
        return await handler(request)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = _ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", _ALLOW_HEADERS
        )
        response.headers["Access-Control-Max-Age"] = "1728000"
    else:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers["Access-Control-Allow-Origin"] = "*"
            raise
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = _EXPOSE_HEADERS
    return response
