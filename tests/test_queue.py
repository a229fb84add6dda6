"""The durable job queue on a real PostgreSQL: enqueue, run, retry, dead letters, leases,
crashed and competing workers, and the wake-up by LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from db.pool import connection
from db.queue import (
    Job,
    PermanentFailure,
    RetryLater,
    Worker,
    backoff,
    counts,
    discard_dead,
    enqueue,
    retry_dead,
)

ROOT = Path(__file__).resolve().parent.parent
Process = asyncio.subprocess.Process


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 30.0) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if await result if isinstance(result, Awaitable) else result:
                return
            await asyncio.sleep(0.02)


async def job_row(pool: asyncpg.Pool, job_id: int) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        row: asyncpg.Record | None = await conn.fetchrow(
            """SELECT *, extract(epoch FROM run_at - now())::float AS due_in,
                      locked_until < now() AS lease_over
               FROM jobs WHERE id = $1""",
            job_id,
        )
        return row


async def add_job(
    pool: asyncpg.Pool, kind: str, payload: dict[str, Any] | None = None, **options: Any
) -> int:
    async with pool.acquire() as conn:
        return await enqueue(conn, kind, payload, **options)


async def create_runs_table(pool: asyncpg.Pool) -> None:
    # No UNIQUE constraint on purpose: a second run of a job must show up as a second row,
    # not as a handler error the queue would quietly retry.
    async with pool.acquire() as conn:
        await conn.execute(
            """CREATE TABLE job_runs (
                   job_id bigint NOT NULL,
                   worker integer NOT NULL,
                   ran_at timestamptz NOT NULL DEFAULT clock_timestamp())"""
        )


async def runs(pool: asyncpg.Pool) -> list[tuple[int, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT job_id, worker FROM job_runs ORDER BY ran_at")
    return [(row["job_id"], row["worker"]) for row in rows]


async def failing(_conn: asyncpg.Connection, _job: Job) -> None:
    raise ValueError("boom")


# --- enqueue and drain ------------------------------------------------------------------------


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await enqueue(conn, "echo", {"n": 1})
                raise RuntimeError("the caller's work failed")
        assert await conn.fetchval("SELECT count(*) FROM jobs") == 0
    assert await Worker(pool, {}).drain() == 0


async def test_drain_runs_the_handler_with_the_payload(pool: asyncpg.Pool) -> None:
    seen: list[tuple[int, str, dict[str, Any], int]] = []

    async def echo(conn: asyncpg.Connection, job: Job) -> None:
        assert await conn.fetchval("SELECT 1") == 1  # the handler gets a usable connection
        seen.append((job.id, job.kind, job.payload, job.attempts))

    job_id = await add_job(pool, "echo", {"text": "hello", "n": [1, 2]})

    assert await Worker(pool, {"echo": echo}).drain() == 1

    assert seen == [(job_id, "echo", {"text": "hello", "n": [1, 2]}, 1)]
    assert await job_row(pool, job_id) is None  # done jobs are deleted
    async with pool.acquire() as conn:
        assert await counts(conn) == {"queued": 0, "running": 0, "dead": 0}


async def test_a_delayed_job_waits_for_its_time(pool: asyncpg.Pool) -> None:
    job_id = await add_job(pool, "echo", delay=60)

    assert await Worker(pool, {"echo": failing}).drain() == 0

    row = await job_row(pool, job_id)
    assert row is not None
    assert row["state"] == "queued"
    assert 55 < row["due_in"] <= 60


# --- failures -----------------------------------------------------------------------------------


async def test_a_failing_handler_puts_the_job_back_with_backoff(pool: asyncpg.Pool) -> None:
    job_id = await add_job(pool, "flaky")
    worker = Worker(pool, {"flaky": failing}, backoff_base=60)

    assert await worker.drain() == 1

    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("queued", 1)
    assert row["last_error"] == "ValueError: boom"
    assert row["locked_by"] is None
    assert row["locked_until"] is None
    assert 0.75 * 60 - 5 <= row["due_in"] <= 1.25 * 60  # base for the first retry, ±25 %
    assert await worker.drain() == 0  # not yet due


async def test_a_job_that_keeps_failing_becomes_dead_after_max_attempts(
    pool: asyncpg.Pool,
) -> None:
    attempts: list[int] = []

    async def flaky(_conn: asyncpg.Connection, job: Job) -> None:
        attempts.append(job.attempts)
        raise ValueError(f"attempt {job.attempts}")

    job_id = await add_job(pool, "flaky", max_attempts=3)

    # A zero backoff makes every retry due at once, so one drain sees the whole life.
    assert await Worker(pool, {"flaky": flaky}, backoff_base=0).drain() == 3

    assert attempts == [1, 2, 3]
    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"], row["last_error"]) == (
        "dead",
        3,
        "ValueError: attempt 3",
    )
    async with pool.acquire() as conn:
        assert await counts(conn) == {"queued": 0, "running": 0, "dead": 1}


async def test_a_permanent_failure_is_dead_at_once(pool: asyncpg.Pool) -> None:
    async def refuse(_conn: asyncpg.Connection, _job: Job) -> None:
        raise PermanentFailure("the inbox answered 410 Gone")

    job_id = await add_job(pool, "deliver")

    assert await Worker(pool, {"deliver": refuse}).drain() == 1

    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("dead", 1)
    assert row["last_error"] == "PermanentFailure: the inbox answered 410 Gone"


async def test_retry_later_sets_the_next_run_to_the_given_delay(pool: asyncpg.Pool) -> None:
    async def busy(_conn: asyncpg.Connection, _job: Job) -> None:
        raise RetryLater("429 Too Many Requests", 120)

    job_id = await add_job(pool, "deliver")

    await Worker(pool, {"deliver": busy}, backoff_base=1).drain()

    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("queued", 1)
    assert 115 < row["due_in"] <= 120
    assert row["last_error"] == "RetryLater: 429 Too Many Requests"


@pytest.mark.parametrize("delay", [-5.0, float("nan")])
async def test_retry_later_with_a_delay_in_the_past_retries_at_once(
    pool: asyncpg.Pool, delay: float
) -> None:
    attempts: list[int] = []

    async def odd(_conn: asyncpg.Connection, job: Job) -> None:
        attempts.append(job.attempts)
        if job.attempts == 1:
            raise RetryLater("a remote's odd Retry-After", delay)

    await add_job(pool, "deliver")

    assert await Worker(pool, {"deliver": odd}).drain() == 2
    assert attempts == [1, 2]


async def test_retry_later_beyond_thirty_days_is_clamped(pool: asyncpg.Pool) -> None:
    async def odd(_conn: asyncpg.Connection, _job: Job) -> None:
        raise RetryLater("a remote's odd Retry-After", 1e300)

    job_id = await add_job(pool, "deliver")

    assert await Worker(pool, {"deliver": odd}).drain() == 1

    row = await job_row(pool, job_id)
    assert row is not None
    assert row["state"] == "queued"
    assert 30 * 86400 - 5 < row["due_in"] <= 30 * 86400


async def test_a_job_of_unknown_kind_is_dead(pool: asyncpg.Pool) -> None:
    job_id = await add_job(pool, "nobody-handles-this")

    assert await Worker(pool, {"echo": failing}).drain() == 1

    row = await job_row(pool, job_id)
    assert row is not None
    assert row["state"] == "dead"
    assert row["last_error"] == "PermanentFailure: no handler for job kind 'nobody-handles-this'"


async def test_dead_letters_can_be_retried_or_discarded(pool: asyncpg.Pool) -> None:
    ran: list[int] = []

    async def ok(_conn: asyncpg.Connection, job: Job) -> None:
        ran.append(job.id)

    first, second = await add_job(pool, "gone"), await add_job(pool, "gone")
    queued = await add_job(pool, "later", delay=3600)
    await Worker(pool, {}).drain()  # no handler: both die
    async with pool.acquire() as conn:
        assert await counts(conn) == {"queued": 1, "running": 0, "dead": 2}

        assert await retry_dead(conn, first) is True
        assert await retry_dead(conn, first) is False  # no longer dead
        assert await retry_dead(conn, queued) is False
        assert await discard_dead(conn, queued) is False
        assert await discard_dead(conn, second) is True
        assert await discard_dead(conn, second) is False

        row = await conn.fetchrow("SELECT state, attempts FROM jobs WHERE id = $1", first)
        assert (row["state"], row["attempts"]) == ("queued", 0)  # a fresh attempt budget
        assert await counts(conn) == {"queued": 2, "running": 0, "dead": 0}

    assert await Worker(pool, {"gone": ok}).drain() == 1
    assert ran == [first]
    assert await job_row(pool, queued) is not None


async def test_claims_at_the_same_instant_never_hand_out_a_job_twice(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        job_ids = {await enqueue(conn, "echo", {"i": i}) for i in range(120)}
    workers = [Worker(pool, {}, name=f"rival-{n}") for n in range(6)]

    # Given: a table lock that stops every claim at its start, so all of them run at once
    async with pool.acquire() as gate:
        async with gate.transaction():
            await gate.execute("LOCK TABLE jobs IN SHARE MODE")
            claims = asyncio.gather(*(worker.claim(10) for worker in workers))

            async def all_waiting() -> bool:
                waiting: int = await gate.fetchval(
                    """SELECT count(*) FROM pg_locks
                       WHERE relation = 'jobs'::regclass AND NOT granted"""
                )
                return waiting == len(workers)

            await eventually(all_waiting)
        # When: the gate opens
        batches = await asyncio.wait_for(claims, 10)

    # Then: each claimed a different ten
    claimed = [job.id for batch in batches for job in batch]
    assert [len(batch) for batch in batches] == [10] * len(workers)
    assert len(set(claimed)) == len(claimed)
    assert set(claimed) <= job_ids


# --- backoff ----------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base() -> None:
    for attempts in range(1, 12):
        nominal = 10 * 2 ** (attempts - 1)
        for _ in range(50):
            assert 0.75 * nominal <= backoff(attempts, 10, 1e9) <= 1.25 * nominal
    assert 7.5 <= backoff(0, 10, 1e9) <= 12.5  # no attempt yet counts as the first


def test_backoff_is_capped_and_never_overflows() -> None:
    for attempts in (20, 100, 5000, 10**6):
        assert 0.75 * 3600 <= backoff(attempts, 15.0, 3600.0) <= 1.25 * 3600


def test_backoff_jitter_spreads_both_ways() -> None:
    samples = [backoff(3, 100, 1e9) / 400 for _ in range(500)]
    assert min(samples) >= 0.75
    assert max(samples) <= 1.25
    assert min(samples) < 0.85
    assert max(samples) > 1.15
    assert len(set(samples)) > 400


# --- workers in other processes -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def worker_processes(
    database_url: str, count: int, *options: str
) -> AsyncIterator[list[Process]]:
    """Start `count` workers of tests/queue_worker_process.py and wait until each is ready;
    whatever happens, none outlives the block."""
    processes: list[Process] = []
    try:
        for _ in range(count):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.queue_worker_process",
                    "--database-url",
                    database_url,
                    *options,
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        async with asyncio.timeout(60):
            for process in processes:
                assert process.stdout is not None
                assert await process.stdout.readline() == b"ready\n"
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
        for process in processes:
            await process.communicate()


async def go(processes: list[Process]) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()


async def finished(process: Process, within: float = 30.0) -> tuple[int, str]:
    """Wait for a process that is to stop by itself; its exit status and stderr."""
    async with asyncio.timeout(within):
        _, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_a_job_whose_worker_was_killed_runs_again_once_the_lease_ends(
    pool: asyncpg.Pool, database_url: str
) -> None:
    # Given: a worker process with a one-second lease, stuck in a job
    await create_runs_table(pool)
    job_id = await add_job(pool, "block", {"n": 7})
    async with worker_processes(database_url, 1, "--lease", "1", "--concurrency", "1") as (
        crashing,
    ):
        await go([crashing])

        async def stuck() -> bool:
            row = await job_row(pool, job_id)
            return row is not None and row["state"] == "running" and len(await runs(pool)) == 1

        await eventually(stuck)

        # When: it is killed mid-job
        os.kill(crashing.pid, signal.SIGKILL)
        assert await crashing.wait() == -signal.SIGKILL

    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("running", 1)
    attempts: list[int] = []

    async def finish(conn: asyncpg.Connection, job: Job) -> None:
        attempts.append(job.attempts)
        await conn.execute(
            "INSERT INTO job_runs (job_id, worker) VALUES ($1, $2)", job.id, os.getpid()
        )

    survivor = Worker(pool, {"block": finish}, lease_seconds=1)

    async def lease_over() -> bool:
        row = await job_row(pool, job_id)
        return row is not None and row["lease_over"]

    await eventually(lease_over, within=5)

    # Then: another worker takes it, and it runs exactly once more
    assert await survivor.drain() == 1
    assert await survivor.drain() == 0
    assert attempts == [2]
    assert await runs(pool) == [(job_id, crashing.pid), (job_id, os.getpid())]
    assert await job_row(pool, job_id) is None


async def test_two_worker_processes_run_every_job_exactly_once(
    pool: asyncpg.Pool, database_url: str
) -> None:
    await create_runs_table(pool)
    async with pool.acquire() as conn, conn.transaction():
        job_ids = {await enqueue(conn, "record", {"i": i}) for i in range(200)}

    options = ("--concurrency", "4", "--peers", "2", "--until-empty", "--deadline", "60")
    async with worker_processes(database_url, 2, *options) as processes:
        await go(processes)

        async def empty() -> bool:
            async with pool.acquire() as conn:
                return await counts(conn) == {"queued": 0, "running": 0, "dead": 0}

        await eventually(empty, within=60)
        outcomes = [await finished(process) for process in processes]

    assert [status for status, _ in outcomes] == [0, 0], outcomes
    assert all("Traceback" not in err for _, err in outcomes), outcomes
    done = await runs(pool)
    assert len(done) == 200
    assert {job for job, _ in done} == job_ids
    assert {worker for _, worker in done} == {process.pid for process in processes}


# --- a worker in this process --------------------------------------------------------------------


class ObservedWorker(Worker):
    """A worker that counts its claims, so a test knows when it is idle and waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claims = 0

    async def claim(self, limit: int) -> list[Job]:
        jobs = await super().claim(limit)
        self.claims += 1
        return jobs


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(worker.run())
    try:
        yield task
        if task.done():
            task.result()  # show why
            raise AssertionError("the worker stopped by itself")
    finally:
        task.cancel()
        await asyncio.wait([task])


async def test_the_heartbeat_keeps_a_long_job_leased(pool: asyncpg.Pool) -> None:
    started, proceed = asyncio.Event(), asyncio.Event()
    ran: list[int] = []

    async def long_job(_conn: asyncpg.Connection, job: Job) -> None:
        started.set()
        await proceed.wait()
        ran.append(job.id)

    job_id = await add_job(pool, "long")
    worker = Worker(pool, {"long": long_job}, lease_seconds=1.5)
    rival = Worker(pool, {"long": long_job}, lease_seconds=1.5)
    async with running(worker) as task:
        await asyncio.wait_for(started.wait(), 10)
        first = await job_row(pool, job_id)
        assert first is not None

        # Two leases long, the rival finds nothing to take.
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while loop.time() < end:
            assert await rival.claim(1) == []
            await asyncio.sleep(0.1)

        row = await job_row(pool, job_id)
        assert row is not None
        assert (row["state"], row["attempts"], row["locked_by"]) == ("running", 1, worker.name)
        assert row["locked_until"] > first["locked_until"]  # renewed

        proceed.set()
        await eventually(lambda: ran == [job_id])

        async def gone() -> bool:
            return await job_row(pool, job_id) is None

        await eventually(gone)
        assert not task.done()


async def test_a_worker_whose_lease_was_taken_over_does_not_touch_the_job(
    pool: asyncpg.Pool,
) -> None:
    started, proceed = asyncio.Event(), asyncio.Event()

    async def slow(_conn: asyncpg.Connection, _job: Job) -> None:
        started.set()
        await proceed.wait()

    job_id = await add_job(pool, "slow")
    stalled = Worker(pool, {"slow": slow})
    draining = asyncio.create_task(stalled.drain())
    try:
        await asyncio.wait_for(started.wait(), 10)
        # Its lease runs out (a stalled process: no heartbeat got through) and the job is
        # claimed again, under the same worker name even, so only the attempt tells them apart.
        async with pool.acquire() as conn:
            await conn.execute("UPDATE jobs SET locked_until = now() - interval '1 second'")
        again = await Worker(pool, {}, name=stalled.name).claim(1)
        assert [job.attempts for job in again] == [2]

        proceed.set()
        assert await asyncio.wait_for(draining, 10) == 1
    finally:
        draining.cancel()
        await asyncio.wait([draining])

    row = await job_row(pool, job_id)
    assert row is not None  # the first run's finish did not delete the second claim's job
    assert (row["state"], row["attempts"]) == ("running", 2)


async def test_run_wakes_for_a_job_enqueued_while_it_waits(pool: asyncpg.Pool) -> None:
    done = asyncio.Event()

    async def echo(_conn: asyncpg.Connection, _job: Job) -> None:
        done.set()

    worker = ObservedWorker(pool, {"echo": echo}, poll_seconds=60)
    async with running(worker):
        await eventually(lambda: worker.claims >= 1)  # it found nothing and is waiting

        loop = asyncio.get_running_loop()
        started = loop.time()
        await add_job(pool, "echo")
        await asyncio.wait_for(done.wait(), 5)

        assert loop.time() - started < 2  # the notification, not the 60 s poll


async def test_run_listens_again_after_losing_its_connection(
    pool: asyncpg.Pool, database_url: str
) -> None:
    done = asyncio.Event()

    async def echo(_conn: asyncpg.Connection, _job: Job) -> None:
        done.set()

    worker = ObservedWorker(pool, {"echo": echo}, poll_seconds=60)
    async with running(worker):
        await eventually(lambda: worker.claims >= 1)
        before = worker.claims

        # When: the database drops every connection of the worker (a failover, a restart)
        async with connection(database_url) as admin:
            await admin.execute(
                """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()"""
            )
            await eventually(lambda: worker.claims > before, within=10)

            # Then: a new job still wakes it at once (enqueued on a connection of its own: the
            # pool may still hold connections whose end it has not noticed yet)
            await enqueue(admin, "echo")
            await asyncio.wait_for(done.wait(), 5)


async def test_cancelling_run_gives_running_jobs_back(pool: asyncpg.Pool) -> None:
    started = asyncio.Event()

    async def forever(_conn: asyncpg.Connection, _job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    job_id = await add_job(pool, "forever")
    task = asyncio.create_task(Worker(pool, {"forever": forever}).run())
    try:
        await asyncio.wait_for(started.wait(), 10)
        row = await job_row(pool, job_id)
        assert row is not None
        assert (row["state"], row["attempts"]) == ("running", 1)
    finally:
        task.cancel()
        await asyncio.wait([task])
    assert task.cancelled()

    row = await job_row(pool, job_id)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("queued", 0)  # the attempt is not spent
    assert row["locked_by"] is None
    assert row["locked_until"] is None
    assert row["due_in"] <= 0
