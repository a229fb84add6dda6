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


def render_unseen_tag(name: str, site: Site) -> dict[str, Any]:
    """A hashtag this node has never seen, as Mastodon renders its unsaved tag (an empty `id`):
    apps open a hashtag's page with `GET /api/v1/tags/:name` first and fail on a 404."""
    return {
        "id": "",
        "name": name,
        "url": site.tag_url(name),
        "history": [],
        "following": False,
        "featuring": False,
    }
