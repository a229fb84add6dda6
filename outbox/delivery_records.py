"""Deliveries as records: what each one is and what its inbox last answered, for tests, the
admin panel and its dead letters (list, send again with the give-up clock restarted, discard).
Sending is `outbox.delivery`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import Member
from actors.audit import record_action
from db.queue import enqueue
from db.retention import BATCH, prune
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


async def do_retry_dead_letter(
    conn: asyncpg.Connection, actor: Member | None, delivery_id: int
) -> bool:
    """An admin sends a dead letter again (`retry_delivery`), on the audit log."""
    async with conn.transaction():
        delivery = await get_delivery(conn, delivery_id)
        if delivery is None or not await retry_delivery(conn, delivery_id):
            return False
        await record_action(
            conn, actor, "retry_delivery", "delivery", delivery_id, details=_details(delivery)
        )
    return True


async def do_discard_dead_letter(
    conn: asyncpg.Connection, actor: Member | None, delivery_id: int
) -> bool:
    """An admin gives up on a dead letter for good, on the audit log."""
    async with conn.transaction():
        delivery = await get_delivery(conn, delivery_id)
        if delivery is None or not await discard_delivery(conn, delivery_id):
            return False
        await record_action(
            conn, actor, "discard_delivery", "delivery", delivery_id, details=_details(delivery)
        )
    return True


def _details(delivery: Delivery) -> dict[str, object]:
    return {"host": delivery.host, "activity_id": delivery.activity_id}


@dataclass(frozen=True, slots=True)
class HostHealth:
    """How deliveries to one host are going: counts by state, and the latest error."""

    host: str
    queued: int
    failing: int  # queued after at least one failed attempt
    done: int
    dead: int
    last_error: str | None
    last_error_at: datetime | None


async def host_health(conn: asyncpg.Connection, limit: int = 200) -> list[HostHealth]:
    """Per host, the troubled first (dead, then failing), then the busiest."""
    rows = await conn.fetch(
        """SELECT host,
                  count(*) FILTER (WHERE state = 'queued') AS queued,
                  count(*) FILTER (WHERE state = 'queued' AND attempts > 0) AS failing,
                  count(*) FILTER (WHERE state = 'done') AS done,
                  count(*) FILTER (WHERE state = 'dead') AS dead,
                  (array_agg(last_error ORDER BY coalesce(finished_at, next_attempt_at) DESC)
                     FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
                  max(coalesce(finished_at, next_attempt_at))
                     FILTER (WHERE last_error IS NOT NULL) AS last_error_at
           FROM deliveries GROUP BY host
           ORDER BY 5 DESC, 3 DESC, count(*) DESC, host LIMIT $1""",
        limit,
    )
    return [HostHealth(**dict(row)) for row in rows]


async def failing_count(conn: asyncpg.Connection) -> int:
    """Deliveries still queued after a failed attempt."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM deliveries WHERE state = 'queued' AND attempts > 0"
    )
    return count


async def prune_deliveries(
    conn: asyncpg.Connection,
    *,
    done_days: float,
    dead_days: float,
    limit: int = BATCH,
    dry_run: bool = False,
) -> int:
    """Remove up to `limit` finished deliveries: delivered ones after `done_days`, dead letters
    after `dead_days` (until then the admin panel lists them, to send again or discard). Queued
    ones stay whatever their age: the give-up clock ends them."""
    return await prune(
        conn,
        "deliveries",
        "id",
        """(state = $1 AND finished_at < now() - make_interval(days => $3))
           OR (state = $2 AND finished_at < now() - make_interval(days => $4))""",
        DONE,
        DEAD,
        done_days,
        dead_days,
        limit=limit,
        dry_run=dry_run,
    )
