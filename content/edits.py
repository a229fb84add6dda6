"""Editing a status and its history. An edit replaces the text, the content warning, the
sensitivity and the media (as Mastodon's UpdateStatusService does: what a PUT leaves out is
cleared), keeps the language unless a new one is given, and never changes visibility or the
reply. History lives in `status_edits`: the first edit also stores the original version, so
the history starts with what was first posted. An edit that changes nothing writes nothing.
An article's edit renders its Markdown again and may change its title and summary, which the
history keeps too."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from actors.site import Site
from content.articles import (
    MAX_ARTICLE_MEDIA,
    ArticleError,
    check_article_text,
    media_references,
    media_urls,
    render_markdown,
)
from content.compose import MAX_MEDIA, MAX_SPOILER, ComposeError, Draft, check_draft
from content.status_views import MEDIA_COLUMNS
from content.statuses import STATUS_COLUMNS, Status, status_from_row
from content.tags import set_status_tags

MAX_DESCRIPTION = 1500


@dataclass(frozen=True, slots=True)
class MediaChange:
    """`media_attributes[]`: new alt text or focal point for an attached file."""

    id: int
    description: str | None = None
    focus: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    text: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None  # None keeps the current language
    media_ids: tuple[int, ...] = ()
    media_changes: tuple[MediaChange, ...] = ()
    # An article's new title and summary; None keeps the current ones (an app editing the
    # article as a status sends neither). `text` is an article's Markdown body.
    title: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedEdit:
    edit: Edit
    text: str
    content: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    mentions: tuple[int, ...]
    tags: tuple[str, ...]
    title: str = ""
    summary: str = ""


@dataclass(frozen=True, slots=True)
class EditRecord:
    """One version in a status's history."""

    id: int
    account_id: int
    text: str
    content: str
    spoiler_text: str
    sensitive: bool
    media_ids: list[int]
    media_descriptions: list[str]
    created_at: datetime
    title: str = ""
    summary: str = ""


async def _check_media(conn: asyncpg.Connection, status: Status, edit: Edit) -> None:
    limit = MAX_ARTICLE_MEDIA if status.is_article else MAX_MEDIA
    if len(edit.media_ids) > limit:
        raise ComposeError(f"Validation failed: You can attach at most {limit} files")
    if len(set(edit.media_ids)) != len(edit.media_ids):
        raise ComposeError("Validation failed: The same file is attached twice")
    for change in edit.media_changes:
        if change.description is not None and len(change.description) > MAX_DESCRIPTION:
            raise ComposeError(
                f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION})"
            )
    if not edit.media_ids:
        return
    rows = await conn.fetch(
        """SELECT state FROM media_attachments
           WHERE id = ANY($1::bigint[]) AND account_id = $2
             AND (status_id IS NULL OR status_id = $3)""",
        list(edit.media_ids),
        status.account_id,
        status.id,
    )
    if len(rows) != len(edit.media_ids):
        raise ComposeError("Validation failed: a media attachment was not found")
    if any(row["state"] == "failed" for row in rows):
        raise ComposeError("Validation failed: a media attachment could not be processed")


async def _check_article_edit(
    conn: asyncpg.Connection, site: Site, status: Status, edit: Edit
) -> CheckedEdit:
    title = (status.title if edit.title is None else edit.title).strip()
    summary = (status.summary if edit.summary is None else edit.summary).strip()
    text = edit.text.strip()
    media = tuple(dict.fromkeys((*edit.media_ids, *media_references(text))))
    edit = replace(edit, media_ids=media)
    try:
        check_article_text(title, summary, text)
        await _check_media(conn, status, edit)
        urls = await media_urls(conn, site, status.account_id, media)
        content = render_markdown(text, urls, site.media_url(""))
    except ArticleError as error:
        raise ComposeError(str(error)) from None
    return CheckedEdit(
        edit=edit,
        text=text,
        content=content,
        spoiler_text="",
        sensitive=edit.sensitive,
        language=edit.language or status.language,
        mentions=(),
        tags=(),
        title=title,
        summary=summary,
    )


async def check_edit(
    conn: asyncpg.Connection, site: Site, status: Status, edit: Edit
) -> CheckedEdit:
    """Validate and render an edit without writing (mentions resolved as for a new post)."""
    if status.is_article:
        return await _check_article_edit(conn, site, status, edit)
    text = edit.text.strip()
    spoiler = edit.spoiler_text.strip()
    if not text and not edit.media_ids:
        raise ComposeError("Validation failed: Text can't be blank")
    if len(spoiler) > MAX_SPOILER:
        raise ComposeError("Validation failed: Spoiler text is too long")
    await _check_media(conn, status, edit)
    content, mentions, tags = "", (), ()
    if text:
        checked = await check_draft(
            conn,
            site,
            status.account_id,
            Draft(text=text, spoiler_text=spoiler, visibility=status.visibility),
        )
        content, mentions, tags = checked.content, tuple(checked.mentions), checked.tags
    return CheckedEdit(
        edit=edit,
        text=text,
        content=content,
        spoiler_text=spoiler,
        sensitive=edit.sensitive or bool(spoiler),
        language=edit.language or status.language,
        mentions=mentions,
        tags=tags,
    )


async def _snapshot(
    conn: asyncpg.Connection, status_id: int, account_id: int, at: datetime | None
) -> None:
    await conn.execute(
        """INSERT INTO status_edits (status_id, account_id, text, content, spoiler_text,
                                     sensitive, media_ids, media_descriptions, created_at,
                                     title, summary)
           SELECT s.id, $2, s.text, s.content, s.spoiler_text, s.sensitive,
                  coalesce(array_agg(m.id ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL), '{}'),
                  coalesce(array_agg(m.description ORDER BY m.id)
                           FILTER (WHERE m.id IS NOT NULL), '{}'),
                  coalesce($3, now()), s.title, s.summary
           FROM statuses s LEFT JOIN media_attachments m ON m.status_id = s.id
           WHERE s.id = $1
           GROUP BY s.id""",
        status_id,
        account_id,
        at,
    )


def _media_changed(rows: list[asyncpg.Record], edit: Edit) -> bool:
    if [row["id"] for row in rows] != sorted(edit.media_ids):
        return True
    current = {row["id"]: row for row in rows}
    for change in edit.media_changes:
        row = current.get(change.id)
        if row is None:
            continue
        if change.description is not None and change.description != row["description"]:
            return True
        if change.focus is not None and change.focus != (row["focus_x"], row["focus_y"]):
            return True
    return False


async def _store_media(conn: asyncpg.Connection, status: Status, edit: Edit) -> None:
    ids = list(edit.media_ids)
    await conn.execute(
        """UPDATE media_attachments SET status_id = NULL
           WHERE status_id = $1 AND NOT id = ANY($2::bigint[])""",
        status.id,
        ids,
    )
    await conn.execute(
        """UPDATE media_attachments SET status_id = $1
           WHERE id = ANY($2::bigint[]) AND account_id = $3 AND status_id IS NULL""",
        status.id,
        ids,
        status.account_id,
    )
    for change in edit.media_changes:
        focus = change.focus or (None, None)
        await conn.execute(
            """UPDATE media_attachments
               SET description = coalesce($3, description),
                   focus_x = coalesce($4, focus_x), focus_y = coalesce($5, focus_y)
               WHERE id = $1 AND status_id = $2""",
            change.id,
            status.id,
            change.description,
            focus[0],
            focus[1],
        )


async def _store_mentions(
    conn: asyncpg.Connection, status_id: int, mentions: tuple[int, ...]
) -> list[int]:
    """Mentions dropped by the edit turn silent (those accounts keep their access, as in
    Mastodon); returns the accounts mentioned for the first time."""
    existing = {
        row["account_id"]
        for row in await conn.fetch(
            "SELECT account_id FROM mentions WHERE status_id = $1", status_id
        )
    }
    await conn.execute(
        "UPDATE mentions SET silent = NOT (account_id = ANY($2::bigint[])) WHERE status_id = $1",
        status_id,
        list(mentions),
    )
    added = [account_id for account_id in mentions if account_id not in existing]
    await conn.execute(
        """INSERT INTO mentions (status_id, account_id) SELECT $1, unnest($2::bigint[])
           ON CONFLICT DO NOTHING""",
        status_id,
        added,
    )
    return added


async def store_edit(
    conn: asyncpg.Connection, status_id: int, checked: CheckedEdit, editor_id: int
) -> tuple[Status, list[int]] | None:
    """Apply a checked edit inside the caller's transaction: (the edited status, accounts newly
    mentioned), or None when nothing changed. Raises LookupError if the status is gone."""
    row = await conn.fetchrow(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        status_id,
    )
    if row is None:
        raise LookupError(status_id)
    current = status_from_row(row)
    media = await conn.fetch(
        "SELECT id, description, focus_x, focus_y FROM media_attachments"
        " WHERE status_id = $1 ORDER BY id",
        status_id,
    )
    text_changed = (
        current.text,
        current.spoiler_text,
        current.sensitive,
        current.language,
        current.title,
        current.summary,
    ) != (
        checked.text,
        checked.spoiler_text,
        checked.sensitive,
        checked.language,
        checked.title,
        checked.summary,
    )
    if not text_changed and not _media_changed(media, checked.edit):
        return None
    has_history = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM status_edits WHERE status_id = $1)", status_id
    )
    if not has_history:
        await _snapshot(conn, status_id, current.account_id, current.created_at)
    await _store_media(conn, current, checked.edit)
    updated = await conn.fetchrow(
        f"""UPDATE statuses SET text = $2, content = $3, spoiler_text = $4, sensitive = $5,
                                language = $6, title = $7, summary = $8, edited_at = now()
            WHERE id = $1 RETURNING {STATUS_COLUMNS}""",
        status_id,
        checked.text,
        checked.content,
        checked.spoiler_text,
        checked.sensitive,
        checked.language,
        checked.title,
        checked.summary,
    )
    added = await _store_mentions(conn, status_id, checked.mentions)
    await set_status_tags(conn, status_id, checked.tags)
    await _snapshot(conn, status_id, editor_id, None)
    return status_from_row(updated), added


async def status_history(conn: asyncpg.Connection, status: Status) -> list[EditRecord]:
    """Versions oldest first. A status never edited has one: itself as it stands (Mastodon's
    history endpoint answers so too)."""
    rows = await conn.fetch(
        """SELECT id, account_id, text, content, spoiler_text, sensitive, media_ids,
                  media_descriptions, created_at, title, summary
           FROM status_edits WHERE status_id = $1 ORDER BY created_at, id""",
        status.id,
    )
    if rows:
        return [EditRecord(**dict(row)) for row in rows]
    media = await conn.fetch(
        "SELECT id, description FROM media_attachments WHERE status_id = $1 ORDER BY id",
        status.id,
    )
    return [
        EditRecord(
            id=status.id,
            account_id=status.account_id,
            text=status.text,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            media_ids=[row["id"] for row in media],
            media_descriptions=[row["description"] for row in media],
            created_at=status.edited_at or status.created_at,
            title=status.title,
            summary=status.summary,
        )
    ]


async def media_by_ids(conn: asyncpg.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Attachments as recorded in a version, wherever they are attached now."""
    rows = await conn.fetch(
        f"SELECT {MEDIA_COLUMNS} FROM media_attachments WHERE id = ANY($1::bigint[])", ids
    )
    return {row["id"]: dict(row) for row in rows}
