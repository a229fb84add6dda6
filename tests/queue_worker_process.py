"""A job worker in a process of its own, for the queue tests that kill a worker or run two.

    python -m tests.queue_worker_process --database-url URL [--lease 1] [--concurrency 4]
                                         [--peers 2] [--until-empty] [--deadline 60]

Handlers, each recording its run as a row `(job_id, worker pid)` in the test's `job_runs` table:
`record` sleeps a few random milliseconds first; `block` then waits forever, for a test that
kills the process mid-job. With `--peers N`, `record` holds its first jobs until N processes
have recorded one, so on a busy machine no process can empty the queue before the others wake.

The process prints `ready` once its pool is open and starts working when a line arrives on
stdin, so a test can start several together. It stops (giving running jobs back) on end of
stdin, on a `stop` line, with `--until-empty` when nothing is queued or running, and at the
deadline, so it never outlives a test that forgot it. Exit status 3 means the deadline passed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import sys

import asyncpg

from db.pool import close_pool, create_pool
from db.queue import Job, Worker, counts

EXIT_DEADLINE = 3
PEERS_WAIT = 20.0


class Recorder:
    def __init__(self, peers: int) -> None:
        self.peers = peers
        self.met = peers <= 1

    async def __call__(self, conn: asyncpg.Connection, job: Job) -> None:
        await asyncio.sleep(random.uniform(0, 0.005))
        await conn.execute(
            "INSERT INTO job_runs (job_id, worker) VALUES ($1, $2)", job.id, os.getpid()
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PEERS_WAIT):
                while not self.met:
                    workers = await conn.fetchval("SELECT count(DISTINCT worker) FROM job_runs")
                    self.met = workers >= self.peers
                    if not self.met:
                        await asyncio.sleep(0.01)


async def block(conn: asyncpg.Connection, job: Job) -> None:
    await conn.execute("INSERT INTO job_runs (job_id, worker) VALUES ($1, $2)", job.id, os.getpid())
    await asyncio.Event().wait()


async def _stdin() -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    return reader, transport


async def _told_to_stop(commands: asyncio.StreamReader) -> None:
    while (line := await commands.readline()) and line.strip() != b"stop":
        pass


async def _queue_empty(pool: asyncpg.Pool) -> None:
    while True:
        async with pool.acquire() as conn:
            now = await counts(conn)
        if now["queued"] == 0 and now["running"] == 0:
            return
        await asyncio.sleep(0.05)


async def work(args: argparse.Namespace) -> None:
    pool = await create_pool(args.database_url, max_size=args.concurrency + 4)
    try:
        worker = Worker(
            pool,
            {"record": Recorder(args.peers), "block": block},
            concurrency=args.concurrency,
            lease_seconds=args.lease,
            poll_seconds=0.2,
        )
        commands, stdin = await _stdin()
        try:
            print("ready", flush=True)
            if not await commands.readline():
                return
            endings = [asyncio.create_task(_told_to_stop(commands))]
            if args.until_empty:
                endings.append(asyncio.create_task(_queue_empty(pool)))
            running = asyncio.create_task(worker.run())
            try:
                await asyncio.wait([running, *endings], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (running, *endings):
                    task.cancel()
                await asyncio.wait([running, *endings])
            if not running.cancelled():
                running.result()  # a worker that stopped by itself failed: show why
        finally:
            stdin.close()
    finally:
        await close_pool(pool, within=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--peers", type=int, default=1)
    parser.add_argument("--until-empty", action="store_true")
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def bounded() -> int:
        try:
            async with asyncio.timeout(args.deadline):
                await work(args)
        except TimeoutError:
            return EXIT_DEADLINE
        return 0

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(bounded())
    return 130


if __name__ == "__main__":
    sys.exit(main())
