"""Steps 1 and 2 of the federation benchmark: signed `Create(Note)` POSTs accepted by a
node's shared inbox (`--role web`), then drained by a `--role worker`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import Sequence

import aiohttp
import asyncpg
import orjson
from federation_common import (
    ACTIVITY_JSON,
    INBOUND_STATES,
    REMOTE,
    WIDTH,
    Signed,
    allow,
    create_note,
    drain,
    state_counts,
    with_conn,
)
from harness import Bench, Result, cpu_seconds, percentile, report, report_header
from profiling import py_spy, start_py_spy, summarise_py_spy
from seeding import follow_all, insert_members, scratch_database

from actors.keys import KeyPair, new_key_pair
from db.migrate import migrate
from federation.signatures import sign_request
from federation.signing_keys import load_private_key


async def post_signed(base: str, batch: Sequence[Signed], concurrency: int, name: str) -> Result:
    """POST every pre-signed (headers, body) to `/inbox`, `concurrency` at a time."""
    result = Result(name)
    latencies: list[float] = []
    queue = iter(batch)

    async def client(session: aiohttp.ClientSession) -> None:
        for headers, body in queue:
            started = time.perf_counter()
            try:
                async with session.post("/inbox", headers=headers, data=body) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as error:
                status = type(error).__name__
            latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        began = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
    latencies.sort()
    result.p50, result.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return result


async def seed_inbox(url: str, keys: KeyPair) -> str:
    """The remote actor (known, fresh, with its key) and a local member following it."""

    async def work(conn: asyncpg.Connection) -> str:
        await migrate(conn)
        actor = f"http://{REMOTE}/users/remote"
        async with conn.transaction():
            remote_id = await conn.fetchval(
                """INSERT INTO accounts (username, domain, uri, url, inbox_url, shared_inbox_url,
                                        followers_url, public_key_id, public_key_pem, fetched_at)
                   VALUES ('remote', $1, $2, $2, $2 || '/inbox', $3, $2 || '/followers',
                           $2 || '#main-key', $4, now())
                   RETURNING id""",
                REMOTE,
                actor,
                f"http://{REMOTE}/inbox",
                keys.public_pem,
            )
            ids = await insert_members(conn, ["reader"], keys)
            await follow_all(conn, [ids["reader"][0]], [remote_id])
        return actor

    return await with_conn(url, work)


def sign_batch(base: str, actor: str, keys: KeyPair, count: int, run: str) -> list[Signed]:
    key = load_private_key(keys.private_pem)
    batch = []
    for number in range(count):
        body = orjson.dumps(create_note(actor, run, number))
        headers = {"Content-Type": ACTIVITY_JSON}
        headers |= sign_request(
            "POST", f"{base}/inbox", headers, body, key_id=f"{actor}#main-key", private_key_pem=key
        )
        batch.append((headers, body))
    return batch


def inbox_runs(bench: Bench, args: argparse.Namespace) -> None:
    with scratch_database(bench) as url:
        keys = asyncio.run(new_key_pair())
        actor = asyncio.run(seed_inbox(url, keys))
        node = bench.start(database_url=url, args=["--domain", "a.test", "--role", "web"])
        allow(url, REMOTE)
        warm = sign_batch(node.url, actor, keys, 50, "warm")
        began = time.perf_counter()
        batch = sign_batch(node.url, actor, keys, args.activities, secrets.token_hex(4))
        signing = time.perf_counter() - began
        print(
            f"\n[1] inbox accept: node {node.url} pid {node.pid} (--role web), remote actor {actor}"
        )
        print(f"    pre-signed {len(batch)} activities in {signing:.1f} s (not timed below)")
        asyncio.run(post_signed(node.url, warm, 8, "warm-up"))
        sampler = None
        if args.profile and py_spy() is not None:
            sampler = start_py_spy(node.pid, args.profile_seconds, node.data_dir / "spy.txt")
            time.sleep(0.5)  # let it attach
        cpu_before = cpu_seconds(node.pid)
        result = asyncio.run(
            post_signed(node.url, batch, args.concurrency, f"accept c{args.concurrency}")
        )
        node_cpu = cpu_seconds(node.pid) - cpu_before
        if sampler is not None:
            sampler.communicate()
            print(summarise_py_spy(node.data_dir / "spy.txt", args.profile_seconds))
        print(report_header(WIDTH))
        print(report(result, WIDTH))
        print(
            f"    202s/s {result.statuses['202'] / result.seconds:.0f}; node CPU "
            f"{node_cpu:.1f} s = {node_cpu * 1000 / max(result.requests, 1):.2f} ms per request"
        )
        stored = asyncio.run(state_counts(url, INBOUND_STATES))
        print(f"    stored: {dict(stored)}")

        total = sum(stored.values())
        worker = bench.spawn(
            database_url=url,
            args=["--domain", "a.test", "--role", "worker", "--workers", str(args.workers)],
        )
        seconds, counts = asyncio.run(drain(url, INBOUND_STATES, total, args.within))
        span = asyncio.run(
            with_conn(
                url,
                lambda c: c.fetchrow(
                    """SELECT extract(epoch FROM max(processed_at) - min(processed_at)) AS span,
                              count(*) AS n
                       FROM inbound_activities WHERE processed_at IS NOT NULL"""
                ),
            )
        )
        feed = asyncio.run(with_conn(url, lambda c: c.fetchval("SELECT count(*) FROM home_feed")))
        first_to_last = float(span["span"] or 0.0)
        print(
            f"\n[2] inbox processed: worker pid {worker.pid} ({args.workers} slots): {dict(counts)}"
        )
        print(
            f"    {span['n']} processed, first to last {first_to_last:.2f} s = "
            f"{span['n'] / max(first_to_last, 1e-9):.0f}/s; start to drained {seconds:.2f} s = "
            f"{total / seconds:.0f}/s; worker CPU {cpu_seconds(worker.pid):.1f} s; "
            f"home_feed rows {feed}"
        )
