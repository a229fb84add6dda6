"""Deleting a status: a soft delete (`deleted_at`), so moderation and legal hold can still
find it, while every read path treats it as gone. Its boosts go with it, as Mastodon's
`discard_with_reblogs` does; so do its pins, the notifications about it and its idempotency
key. (Feed rows and counters are the command's: `outbox.interactions.do_delete_status`.)"""

from __future__ import annotations

import asyncpg

from content.idempotency import release_keys
from content.statuses import STATUS_COLUMNS, Status, status_from_row


async def discard_status(
    conn: asyncpg.Connection, status_id: int, *, keep_media: bool = True
) -> list[Status]:
    """Soft-delete the status and its live boosts inside the caller's transaction; returns what
    was discarded, the status first (empty when it was already gone). With `keep_media` the
    attachments are released for a redraft, as Mastodon's delete-and-redraft expects."""
    row = await conn.fetchrow(
        f"""UPDATE statuses SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL
            RETURNING {STATUS_COLUMNS}""",
        status_id,
    )
    if row is None:
        return []
    boosts = await conn.fetch(
        f"""UPDATE statuses SET deleted_at = now()
            WHERE reblog_of_id = $1 AND deleted_at IS NULL RETURNING {STATUS_COLUMNS}""",
        status_id,
    )
    discarded = [status_from_row(row), *(status_from_row(b) for b in boosts)]
    ids = [s.id for s in discarded]
    await conn.execute("DELETE FROM notifications WHERE status_id = ANY($1::bigint[])", ids)
    await conn.execute("DELETE FROM status_pins WHERE status_id = ANY($1::bigint[])", ids)
    await release_keys(conn, status_id)
    if keep_media:
        await conn.execute(
            "UPDATE media_attachments SET status_id = NULL WHERE status_id = $1", status_id
        )
    return discarded
