"""Importing an archive of posts as the member's own history, quietly.

Each post becomes the member's status with its provenance (`status_imports`: the old id, the
original date, the actor it was written as, any FEP-8b32 proof it carried). Its `created_at`
is the original date and its id is made from that date (ids are time-sortable), so profiles and
searches show the history in order and it never lands on top of a live timeline. Nothing else
a new post does happens: no home feed rows, no notifications, no deliveries — importing one's
past must not flood anyone. The same original id imported twice is skipped.

Posts are taken oldest first, so a reply whose parent is in the archive becomes a reply to the
imported parent; any other reply is kept as a plain post with a link to the post it answered."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from actors.imports import Import, record_item
from actors.profiles import adjust_stats
from content.archives import (
    Archive,
    ArchivedPost,
    ArchiveError,
    ItemError,
    ItemSkipped,
    open_archive,
    read_item,
    read_member,
)
from content.images import MediaError
from content.media import MAX_DESCRIPTION, do_upload_media
from content.remote_statuses import MAX_CONTENT, MAX_SPOILER, clean_tags
from content.sanitise import html_to_text, sanitise_html
from content.statuses import adjust_counter
from content.tags import set_status_tags

MAX_MEDIA = 4


@dataclass(frozen=True, slots=True)
class _Entry:
    number: int  # 1-based position in the outbox, as errors name it
    post: ArchivedPost | None
    problem: str | None = None
    skipped: bool = False


def _entries(archive: Archive) -> list[_Entry]:
    """Every item, read; posts oldest first, then what cannot be imported, in outbox order."""
    entries = []
    for number, item in enumerate(archive.items, start=1):
        try:
            entries.append(_Entry(number, read_item(item, archive.owner, archive.keys)))
        except ItemSkipped as reason:
            entries.append(_Entry(number, None, f"item {number}: {reason}", skipped=True))
        except ItemError as error:
            entries.append(_Entry(number, None, f"item {number}: {error}"))
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(
        entries, key=lambda e: (e.post is None, e.post.published if e.post else oldest, e.number)
    )


async def _imported_status(conn: asyncpg.Connection, account_id: int, uri: str) -> int | None:
    status_id: int | None = await conn.fetchval(
        """SELECT i.status_id FROM status_imports i JOIN statuses s ON s.id = i.status_id
           WHERE i.account_id = $1 AND i.original_uri = $2 AND s.deleted_at IS NULL""",
        account_id,
        uri,
    )
    return status_id


async def _upload_media(
    conn: asyncpg.Connection, root: Path, account_id: int, archive: Archive, entry: _Entry
) -> tuple[list[int], list[str]]:
    """Media re-processed like an upload: (media ids, notes on what was left out)."""
    assert entry.post is not None
    ids: list[int] = []
    notes: list[str] = []
    for media in entry.post.media[:MAX_MEDIA]:
        data = await asyncio.to_thread(read_member, archive, media.path)
        where = f"item {entry.number}: attachment {media.path[:200]}"
        if data is None:
            notes.append(f"{where} is not in the archive; the post was imported without it")
            continue
        try:
            row = await do_upload_media(
                conn,
                root,
                account_id,
                data,
                description=media.description[:MAX_DESCRIPTION],
                process_now=True,
            )
        except MediaError as error:
            notes.append(f"{where} was left out: {error}")
            continue
        ids.append(row["id"])
    if len(entry.post.media) > MAX_MEDIA:
        notes.append(f"item {entry.number}: only the first {MAX_MEDIA} attachments were kept")
    return ids, notes


def _content(post: ArchivedPost, parent_found: bool) -> str:
    content = post.content[:MAX_CONTENT]
    if post.in_reply_to and not parent_found:
        link = html.escape(post.in_reply_to[:2000])
        content += f'<p>In reply to <a href="{link}">{link}</a></p>'
    return sanitise_html(content)


async def _insert(
    conn: asyncpg.Connection,
    account_id: int,
    origin: str,
    post: ArchivedPost,
    media_ids: list[int],
) -> int:
    parent = None
    if post.in_reply_to:
        parent_id = await _imported_status(conn, account_id, post.in_reply_to)
        if parent_id is not None:
            parent = await conn.fetchrow(
                "SELECT id, account_id, thread_id FROM statuses WHERE id = $1", parent_id
            )
    content = _content(post, parent is not None)
    spoiler = html_to_text(post.summary)[:MAX_SPOILER]
    published = min(post.published, datetime.now(UTC))
    # The id is made from the original date, as rukun_next_id() makes one from now.
    status_id: int = await conn.fetchval(
        """INSERT INTO statuses (id, account_id, visibility, text, content, content_type,
                                 spoiler_text, sensitive, language, in_reply_to_id,
                                 in_reply_to_account_id, thread_id, created_at)
           VALUES (((floor(extract(epoch FROM $11::timestamptz) * 1000)::bigint) << 16)
                       | (nextval('rukun_id_seq') & 65535),
                   $1, $2, $3, $4, 'text/html', $5, $6, $7, $8, $9, $10, $11)
           RETURNING id""",
        account_id,
        post.visibility,
        html_to_text(content),
        content,
        spoiler,
        post.sensitive or bool(spoiler),
        post.language,
        parent["id"] if parent else None,
        parent["account_id"] if parent else None,
        parent["thread_id"] if parent else None,
        published,
    )
    if parent is None:
        await conn.execute("UPDATE statuses SET thread_id = id WHERE id = $1", status_id)
    else:
        await adjust_counter(conn, parent["id"], "replies_count", 1)
    await conn.execute(
        """INSERT INTO status_imports (status_id, account_id, original_uri, published, origin,
                                       proof, proof_verified)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        status_id,
        account_id,
        post.uri,
        post.published,
        origin,
        post.proof,
        post.proof_verified,
    )
    await set_status_tags(conn, status_id, clean_tags(post.tags))
    if media_ids:
        await conn.execute(
            """UPDATE media_attachments SET status_id = $1
               WHERE id = ANY($2::bigint[]) AND account_id = $3 AND status_id IS NULL""",
            status_id,
            media_ids,
            account_id,
        )
    await adjust_stats(conn, account_id, statuses=1, status_at=published)
    return status_id


async def import_archive_posts(
    conn: asyncpg.Connection, media_root: Path, job: Import, data: bytes
) -> None:
    """Import the archive's posts one by one, resuming after the `processed_items` done."""
    try:
        archive = await asyncio.to_thread(open_archive, data)
    except ArchiveError as error:
        # Checked when it was uploaded; only a change of the limits can bring this.
        await record_item(conn, job.id, error=str(error))
        return
    account_id = job.account_id
    for entry in (await asyncio.to_thread(_entries, archive))[job.processed_items :]:
        post = entry.post
        if post is None:
            await record_item(
                conn,
                job.id,
                error=None if entry.skipped else entry.problem,
                skipped=entry.skipped,
                note=entry.problem,
            )
            continue
        if await _imported_status(conn, account_id, post.uri) is not None:
            note = f"item {entry.number}: {post.uri[:200]} was imported before"
            await record_item(conn, job.id, skipped=True, note=note)
            continue
        media_ids, notes = await _upload_media(conn, media_root, account_id, archive, entry)
        async with conn.transaction():
            await _insert(conn, account_id, archive.owner, post, media_ids)
            await record_item(conn, job.id, note="; ".join(notes) or None)
