"""What a member's archive holds of what they said and kept: their own statuses (boosts are
not theirs to take), the statuses they favourited and bookmarked, read in id order so an
export streams through them in batches.

`internal_to_node` is the one place that decides which content stays with the organisation
when a member takes their archive away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from content.statuses import STATUS_COLUMNS, Status, status_from_row

BATCH = 200


def internal_to_node(status: Status) -> bool:
    """Content the company keeps when a member leaves: internal (`local`) posts. Members-only
    group content belongs here too once groups exist: this predicate is the hook."""
    return status.visibility == "local"


def exported(status: Status, *, includes_internal: bool) -> bool:
    return includes_internal or not internal_to_node(status)


async def count_own_statuses(conn: asyncpg.Connection, account_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM statuses
           WHERE account_id = $1 AND deleted_at IS NULL AND reblog_of_id IS NULL""",
        account_id,
    )
    return count


async def own_statuses(conn: asyncpg.Connection, account_id: int) -> AsyncIterator[Status]:
    """The member's original statuses, oldest first, direct messages they sent included (their
    side of the conversation, as Mastodon's archive has it)."""
    after = 0
    while True:
        rows = await conn.fetch(
            f"""SELECT {STATUS_COLUMNS} FROM statuses
                WHERE account_id = $1 AND id > $2 AND deleted_at IS NULL
                  AND reblog_of_id IS NULL
                ORDER BY id LIMIT $3""",
            account_id,
            after,
            BATCH,
        )
        for row in rows:
            yield status_from_row(row)
        if len(rows) < BATCH:
            return
        after = rows[-1]["id"]


@dataclass(frozen=True, slots=True)
class KeptStatus:
    """A favourited or bookmarked status, enough to name it by its ActivityPub id."""

    id: int
    local: bool
    username: str
    uri: str | None
    visibility: str


async def _kept(
    conn: asyncpg.Connection, table: str, account_id: int, *, includes_internal: bool
) -> list[KeptStatus]:
    rows = await conn.fetch(
        f"""SELECT s.id, s.local, a.username, s.uri, s.visibility
            FROM {table} k JOIN statuses s ON s.id = k.status_id
            JOIN accounts a ON a.id = s.account_id
            WHERE k.account_id = $1 AND s.deleted_at IS NULL
              AND ($2 OR s.visibility <> 'local')
            ORDER BY k.id""",
        account_id,
        includes_internal,
    )
    return [KeptStatus(**dict(row)) for row in rows]


async def favourited_statuses(
    conn: asyncpg.Connection, account_id: int, *, includes_internal: bool
) -> list[KeptStatus]:
    return await _kept(conn, "favourites", account_id, includes_internal=includes_internal)


async def bookmarked_statuses(
    conn: asyncpg.Connection, account_id: int, *, includes_internal: bool
) -> list[KeptStatus]:
    return await _kept(conn, "bookmarks", account_id, includes_internal=includes_internal)
