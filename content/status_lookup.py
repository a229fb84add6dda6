"""Finding statuses for a viewer: fetch and check visibility in one call, so a handler never
holds a status its viewer may not see (what may not be seen is "not found")."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, may_see, visible_sql
from content.statuses import Status, get_status


async def access_status(conn: asyncpg.Connection, viewer: Viewer, status_id: int) -> Status | None:
    """The status (a boost included, with its original checked too), or None when it does not
    exist, is deleted, or the viewer may not see it."""
    status = await get_status(conn, status_id)
    if status is None or not await may_see(conn, viewer, status_id):
        return None
    return status


async def original_of(conn: asyncpg.Connection, status: Status) -> Status | None:
    """A boost's original (what favourites, bookmarks and boosts act on), else the status."""
    if status.reblog_of_id is None:
        return status
    return await get_status(conn, status.reblog_of_id)


async def visible_among(conn: asyncpg.Connection, viewer: Viewer, ids: list[int]) -> set[int]:
    """Which of `ids` the viewer may see (for a boost, its original too)."""
    rows = await conn.fetch(
        f"""SELECT s.id FROM statuses s
            LEFT JOIN statuses o ON o.id = s.reblog_of_id
            WHERE s.id = ANY($2::bigint[]) AND {visible_sql("s", "$1", viewer)}
              AND (s.reblog_of_id IS NULL
                   OR (o.id IS NOT NULL AND {visible_sql("o", "$1", viewer)}))""",
        viewer.account_id,
        ids,
    )
    return {row["id"] for row in rows}
