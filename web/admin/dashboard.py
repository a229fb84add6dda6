"""`/admin`: the node at a glance — members, posts, partners, the job queue, deliveries,
and what waits for staff."""

from __future__ import annotations

from aiohttp import web

from outbox.admin_figures import dashboard_figures
from web.admin.common import render, staff_page
from web.keys import connection


@staff_page
async def dashboard(request: web.Request) -> web.StreamResponse:
    figures = await dashboard_figures(connection(request))
    return render(request, "admin/dashboard.html", {"figures": figures})


def setup(app: web.Application) -> None:
    app.router.add_get("/admin", dashboard, name="admin")
