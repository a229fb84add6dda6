"""The queue under throughput: a claim serves several free slots (jobs claimed ahead wait
with their lease held), workers keep clean connections between jobs and give them back, and
jobs enqueued many at once are one statement and one notification."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from db.queue import Job, Worker, enqueue_many
from tests.test_queue import eventually


async def test_many_jobs_are_enqueued_in_one_statement_with_their_payloads(
    pool: asyncpg.Pool,
) -> None:
    # Given: a listener on the queue's channel
    heard: list[str] = []

    def hear(*args: object) -> None:
        heard.append(str(args[-1]))

    async with pool.acquire() as listener:
        await listener.add_listener("rukun_jobs", hear)
        # When: three jobs are enqueued together
        async with pool.acquire() as conn:
            ids = await enqueue_many(conn, "bulk", [{"n": 1}, {"n": 2}, {"n": 3}])
            rows = await conn.fetch("SELECT id, kind, payload FROM jobs ORDER BY id")
        await eventually(lambda: bool(heard))
        await listener.remove_listener("rukun_jobs", hear)
    # Then: three rows, one notification
    assert sorted(ids) == [row["id"] for row in rows]
    assert [(row["kind"], row["payload"]) for row in rows] == [
        ("bulk", {"n": 1}),
        ("bulk", {"n": 2}),
        ("bulk", {"n": 3}),
    ]
    assert heard == ["bulk"]
    async with pool.acquire() as conn:
        assert await enqueue_many(conn, "bulk", []) == []


async def test_two_workers_claiming_ahead_run_every_job_exactly_once(pool: asyncpg.Pool) -> None:
    # Given: 300 jobs and two workers of 2 slots each (each claim takes up to 4 at once)
    async with pool.acquire() as conn:
        await enqueue_many(conn, "count", [{"n": n} for n in range(300)])
    ran: list[int] = []

    async def handler(conn: asyncpg.Connection, job: Job) -> None:
        await conn.fetchval("SELECT 1")
        await asyncio.sleep(random.uniform(0, 0.003))
        ran.append(job.payload["n"])

    workers = [Worker(pool, {"count": handler}, concurrency=2, name=f"ahead-{n}") for n in range(2)]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        # When: they drain the queue together
        async with pool.acquire() as conn:
            await eventually(lambda: conn.fetchval("SELECT count(*) = 0 FROM jobs"))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Then: each job ran once, and every connection a worker kept went back to the pool
    assert sorted(ran) == list(range(300))
    assert pool.get_idle_size() == pool.get_size()


async def test_jobs_claimed_ahead_are_given_back_unspent_at_shutdown(pool: asyncpg.Pool) -> None:
    # Given: one slot, five jobs; the first one blocks
    async with pool.acquire() as conn:
        await enqueue_many(conn, "slow", [{"n": n} for n in range(5)])
    started = asyncio.Event()

    async def handler(conn: asyncpg.Connection, job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    worker = Worker(pool, {"slow": handler}, concurrency=1, name="ahead-shutdown")
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 10)
    async with pool.acquire() as conn:
        held = await conn.fetchval("SELECT count(*) FROM jobs WHERE locked_by = 'ahead-shutdown'")
    # When: the worker stops
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # Then: the running job and the one claimed ahead are queued again, no attempt spent
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT state, attempts, locked_by FROM jobs")
    assert held == 2
    assert [tuple(row) for row in rows] == [("queued", 0, None)] * 5


async def test_a_job_that_fails_in_a_transaction_does_not_leave_it_to_the_next(
    pool: asyncpg.Pool,
) -> None:
    # Given: a handler that fails inside a transaction, then one that checks for none
    async with pool.acquire() as conn:
        await enqueue_many(conn, "broken", [{}])
    seen: list[bool] = []

    async def broken(conn: asyncpg.Connection, job: Job) -> None:
        await conn.execute("BEGIN")
        raise RuntimeError("left a transaction open")

    async def check(conn: asyncpg.Connection, job: Job) -> None:
        seen.append(conn.is_in_transaction())

    worker = Worker(pool, {"broken": broken, "check": check}, concurrency=1)
    # When: both run on the same worker
    await worker.drain()
    async with pool.acquire() as conn:
        await enqueue_many(conn, "check", [{}])
    await worker.drain()
    # Then: the second job got a clean connection
    assert seen == [False]
