"""The web application: `create_app(config, pool)` assembles middlewares and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import asyncpg
import jinja2
from aiohttp import web

from actors.signers import open_federation_client
from web import (
    activitypub,
    archive_files,
    article_forms,
    compose_form,
    export_pages,
    feeds,
    import_page,
    inbox_routes,
    media_files,
    notification_pages,
    pages,
    people_pages,
    profile_pages,
    settings_pages,
    signin,
    signup,
    timeline_pages,
    wellknown,
)
from web.admin import panel as admin_panel
from web.config import WebConfig
from web.cors import cors_middleware
from web.errors import Handler, error_middleware
from web.keys import CONFIG, CONNECTION, FEDERATION, POOL
from web.mastodon import api
from web.proxies import TrustedProxies
from web.routing import add_trailing_slash_aliases

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Pages are server-rendered with no inline script or style; everything comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "media-src 'self' https:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@web.middleware
async def database_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold one pooled connection for the whole request (static and media files need none,
    and the inboxes take one only when they need it)."""
    if request.path.startswith(("/static/", "/system/")) or (
        request.match_info.handler in inbox_routes.WITHOUT_CONNECTION
    ):
        return await handler(request)
    async with request.app[POOL].acquire() as conn:
        request[CONNECTION] = conn
        return await handler(request)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.secure:
        # Served over https (directly or behind a trusted proxy): browsers keep to https.
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.content_type == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cache-Control", "private, no-store")
    return response


async def federation_client(app: web.Application) -> AsyncIterator[None]:
    """One signed HTTP client for the process, opened with the app and closed with it."""
    async with app[POOL].acquire() as conn:
        client = await open_federation_client(conn, app[CONFIG].site, app[CONFIG].client)
    app[FEDERATION] = client
    yield
    await client.close()


def create_app(config: WebConfig, pool: asyncpg.Pool) -> web.Application:
    # Outermost, so every later middleware and handler sees the client's address and scheme.
    proxies = [TrustedProxies(config.trusted_proxies).middleware] if config.trusted_proxies else []
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[
            *proxies,
            cors_middleware,
            security_headers_middleware,
            error_middleware,
            database_middleware,
        ],
    )
    app[CONFIG] = config
    app[POOL] = pool
    app.cleanup_ctx.append(federation_client)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[pages.template_context],
    )
    wellknown.setup(app)
    activitypub.setup(app)
    inbox_routes.setup(app)
    signin.setup(app)
    signup.setup(app)
    feeds.setup(app)  # before pages: `/@{name}` would take `/@name.rss`
    pages.setup(app)
    # The members' pages: home feed, compose, threads, profiles, people, notifications.
    timeline_pages.setup(app)
    compose_form.setup(app)
    profile_pages.setup(app)
    people_pages.setup(app)
    notification_pages.setup(app)
    article_forms.setup(app)
    settings_pages.setup(app)
    import_page.setup(app)
    api.setup(app)
    media_files.setup(app)
    export_pages.setup(app)
    archive_files.setup(app)
    admin_panel.setup(app)
    app.router.add_static("/static/", STATIC, name="static")
    add_trailing_slash_aliases(app)
    return app
