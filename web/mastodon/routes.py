"""Route registration for the client API: every route answers with and without a trailing
slash (Mastodon.py asks for `/api/v1/instance/`, toot opens `/oauth/authorize/`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, routes: Iterable[tuple[str, str, Handler]]) -> None:
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
        app.router.add_route(method, path.rstrip("/") + "/", handler)
