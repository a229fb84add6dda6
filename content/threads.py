"""Conversations: a status's context (what it replies to, what replies to it) and muting a
conversation. The walk follows `in_reply_to_id` through statuses that still exist; statuses the
viewer may not see, or whose authors the viewer blocks or mutes, are left out without cutting
off the replies below them (Mastodon's StatusFilter)."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, visible_sql
from content.statuses import Status

# Mastodon's limits for a signed-in viewer.
CONTEXT_LIMIT = 4096


def _shown(viewer: Viewer) -> str:
    return f"""{visible_sql("s", "$2", viewer)}
    AND (s.account_id = $2 OR NOT EXISTS (
        SELECT 1 FROM blocks b WHERE b.account_id = $2 AND b.target_account_id = s.account_id))
    AND (s.account_id = $2 OR NOT EXISTS (
        SELECT 1 FROM mutes m WHERE m.account_id = $2 AND m.target_account_id = s.account_id
          AND (m.expires_at IS NULL OR m.expires_at > now())))"""


async def ancestor_ids(conn: asyncpg.Connection, status: Status, viewer: Viewer) -> list[int]:
    """What the status replies to, oldest first."""
    rows = await conn.fetch(
        f"""WITH RECURSIVE up (id, in_reply_to_id, depth) AS (
                SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1
                UNION ALL
                SELECT s.id, s.in_reply_to_id, up.depth + 1
                FROM statuses s JOIN up ON s.id = up.in_reply_to_id
                WHERE s.deleted_at IS NULL AND up.depth < $3
            )
            SELECT up.id FROM up JOIN statuses s ON s.id = up.id
            WHERE up.depth > 0 AND {_shown(viewer)}
            ORDER BY up.depth DESC""",
        status.id,
        viewer.account_id,
        CONTEXT_LIMIT,
    )
    return [row["id"] for row in rows]


async def descendant_ids(conn: asyncpg.Connection, status: Status, viewer: Viewer) -> list[int]:
    """Replies to the status and replies to those, depth-first in thread order (each branch
    oldest first, its own replies right below it)."""
    rows = await conn.fetch(
        f"""WITH RECURSIVE down (id, path) AS (
                SELECT id, ARRAY[id] FROM statuses
                WHERE in_reply_to_id = $1 AND deleted_at IS NULL
                UNION ALL
                SELECT s.id, down.path || s.id
                FROM statuses s JOIN down ON s.in_reply_to_id = down.id
                WHERE s.deleted_at IS NULL AND NOT s.id = ANY(down.path)
                  AND cardinality(down.path) < $3
            )
            SELECT down.id FROM down JOIN statuses s ON s.id = down.id
            WHERE {_shown(viewer)}
            ORDER BY down.path LIMIT $3""",
        status.id,
        viewer.account_id,
        CONTEXT_LIMIT,
    )
    return [row["id"] for row in rows]


async def do_mute_conversation(conn: asyncpg.Connection, account_id: int, thread_id: int) -> None:
    """Stop notifications from a conversation (mentions, boosts, favourites, edits in it)."""
    await conn.execute(
        """INSERT INTO conversation_mutes (account_id, thread_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        account_id,
        thread_id,
    )


async def do_unmute_conversation(conn: asyncpg.Connection, account_id: int, thread_id: int) -> None:
    await conn.execute(
        "DELETE FROM conversation_mutes WHERE account_id = $1 AND thread_id = $2",
        account_id,
        thread_id,
    )
