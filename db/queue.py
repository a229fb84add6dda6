"""The durable job queue: rows in PostgreSQL claimed with `FOR UPDATE SKIP LOCKED`.

Hand-written rather than taken from a library (pgqueuer was considered) because Rukun needs
three things together: enqueueing inside the caller's own transaction on the same asyncpg
connection (a status and its deliveries commit or vanish together), retries that stay durable
for days with exponential backoff and `Retry-After`, and dead letters the admin panel can list,
retry or discard. Each is a column here (`attempts`, `run_at`, `last_error`, `state`).

Guarantees: a job runs until a handler returns without raising, at least once. A worker that
dies mid-job stops renewing its lease; when `locked_until` passes, another worker claims the job
again. Two workers never hold the same job at once: row locks at claim, and every later write
about a job names the claim it holds (`locked_by` and the attempt number), so a worker whose
lease was taken over changes nothing. Handlers must be idempotent, as with any at-least-once
queue. A worker that loses the database keeps retrying rather than stopping.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.retention import BATCH, prune

log = logging.getLogger(__name__)
CHANNEL = "rukun_jobs"
MAX_DELAY = 30 * 86400.0  # a retry further away than this is a remote's mistake, not a plan

# What a lost or restarting database raises; the worker waits and tries again. asyncpg raises
# InternalClientError for a pooled connection whose server sent FATAL but has not hung up yet.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    created_at: datetime


Handler = Callable[[asyncpg.Connection, Job], Awaitable[None]]


class RetryLater(Exception):
    """Raise from a handler to retry after `delay` seconds (a remote's Retry-After)."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


class _Unrecorded(Exception):
    """The job ran, but its end could not be written: the lease runs out and it runs again."""


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help; the job becomes a dead letter at once."""


async def enqueue(
    conn: asyncpg.Connection,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    delay: float = 0.0,
    max_attempts: int = 20,
) -> int:
    """Add a job in the caller's transaction; workers hear of it when that transaction commits."""
    # One round trip: the notification rides on the insert (PostgreSQL delivers it at commit).
    job_id: int = await conn.fetchval(
        """WITH job AS (
               INSERT INTO jobs (kind, payload, run_at, max_attempts)
               VALUES ($1, $2, now() + make_interval(secs => $3), $4) RETURNING id)
           SELECT job.id FROM job, pg_notify($5, $1)""",
        kind,
        dict(payload or {}),
        delay,
        max_attempts,
        CHANNEL,
    )
    return job_id


async def enqueue_many(
    conn: asyncpg.Connection,
    kind: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    max_attempts: int = 20,
) -> list[int]:
    """`enqueue` for many jobs of one kind in one statement (one notification for all)."""
    if not payloads:
        return []
    ids: list[int] = await conn.fetchval(
        """WITH job AS (
               INSERT INTO jobs (kind, payload, max_attempts)
               SELECT $1, payload, $3 FROM unnest($2::jsonb[]) AS payload RETURNING id)
           SELECT array_agg(job.id) FROM job, pg_notify($4, $1)""",
        kind,
        [dict(payload) for payload in payloads],
        max_attempts,
        CHANNEL,
    )
    return ids


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Jobs by state: `queued`, `running`, `dead` (for the dashboard and benchmarks)."""
    rows = await conn.fetch("SELECT state, count(*) AS n FROM jobs GROUP BY state")
    found = {row["state"]: row["n"] for row in rows}
    return {state: found.get(state, 0) for state in ("queued", "running", "dead")}


async def retry_dead(conn: asyncpg.Connection, job_id: int) -> bool:
    """Put a dead letter back in the queue with a fresh attempt budget."""
    status = await conn.execute(
        """UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), updated_at = now()
           WHERE id = $1 AND state = 'dead'""",
        job_id,
    )
    if status != "UPDATE 1":
        return False
    await conn.execute("SELECT pg_notify($1, 'retry')", CHANNEL)
    return True


async def discard_dead(conn: asyncpg.Connection, job_id: int) -> bool:
    status = await conn.execute("DELETE FROM jobs WHERE id = $1 AND state = 'dead'", job_id)
    return status == "DELETE 1"


async def prune_dead_jobs(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Remove up to `limit` dead letters that died more than `older_than_days` ago (finished
    jobs are deleted as they finish; nothing else stays)."""
    return await prune(
        conn,
        "jobs",
        "id",
        "state = 'dead' AND updated_at < now() - make_interval(days => $1)",
        older_than_days,
        limit=limit,
        dry_run=dry_run,
    )


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before attempt `attempts + 1`: base·2^(attempts-1), capped, with ±25 % jitter so
    jobs that failed together (a partner node down) do not retry together."""
    # Past 2^64 any base is over the cap; bounding the exponent keeps the float finite.
    exponent = min(max(0, attempts - 1), 64)
    delay = min(cap, base * 2.0**exponent)
    return delay * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not a secret


def _clamp(seconds: float) -> float:
    """A delay PostgreSQL accepts: negative or NaN is now, and nothing beyond MAX_DELAY."""
    if not seconds > 0:
        return 0.0
    return min(float(seconds), MAX_DELAY)


# Ready jobs by the `jobs_ready` index and lapsed leases by `jobs_leased`, each locked as it
# is read: one plan that ORed the two scanned and sorted the whole table on every claim.
_CLAIM = """
WITH lapsed AS (
    SELECT id FROM jobs WHERE state = 'running' AND locked_until < now()
    ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED
), ready AS (
    SELECT id FROM jobs WHERE state = 'queued' AND run_at <= now()
    ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED
), next AS (
    (SELECT id FROM lapsed) UNION ALL (SELECT id FROM ready) LIMIT $1
)
UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, locked_by = $2,
                locked_until = now() + make_interval(secs => $3), updated_at = now()
FROM next WHERE jobs.id = next.id
RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.created_at
"""

# `id`, `locked_by` and `attempts` together name one claim: a job that was taken over after
# its lease ran out has a new holder or a higher attempt, and these writes leave it alone.
_FINISH = "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND attempts = $3"
_FAIL = """
UPDATE jobs SET state = $4, run_at = now() + make_interval(secs => $5), last_error = $6,
                locked_by = NULL, locked_until = NULL, updated_at = now()
WHERE id = $1 AND locked_by = $2 AND attempts = $3
"""
_RELEASE = """
UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = now(),
                locked_by = NULL, locked_until = NULL, updated_at = now()
WHERE id = $1 AND locked_by = $2 AND attempts = $3
"""
_RELEASE_ALL = """
UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = now(),
                locked_by = NULL, locked_until = NULL, updated_at = now()
WHERE state = 'running' AND locked_by = $1
"""
_RENEW = """
UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND state = 'running'
"""


class Worker:
    """Runs jobs from the queue with up to `concurrency` at once, each on its own connection.

    A claim takes up to `concurrency` jobs more than there are free slots; what waits for a
    slot holds its lease like a running job (renewed, and given back at shutdown).

    The pool needs `concurrency + 3` connections: one per running job, the listener, the lease
    heartbeat and the claim. One `run()` or `drain()` at a time per Worker: its name is its
    identity in the `jobs` table."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 4,
        lease_seconds: float = 300.0,
        backoff_base: float = 15.0,
        backoff_cap: float = 6 * 3600.0,
        poll_seconds: float = 5.0,
        name: str | None = None,
    ) -> None:
        self.pool = pool
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_seconds = poll_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running: dict[asyncio.Task[None], Job] = {}
        # Claimed a moment ahead of a free slot: one claim serves many slots (see `run`).
        self._claimed: collections.deque[Job] = collections.deque()
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._kept: list[asyncpg.Connection] = []

    async def claim(self, limit: int) -> list[Job]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_CLAIM, limit, self.name, self.lease_seconds)
        return [Job(**dict(row)) for row in rows]

    async def _run_one(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            try:
                if job.attempts > job.max_attempts:
                    raise PermanentFailure("the worker running it stopped too many times")
                if handler is None:
                    raise PermanentFailure(f"no handler for job kind {job.kind!r}")
                async with self._connection() as conn:
                    await handler(conn, job)
                    # On the handler's connection: one pool round trip per job, not two.
                    finished = await self._finish(conn, job)
            except asyncio.CancelledError:
                await self._release(job)
                raise
            except _Unrecorded as error:
                log.warning("job %s: could not record the outcome: %s", job.id, error.__cause__)
            except Exception as error:
                await self._fail(job, error)
            else:
                if not finished:
                    log.warning("job %s finished after its lease passed to another worker", job.id)
        except _UNREACHABLE as error:
            # The outcome was not recorded; the lease runs out and the job runs again.
            log.warning("job %s: could not record the outcome: %s", job.id, error)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one job. One that ends a job cleanly is kept for the next (the
        pool's reset costs a round trip); one that saw an error goes back to the pool."""
        conn = self._kept.pop() if self._kept else await self.pool.acquire()
        try:
            yield conn
        except BaseException:
            await self.pool.release(conn)
            raise
        if conn.is_in_transaction() or len(self._kept) >= self.concurrency:
            await self.pool.release(conn)
        else:
            self._kept.append(conn)

    async def _give_back_kept(self) -> None:
        """Idle: what the worker kept goes back to the pool, for the web side to use."""
        while self._kept:
            with contextlib.suppress(*_UNREACHABLE):
                await self.pool.release(self._kept.pop())

    async def _finish(self, conn: asyncpg.Connection, job: Job) -> bool:
        try:
            status = await conn.execute(_FINISH, job.id, self.name, job.attempts)
        except _UNREACHABLE as error:
            raise _Unrecorded from error
        return bool(status == "DELETE 1")

    async def _fail(self, job: Job, error: Exception) -> None:
        permanent = isinstance(error, PermanentFailure) or job.attempts >= job.max_attempts
        delay = (
            _clamp(error.delay)
            if isinstance(error, RetryLater)
            else backoff(job.attempts, self.backoff_base, self.backoff_cap)
        )
        message = f"{type(error).__name__}: {error}"[:2000]
        level = logging.WARNING if permanent else logging.INFO
        log.log(level, "job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, message)
        async with self.pool.acquire() as conn:
            await conn.execute(
                _FAIL,
                job.id,
                self.name,
                job.attempts,
                "dead" if permanent else "queued",
                delay,
                message,
            )

    async def _release(self, job: Job) -> None:
        """Give an unfinished job back at shutdown without spending an attempt."""
        with contextlib.suppress(*_UNREACHABLE):
            async with self.pool.acquire() as conn:
                await conn.execute(_RELEASE, job.id, self.name, job.attempts)

    async def _release_all(self) -> None:
        """Give back what this worker still holds, including jobs whose claim committed just
        as it was cancelled (so they never started)."""
        with contextlib.suppress(*_UNREACHABLE):
            async with self.pool.acquire() as conn:
                await conn.execute(_RELEASE_ALL, self.name)

    async def _heartbeat(self) -> None:
        """Renew the leases of running jobs every third of a lease; a failed renewal is logged
        and tried again, never the end of the heartbeat."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            ids = sorted({job.id for job in [*self._running.values(), *self._claimed]})
            if not ids:
                continue
            try:
                async with self.pool.acquire() as conn:
                    await conn.execute(_RENEW, ids, self.name, self.lease_seconds)
            except Exception as error:
                unexpected = not isinstance(error, _UNREACHABLE)
                log.warning(
                    "worker %s could not renew its leases: %s",
                    self.name,
                    error,
                    exc_info=unexpected,
                )

    def _start(self, job: Job) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
        self._running[task] = job
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._running.pop(task, None)
        self._wake.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("job %s: worker error", job.id if job else "?", exc_info=error)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    def _on_listener_lost(self, _conn: object) -> None:
        # The pool takes a closed connection back by itself; listen again on the next turn.
        self._listener = None
        self._wake.set()

    async def _listen(self) -> None:
        if self._listener is not None:
            return
        listener = await self.pool.acquire()
        try:
            await listener.add_listener(CHANNEL, self._on_notify)
            listener.add_termination_listener(self._on_listener_lost)
        except BaseException:
            await self.pool.release(listener)  # LISTEN failed: no callback was left on it
            raise
        self._listener = listener

    async def _unlisten(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(*_UNREACHABLE):
            listener.remove_termination_listener(self._on_listener_lost)
            await listener.remove_listener(CHANNEL, self._on_notify)
        with contextlib.suppress(*_UNREACHABLE):
            await self.pool.release(listener)

    async def run(self) -> None:
        """Work until cancelled; on cancel, give running jobs back to the queue (the attempt is
        not spent). An error while claiming (the database lost or restarting) is logged and
        retried within a second, never the end of the loop."""
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"heartbeat-{self.name}")
        try:
            while True:
                # Clear before claiming, so a notification that lands during the claim is kept.
                self._wake.clear()
                try:
                    await self._listen()
                    free = self.concurrency - len(self._running)
                    if free > 0 and not self._claimed:
                        # Up to a slot's worth more than is free: as slots free up one by one
                        # they start what was claimed instead of claiming one job each.
                        self._claimed.extend(await self.claim(free + self.concurrency))
                    while free > 0 and self._claimed:
                        self._start(self._claimed.popleft())
                        free -= 1
                except Exception as error:
                    unexpected = not isinstance(error, _UNREACHABLE)
                    log.warning("worker %s: %s", self.name, error, exc_info=unexpected)
                    await asyncio.sleep(min(self.poll_seconds, 1.0))
                    continue
                if not self._running and not self._claimed:
                    await self._give_back_kept()
                # Woken by a new job, a finished job (a free slot), a lost listener or the poll,
                # which also finds retries whose time has come and jobs whose worker died.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            heartbeat.cancel()
            tasks = list(self._running)
            for task in tasks:
                task.cancel()
            await asyncio.wait([heartbeat, *tasks])
            self._claimed.clear()  # never started: given back below with the rest
            await self._give_back_kept()
            await self._unlisten()
            await self._release_all()

    async def drain(self, *, within: float = 30.0) -> int:
        """Run every job that is ready now, and those they enqueue, until none is left; return how
        many ran. Tests call this instead of sleeping. Leases are renewed meanwhile, as in `run`."""
        ran = 0
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"heartbeat-{self.name}")
        try:
            async with asyncio.timeout(within):
                while jobs := await self.claim(self.concurrency):
                    ran += len(jobs)
                    await asyncio.gather(*(self._start(job) for job in jobs))
        finally:
            heartbeat.cancel()
            await asyncio.wait([heartbeat])
            await self._give_back_kept()
        return ran
