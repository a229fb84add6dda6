"""`GET /system/{key}`: the files behind media and profile pictures.

No token is asked for: keys are unguessable (192 random bits) and only ever shown to those who
may see what they belong to, as with Mastodon's media. Only keys in the shape the node mints are
served, so neither `..` nor the unprocessed uploads under `incoming/` can be reached. Files never
change under a key, so browsers and proxies may keep them for a year."""

from __future__ import annotations

import asyncio

from aiohttp import web

from content.media import content_type_of, stored_path
from web.keys import config

CACHE_CONTROL = "public, max-age=31536000, immutable"


async def serve(request: web.Request) -> web.StreamResponse:
    key = request.match_info["key"]
    path = await asyncio.to_thread(stored_path, config(request).media_root, key)
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type_of(key),
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            # An image opened on its own still runs nothing, whatever its bytes say.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/system/{key:.+}", serve)
