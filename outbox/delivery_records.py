"""Deliveries as records: what each one is and what its inbox last answered, for tests, the
admin panel and its dead letters (list, send again with the give-up clock restarted, discard).
Sending is `outbox.delivery`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from db.queue import enqueue
from outbox.delivery import DEAD, DELIVERY_JOB, DONE, JOB_ATTEMPTS, QUEUED


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    activity_id: str
    inbox_url: str
    host: str
    actor_id: int
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    requeued_at: datetime | None
    finished_at: datetime | None


_COLUMNS = (
    "id, activity_id, inbox_url, host, actor_id, state, attempts, last_status, last_error, "
    "next_attempt_at, created_at, requeued_at, finished_at"
)


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__slots__})


async def get_delivery(conn: asyncpg.Connection, delivery_id: int) -> Delivery | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM deliveries WHERE id = $1", delivery_id)
    return _delivery(row) if row else None


async def deliveries_of(conn: asyncpg.Connection, activity_id: str) -> list[Delivery]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM deliveries WHERE activity_id = $1 ORDER BY id", activity_id
    )
    return [_delivery(row) for row in rows]


async def delivery_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    found = {row["state"]: row["n"] for row in rows}
    return {state: found.get(state, 0) for state in (QUEUED, DONE, DEAD)}


async def dead_deliveries(conn: asyncpg.Connection, limit: int = 100) -> list[Delivery]:
    """The dead letters, most recent first (for the admin panel)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM deliveries WHERE state = 'dead'
            ORDER BY finished_at DESC, id DESC LIMIT $1""",
        limit,
    )
    return [_delivery(row) for row in rows]


async def retry_delivery(conn: asyncpg.Connection, delivery_id: int) -> bool:
    """Send a dead letter again, with the give-up clock restarted; False if it is not dead."""
    async with conn.transaction():
        requeued = await conn.fetchval(
            """UPDATE deliveries SET state = 'queued', requeued_at = now(), finished_at = NULL,
                                     next_attempt_at = now()
               WHERE id = $1 AND state = 'dead' RETURNING id""",
            delivery_id,
        )
        if requeued is None:
            return False
        await enqueue(conn, DELIVERY_JOB, {"delivery_id": delivery_id}, max_attempts=JOB_ATTEMPTS)
    return True


async def discard_delivery(conn: asyncpg.Connection, delivery_id: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM deliveries WHERE id = $1 AND state = 'dead'", delivery_id
    )
    return status == "DELETE 1"
