"""Step 3 of the federation benchmark: RSA-2048 signing alone, then deliveries queued on
a.test drained by its `--role worker` into b.test's shared inbox."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time

import asyncpg
import orjson
from federation_common import (
    ACTIVITY_JSON,
    DELIVERY_STATES,
    INBOUND_STATES,
    allow,
    create_note,
    drain,
    state_counts,
    two_nodes,
    with_conn,
)
from harness import Bench, cpu_seconds
from seeding import insert_members, scratch_database

from actors.keys import new_key_pair
from actors.site import Site
from db.migrate import migrate
from federation.signatures import sign_request
from federation.signing_keys import load_private_key
from outbox.delivery import queue_deliveries


def signing_alone(seconds: float) -> tuple[int, float]:
    key = load_private_key(asyncio.run(new_key_pair()).private_pem)
    body = orjson.dumps(create_note("https://a.test/users/x", "sign", 0))
    headers = {"Content-Type": ACTIVITY_JSON}
    count = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        sign_request(
            "POST",
            "https://b.test/inbox",
            headers,
            body,
            key_id="https://a.test/users/x#main-key",
            private_key_pem=key,
        )
        count += 1
    return count, time.perf_counter() - began


async def queue_all(url: str, site: Site, sender: int, inbox: str, *, count: int, run: str) -> None:
    async def work(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            for number in range(count):
                activity = create_note(site.actor_url("sender"), run, number)
                await queue_deliveries(conn, sender, activity, [inbox])

    await with_conn(url, work)


def delivery_runs(bench: Bench, args: argparse.Namespace) -> None:
    count, seconds = signing_alone(args.sign_seconds)
    print(
        f"\n[3] RSA-2048 sign_request alone, one core: {count} in {seconds:.1f} s = "
        f"{count / seconds:.0f}/s ({seconds * 1e6 / count:.0f} µs each)"
    )
    with scratch_database(bench) as url_a, scratch_database(bench) as url_b:
        site = Site("a.test", "http")
        sender = asyncio.run(with_conn(url_a, _seed_sender))
        a, b = two_nodes(bench, url_a, url_b, "web")
        allow(url_a, "b.test")
        allow(url_b, "a.test")
        worker = bench.spawn(
            database_url=url_a,
            args=[
                "--domain",
                "a.test",
                "--insecure-http",
                "--role",
                "worker",
                "--workers",
                str(args.workers),
                "--resolve",
                f"b.test=127.0.0.1:{b.port}",
            ],
        )
        inbox = "http://b.test/inbox"
        asyncio.run(queue_all(url_a, site, sender, inbox, count=10, run="warm"))
        asyncio.run(drain(url_a, DELIVERY_STATES, 10, args.within))
        before = {pid: cpu_seconds(pid) for pid in (worker.pid, b.pid, a.pid)}
        asyncio.run(
            queue_all(url_a, site, sender, inbox, count=args.deliveries, run=secrets.token_hex(4))
        )
        took, counts = asyncio.run(drain(url_a, DELIVERY_STATES, args.deliveries + 10, args.within))
        used = {pid: cpu_seconds(pid) - cpu for pid, cpu in before.items()}
        received = asyncio.run(state_counts(url_b, INBOUND_STATES))
        print(
            f"    sender worker pid {worker.pid} ({args.workers} slots) -> "
            f"b.test {b.url} (--role web)"
        )
        print(
            f"    {args.deliveries} deliveries drained in {took:.2f} s = "
            f"{args.deliveries / took:.0f}/s; states {dict(counts)}; b.test stored {dict(received)}"
        )
        print(
            f"    CPU: sender worker {used[worker.pid]:.1f} s "
            f"({used[worker.pid] * 1000 / args.deliveries:.2f} ms/delivery), "
            f"receiver {used[b.pid]:.1f} s, a.test web (actor fetches) {used[a.pid]:.1f} s"
        )


async def _seed_sender(conn: asyncpg.Connection) -> int:
    await migrate(conn)
    ids = await insert_members(conn, ["sender"], await new_key_pair())
    return ids["sender"][0]
