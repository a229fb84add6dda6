"""Reports: one account tells the moderators about another (and some of its statuses). A
remote `Flag` becomes one here; the admin panel lists the unresolved ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

MAX_COMMENT = 5000


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    uri: str | None
    account_id: int
    target_account_id: int
    status_ids: list[int]
    comment: str
    forwarded: bool
    created_at: datetime
    resolved_at: datetime | None


_COLUMNS = (
    "id, uri, account_id, target_account_id, status_ids, comment, forwarded, created_at, "
    "resolved_at"
)


async def insert_report(
    conn: asyncpg.Connection,
    reporter_id: int,
    target_id: int,
    status_ids: list[int],
    comment: str,
    *,
    uri: str | None = None,
    forwarded: bool = False,
) -> Report | None:
    """Store a report inside the caller's transaction; None when one with this `uri` (the
    Flag's id) is already stored."""
    row = await conn.fetchrow(
        f"""INSERT INTO reports (uri, account_id, target_account_id, status_ids, comment,
                                 forwarded)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (uri) DO NOTHING RETURNING {_COLUMNS}""",
        uri,
        reporter_id,
        target_id,
        sorted(set(status_ids)),
        comment.strip()[:MAX_COMMENT],
        forwarded,
    )
    return Report(**dict(row)) if row else None


async def unresolved_reports(conn: asyncpg.Connection, limit: int = 100) -> list[Report]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM reports WHERE resolved_at IS NULL ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [Report(**dict(row)) for row in rows]


async def moderator_account_ids(conn: asyncpg.Connection) -> list[int]:
    """Accounts of the admins and moderators who hear of new reports."""
    rows = await conn.fetch(
        """SELECT account_id FROM users
           WHERE role IN ('admin', 'moderator') AND disabled_at IS NULL ORDER BY account_id"""
    )
    return [row["account_id"] for row in rows]
