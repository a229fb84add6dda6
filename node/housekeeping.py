"""Housekeeping: a job that prunes what a node would otherwise keep for ever — finished
deliveries and inbound activities, dead letters, ended credentials, abandoned uploads, old
export archives and imports — then schedules its own next run.

Each layer prunes its own tables (`prune_*` beside the code that writes them); this module
only calls them in turn. Every call removes one bounded batch in its own short transaction,
repeated until a batch comes back short, so a first pass over years of rows never holds a
long lock or one huge transaction.

Exactly one run is scheduled at a time: `ensure_scheduled` adds a job only when none of this
kind is queued or running, under a transaction-scoped advisory lock so two processes starting
at once cannot both add one. A run schedules the next as it ends (not counting itself); a run
that fails is retried by the queue; if it dies for good, the next start of a worker begins a
new chain."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from actors.exports import prune_exports
from actors.imports import prune_imports
from actors.sign_in_records import (
    prune_ended_tokens,
    prune_expired_codes,
    prune_idle_sessions,
    prune_sign_in_attempts,
)
from content.media import prune_unattached_media
from db.queue import Handler, Job, enqueue, prune_dead_jobs
from db.retention import BATCH
from inbox.retention import prune_inbound_activities, prune_seen_activity_ids
from node.settings import Settings
from outbox.delivery_records import prune_deliveries

log = logging.getLogger(__name__)
HOUSEKEEPING_JOB = "node.housekeeping"
# pg_advisory_xact_lock key guarding "is one scheduled?" (any constant unique to this use).
_SCHEDULE_LOCK = 0x52554B554E484B  # "RUKUNHK"
FIRST_RUN_DELAY = 60.0  # seconds after a start: let the node settle first


@dataclass(frozen=True, slots=True)
class Retention:
    """How long finished things stay, in days, and how often housekeeping runs."""

    interval_minutes: float = 60.0
    delivered_days: float = 7.0
    dead_letter_days: float = 30.0
    inbound_days: float = 30.0
    seen_activity_days: float = 365.0
    sign_in_days: float = 30.0
    unattached_media_days: float = 1.0
    export_days: float = 7.0
    import_days: float = 30.0


def retention_from(settings: Settings) -> Retention:
    return Retention(
        interval_minutes=settings.housekeeping_interval_minutes,
        delivered_days=settings.delivered_retention_days,
        dead_letter_days=settings.dead_letter_retention_days,
        inbound_days=settings.inbound_retention_days,
        seen_activity_days=settings.seen_activity_retention_days,
        sign_in_days=settings.sign_in_retention_days,
        unattached_media_days=settings.unattached_media_retention_days,
        export_days=settings.export_retention_days,
        import_days=settings.import_retention_days,
    )


# One batch of one kind: (connection, limit, dry_run) → rows removed (or, dry, that would be).
Pruner = Callable[[asyncpg.Connection, int, bool], Awaitable[int]]


def pruners(retention: Retention, media_root: Path) -> dict[str, Pruner]:
    """What is pruned, by the name the CLI prints, in the order it runs."""
    r = retention
    return {
        "deliveries": lambda c, n, dry: prune_deliveries(
            c, done_days=r.delivered_days, dead_days=r.dead_letter_days, limit=n, dry_run=dry
        ),
        "dead_jobs": lambda c, n, dry: prune_dead_jobs(c, r.dead_letter_days, limit=n, dry_run=dry),
        "inbound_activities": lambda c, n, dry: prune_inbound_activities(
            c, r.inbound_days, limit=n, dry_run=dry
        ),
        "seen_activity_ids": lambda c, n, dry: prune_seen_activity_ids(
            c, r.seen_activity_days, limit=n, dry_run=dry
        ),
        "oauth_tokens": lambda c, n, dry: prune_ended_tokens(
            c, r.sign_in_days, limit=n, dry_run=dry
        ),
        "authorization_codes": lambda c, n, dry: prune_expired_codes(
            c, r.sign_in_days, limit=n, dry_run=dry
        ),
        "web_sessions": lambda c, n, dry: prune_idle_sessions(c, limit=n, dry_run=dry),
        "sign_in_attempts": lambda c, n, dry: prune_sign_in_attempts(
            c, r.sign_in_days, limit=n, dry_run=dry
        ),
        "unattached_media": lambda c, n, dry: prune_unattached_media(
            c, media_root, r.unattached_media_days, limit=n, dry_run=dry
        ),
        "exports": lambda c, n, dry: prune_exports(
            c, media_root, r.export_days, limit=n, dry_run=dry
        ),
        "imports": lambda c, n, dry: prune_imports(c, r.import_days, limit=n, dry_run=dry),
    }


async def run_housekeeping(
    conn: asyncpg.Connection,
    retention: Retention,
    media_root: Path,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> dict[str, int]:
    """One pass: rows removed per kind (with `dry_run`, rows that would be, removing none)."""
    removed: dict[str, int] = {}
    for name, prune in pruners(retention, media_root).items():
        total = 0
        while True:
            async with conn.transaction():
                count = await prune(conn, batch, dry_run)
            total += count
            if dry_run or count < batch:
                break
        removed[name] = total
    return removed


async def ensure_scheduled(
    conn: asyncpg.Connection, *, delay: float = FIRST_RUN_DELAY, excluding: int | None = None
) -> bool:
    """Schedule a housekeeping run in `delay` seconds unless one (other than `excluding`, the
    run asking for its successor) is queued or running; True when one was added."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEDULE_LOCK)
        scheduled = await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')
                              AND id IS DISTINCT FROM $2)""",
            HOUSEKEEPING_JOB,
            excluding,
        )
        if scheduled:
            return False
        await enqueue(conn, HOUSEKEEPING_JOB, delay=delay)
    return True


def housekeeping_job_handlers(retention: Retention, media_root: Path) -> dict[str, Handler]:
    async def housekeep(conn: asyncpg.Connection, job: Job) -> None:
        removed = await run_housekeeping(conn, retention, media_root)
        if any(removed.values()):
            log.info("housekeeping removed %s", {k: v for k, v in removed.items() if v})
        await ensure_scheduled(conn, delay=retention.interval_minutes * 60, excluding=job.id)

    return {HOUSEKEEPING_JOB: housekeep}
