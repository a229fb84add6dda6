"""Every route answers with and without a trailing slash: Mastodon.py asks for
`/api/v1/instance/`, toot opens `/oauth/authorize/`, and a redirect would lose POST bodies in
some clients. Run once, after all routes are registered."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_urldispatcher import DynamicResource, PlainResource


def _default_pattern(formatter: str) -> str:
    return DynamicResource(formatter).get_info()["pattern"].pattern


def add_trailing_slash_aliases(app: web.Application) -> None:
    resources = list(app.router.resources())
    taken = set()
    for resource in resources:
        info = resource.get_info()
        taken.add(info.get("path") or info.get("formatter"))
    for resource in resources:
        info = resource.get_info()
        if isinstance(resource, PlainResource):
            path = info["path"]
        elif isinstance(resource, DynamicResource):
            path = info["formatter"]
            # Variables with their own regex (`{key:.+}`) may already take a slash.
            if info["pattern"].pattern != _default_pattern(path):
                continue
        else:
            continue
        alias = path + "/"
        if path.endswith("/") or alias in taken:
            continue
        taken.add(alias)
        for route in resource:
            if route.method != "HEAD":
                app.router.add_route(route.method, alias, route.handler)
