"""The admin and moderation panel: server-rendered pages under `/admin` whose every change
is one of the `do_*` commands the Mastodon admin API uses, so the audit log records both
alike."""

from __future__ import annotations

from aiohttp import web

from web.admin import accounts, audit, dashboard, federation, reports, site_content


def setup(app: web.Application) -> None:
    dashboard.setup(app)
    accounts.setup(app)
    reports.setup(app)
    federation.setup(app)
    site_content.setup(app)
    audit.setup(app)
