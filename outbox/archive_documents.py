"""The JSON documents of a member's archive, in the layout of Mastodon's BackupService so that
tools reading Mastodon archives read ours: `actor.json` (with `outbox.json`, `likes.json`,
`bookmarks.json` and the avatar and header as paths inside the archive), Create activities for
`outbox.json`, OrderedCollections of ids for likes and bookmarks.

One difference from Mastodon: each Create keeps its `@context` and carries an integrity proof
(FEP-8b32), so every post can be verified on its own, from the archive alone."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from actors.integrity_keys import IntegrityKey
from actors.site import Site
from content.archive_content import KeptStatus
from content.status_parts import StatusParts
from content.statuses import Status
from federation.organisation_terms import RUKUN_NS
from outbox.as2 import activities
from outbox.as2.context import ACTIVITY_CONTEXT
from outbox.as2.note import render_note
from outbox.signed_objects import with_integrity_terms, with_proof
from outbox.status_documents import note_data

ARCHIVE_CONTEXT = with_integrity_terms(
    ACTIVITY_CONTEXT, {"rukun": RUKUN_NS, "localOnly": "rukun:localOnly"}
)
MEDIA_DIRECTORY = "media_attachments/files/"


def media_path(file_key: str) -> str:
    """Where a stored media file goes in the archive, relative as Mastodon writes it."""
    return MEDIA_DIRECTORY + file_key.removeprefix("media/")


def _relative_media(note: dict[str, Any], site: Site) -> None:
    # Mastodon points attachments at the files inside the archive (path without `/system/`).
    prefix = site.media_url("")
    for attachment in note.get("attachment", []):
        url = attachment.get("url")
        if isinstance(url, str) and url.startswith(prefix):
            attachment["url"] = media_path(url.removeprefix(prefix))


def signed_create(
    site: Site,
    status: Status,
    username: str,
    parts: StatusParts,
    key: IntegrityKey,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The status's Create activity, with the full Note, its original ids and dates, and an
    `eddsa-jcs-2022` proof by the author's key. An internal (`local`) status, exported only
    when the node allows it, is addressed to the author's followers and marked `localOnly`."""
    internal = status.visibility == "local"
    shown = dataclasses.replace(status, visibility="private") if internal else status
    note = render_note(note_data(site, shown, username, parts))
    if internal:
        note["localOnly"] = True
    _relative_media(note, site)
    activity = activities.create(note)
    activity["@context"] = ARCHIVE_CONTEXT
    return with_proof(activity, site, username, key, now=now)


def kept_status_id(site: Site, kept: KeptStatus) -> str | None:
    if kept.local:
        return site.status_uri(kept.username, kept.id)
    return kept.uri


def id_collection(name: str, ids: list[str]) -> dict[str, Any]:
    """`likes.json` or `bookmarks.json`: an OrderedCollection of object ids."""
    return {
        "@context": ACTIVITY_CONTEXT[0],
        "id": name,
        "type": "OrderedCollection",
        "totalItems": len(ids),
        "orderedItems": ids,
    }


def archive_actor(
    actor: dict[str, Any], *, avatar: tuple[str, str] | None, header: tuple[str, str] | None
) -> dict[str, Any]:
    """The actor document as `actor.json`: collections and images as paths in the archive.
    `avatar` and `header` are (file name, media type) when the archive holds them."""
    document = {
        **actor,
        "outbox": "outbox.json",
        "likes": "likes.json",
        "bookmarks": "bookmarks.json",
    }
    if avatar is not None:
        document["icon"] = {"type": "Image", "mediaType": avatar[1], "url": avatar[0]}
    if header is not None:
        document["image"] = {"type": "Image", "mediaType": header[1], "url": header[0]}
    return document
