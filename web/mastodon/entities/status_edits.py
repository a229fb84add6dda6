"""The StatusEdit and StatusSource entities: one version of an edited status (a poll appears
only on versions that had one, as in Mastodon), and the plain source an app edits."""

from __future__ import annotations

import html
from typing import Any

from actors.profiles import AccountView
from actors.site import Site
from content.edits import EditRecord
from content.statuses import Status
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.dates import iso
from web.mastodon.entities.media import render_media


def render_status_edit(
    edit: EditRecord, author: AccountView, media: dict[int, dict[str, Any]], site: Site
) -> dict[str, Any]:
    """`media` holds the attachments by id; each shows the alt text it had in this version."""
    attachments = []
    for index, media_id in enumerate(edit.media_ids):
        row = media.get(media_id)
        if row is None:
            continue
        described = edit.media_descriptions[index] if index < len(edit.media_descriptions) else ""
        attachments.append(render_media({**row, "description": described}, site))
    content = edit.content
    if edit.title:
        # An article's version: its title and summary changed with the body, so show them.
        heading = f"<p><strong>{html.escape(edit.title)}</strong></p>"
        summary = f"<p>{html.escape(edit.summary)}</p>" if edit.summary else ""
        content = heading + summary + content
    return {
        "content": content,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso(edit.created_at),
        "account": render_account(author, site),
        "media_attachments": attachments,
        "emojis": [],
    }


def render_status_source(status: Status) -> dict[str, str]:
    return {"id": str(status.id), "text": status.text, "spoiler_text": status.spoiler_text}
