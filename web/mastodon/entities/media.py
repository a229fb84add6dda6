"""The MediaAttachment entity, as Mastodon's REST::MediaAttachmentSerializer writes it."""

from __future__ import annotations

from typing import Any

from actors.site import Site


def _coordinate(value: float) -> float:
    # The focal point is stored as a 4-byte float: 0.3 comes back as 0.30000001192092896.
    # Six decimals recover what the app sent (apps send two or three).
    return round(float(value), 6)


def render_media(row: dict[str, Any], site: Site) -> dict[str, Any]:
    """`url` is null until the file is processed (Mastodon's ProcessingMediaAttachment); so is
    `preview_url`, since the preview is made by the same job."""
    ready = row["state"] == "ready"
    url = site.media_url(row["file_key"]) if ready and row["file_key"] else None
    if url is None and ready and row["remote_url"]:
        # Another node's file, not copied here: apps load it from there (Mastodon does the
        # same for remote media it has not cached).
        url = row["remote_url"]
    preview = site.media_url(row["preview_key"]) if ready and row["preview_key"] else url
    meta = dict(row["meta"] or {})
    if row["type"] in ("image", "gifv", "video"):
        meta["focus"] = {"x": _coordinate(row["focus_x"]), "y": _coordinate(row["focus_y"])}
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
