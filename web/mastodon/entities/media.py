"""The MediaAttachment entity."""

from __future__ import annotations

from typing import Any

from actors.site import Site


def render_media(row: dict[str, Any], site: Site) -> dict[str, Any]:
    ready = row["state"] == "ready"
    url = site.media_url(row["file_key"]) if ready and row["file_key"] else None
    preview = site.media_url(row["preview_key"]) if ready and row["preview_key"] else url
    meta = dict(row["meta"] or {})
    if row["type"] in ("image", "gifv", "video"):
        meta["focus"] = {"x": row["focus_x"], "y": row["focus_y"]}
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "url": url,
        "preview_url": preview,
        "remote_url": row["remote_url"],
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta or None,
        "description": row["description"] or None,
        "blurhash": row["blurhash"],
    }
