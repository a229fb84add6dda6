"""Statuses posted to groups (`status_groups`): which group a status belongs to, on the node
hosting the group and on its members' nodes. `content.access` reads the same table: a
members-only group's posts are for the group's followers only."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, boost_visible_sql, visible_sql
from content.statuses import STATUS_COLUMNS, Status, status_from_row
from db.keyset import Window, newest_first, window_sql


async def add_to_group(
    conn: asyncpg.Connection, status_id: int, group_id: int, *, members_only: bool
) -> bool:
    """Record the status as posted to the group; False when it already was (or was removed)."""
    added = await conn.fetchval(
        """INSERT INTO status_groups (status_id, group_id, members_only) VALUES ($1, $2, $3)
           ON CONFLICT (status_id, group_id) DO NOTHING RETURNING status_id""",
        status_id,
        group_id,
        members_only,
    )
    return added is not None


async def mark_removed(conn: asyncpg.Connection, status_id: int, group_id: int) -> bool:
    removed = await conn.fetchval(
        """UPDATE status_groups SET removed_at = now()
           WHERE status_id = $1 AND group_id = $2 AND removed_at IS NULL RETURNING status_id""",
        status_id,
        group_id,
    )
    return removed is not None


async def groups_of_status(conn: asyncpg.Connection, status_id: int) -> list[int]:
    """The groups a status was posted to and not removed from."""
    rows = await conn.fetch(
        "SELECT group_id FROM status_groups WHERE status_id = $1 AND removed_at IS NULL",
        status_id,
    )
    return [row["group_id"] for row in rows]


async def group_of_thread(conn: asyncpg.Connection, status: Status) -> dict[int, bool]:
    """The groups of the status a reply answers (FEP-1b12: a reply in a group thread goes to
    the group), found through the parent or the thread's root: group id → members only."""
    parents = [i for i in (status.in_reply_to_id, status.thread_id) if i and i != status.id]
    if not parents:
        return {}
    rows = await conn.fetch(
        """SELECT group_id, bool_or(members_only) AS members_only FROM status_groups
           WHERE status_id = ANY($1::bigint[]) AND removed_at IS NULL GROUP BY group_id""",
        parents,
    )
    return {row["group_id"]: row["members_only"] for row in rows}


async def group_timeline(
    conn: asyncpg.Connection, group_id: int, viewer: Viewer, window: Window
) -> list[Status]:
    """The group's posts the viewer may see (originals, not the group's boosts of them),
    newest first, paged by status id as Mastodon pages timelines."""
    conditions, order, values = window_sql("s.id", window, 3)
    rows = await conn.fetch(
        f"""SELECT {STATUS_COLUMNS} FROM statuses s
            JOIN status_groups sg ON sg.status_id = s.id
            WHERE sg.group_id = $1 AND sg.removed_at IS NULL
              AND {visible_sql("s", "$2", viewer)} AND {boost_visible_sql("s", "$2", viewer)}
              {conditions}
            {order}""",
        group_id,
        viewer.account_id,
        *values,
    )
    return newest_first([status_from_row(row) for row in rows], window)


async def latest_threads(
    conn: asyncpg.Connection, group_id: int, viewer: Viewer, limit: int
) -> list[tuple[Status, list[Status]]]:
    """The group's latest top-level posts, each with the replies under it (oldest first), as
    the group's page shows them."""
    rows = await conn.fetch(
        f"""SELECT {STATUS_COLUMNS} FROM statuses s
            JOIN status_groups sg ON sg.status_id = s.id
            WHERE sg.group_id = $1 AND sg.removed_at IS NULL AND s.in_reply_to_id IS NULL
              AND {visible_sql("s", "$2", viewer)}
            ORDER BY s.id DESC LIMIT $3""",
        group_id,
        viewer.account_id,
        limit,
    )
    threads = []
    for row in rows:
        root = status_from_row(row)
        replies = await conn.fetch(
            f"""SELECT {STATUS_COLUMNS} FROM statuses s
                WHERE s.thread_id = $1 AND s.id <> $1 AND s.reblog_of_id IS NULL
                  AND {visible_sql("s", "$2", viewer)}
                ORDER BY s.id""",
            root.id,
            viewer.account_id,
        )
        threads.append((root, [status_from_row(reply) for reply in replies]))
    return threads
