"""Route registration for the client API. The trailing-slash twin of every route is added
for the whole application by `web.routing`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, routes: Iterable[tuple[str, str, Handler]]) -> None:
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
