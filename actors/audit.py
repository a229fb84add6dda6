"""The audit log: every staff action, written by the `do_*` command that made it, in the same
transaction, so an action that happened is always on record and one that failed never is.

Mastodon keeps the same record (`Admin::ActionLog`) but shows it only in its web interface;
Rukun lists it to admins through `GET /api/v1/rukun/admin/audit_log`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from actors.accounts import Member


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    account_id: int | None
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    created_at: datetime


_COLUMNS = "id, account_id, action, target_type, target_id, details, created_at"


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(**dict(row))


async def record_action(
    conn: asyncpg.Connection,
    actor: Member | None,
    action: str,
    target_type: str,
    target_id: int | str,
    *,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one entry inside the caller's transaction. `actor` None is the operator at the
    command line."""
    await conn.execute(
        """INSERT INTO audit_log (account_id, action, target_type, target_id, details)
           VALUES ($1, $2, $3, $4, $5)""",
        actor.account.id if actor is not None else None,
        action,
        target_type,
        str(target_id),
        details or {},
    )


async def list_audit_log(
    conn: asyncpg.Connection,
    *,
    account_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    max_id: int | None = None,
    limit: int = 40,
) -> list[AuditEntry]:
    """Newest first, paged by id; each filter narrows when given."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM audit_log
            WHERE ($1::bigint IS NULL OR account_id = $1)
              AND ($2::text IS NULL OR action = $2)
              AND ($3::text IS NULL OR target_type = $3)
              AND ($4::text IS NULL OR target_id = $4)
              AND ($5::bigint IS NULL OR id < $5)
            ORDER BY id DESC LIMIT $6""",
        account_id,
        action,
        target_type,
        target_id,
        max_id,
        limit,
    )
    return [_entry(row) for row in rows]
