"""The Tag entity (search results, `GET /api/v1/tags/:name`)."""

from __future__ import annotations

from typing import Any

from actors.site import Site
from content.search import Tag


def render_tag(tag: Tag, site: Site, *, following: bool = False) -> dict[str, Any]:
    """`history` (daily use over the last week) is left empty until trends are counted;
    apps show nothing for it rather than failing."""
    return {
        "id": str(tag.id),
        "name": tag.name,
        "url": site.tag_url(tag.name),
        "history": [],
        "following": following,
        "featuring": False,  # Mastodon 4.4: featured on the viewer's profile
    }
