"""Federation under load: the inbox, the inbox worker, signed deliveries and post-to-timeline.

Four measurements, each on `rukun serve` subprocesses on free loopback ports with scratch
databases (see `seeding.scratch_database`):

1. inbox accepted/s — signed `Create(Note)` POSTs to a node's shared inbox `/inbox` from a
   remote actor it already knows (its account row, with its public key, is seeded in the
   receiving node's database and its domain allowed as a partner). A bounded batch of
   distinct activities is signed BEFORE timing, so signing costs the receiver nothing. The
   node runs `--role web`, so nothing is processed while it accepts.
2. inbox processed/s — then a `rukun serve --role worker` drains those stored activities
   (a local member follows the remote actor, so each Create fans out to a home feed).
3. signed deliveries/s — N distinct Create activities queued on a sending node
   (`outbox.delivery.queue_deliveries`, one shared inbox on the receiving node) and drained
   by the sender's `--role worker`; beside it, RSA-2048 `sign_request` alone per core.
4. post-to-timeline — two full nodes a.test and b.test (`--insecure-http --resolve …`,
   partners through `rukun federation allow`), a member of b.test follows one of a.test
   through the client API; each `POST /api/v1/statuses` on a.test is timed until the status
   is in the follower's `GET /api/v1/timelines/home` on b.test.

    .venv/bin/python bench/federation_bench.py [--activities 5000] [--concurrency 32]
        [--deliveries 2000] [--posts 50] [--workers 8] [--sign-seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import orjson
from harness import (
    RUKUN,
    Bench,
    NodeProcess,
    Result,
    cpu_seconds,
    free_port,
    main_guarded,
    percentile,
    report,
    report_header,
    run_bench,
)
from profiling import py_spy, start_py_spy, summarise_py_spy
from seeding import SCOPES, follow_all, insert_members, scratch_database

from actors.credentials import do_create_token
from actors.keys import KeyPair, new_key_pair
from actors.oauth import do_create_application
from actors.site import Site
from db.migrate import migrate
from db.pool import connect
from federation.signatures import sign_request
from federation.signing_keys import load_private_key
from outbox.delivery import queue_deliveries

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
ACTIVITY_JSON = "application/activity+json"
REMOTE = "r.test"
WIDTH = 22
Signed = tuple[dict[str, str], bytes]


# -- shared pieces -----------------------------------------------------------------------------


def create_note(actor: str, run: str, number: int) -> dict[str, object]:
    """A public Create(Note) like Mastodon's, with ids on the actor's host."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    note_id = f"{actor}/statuses/{run}-{number}"
    audience = {"to": [PUBLIC], "cc": [f"{actor}/followers"]}
    return {
        "@context": AS_CONTEXT,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor,
        "published": now,
        **audience,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "content": f"<p>Benchmark note {number} of run {run}: nothing to see here.</p>",
            "published": now,
            "url": note_id,
            **audience,
        },
    }


async def with_conn(url: str, work: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    conn = await connect(url)
    try:
        return await work(conn)
    finally:
        await conn.close()


async def state_counts(url: str, query: str) -> Counter[str]:
    conn = await asyncpg.connect(url)
    try:
        return Counter({row[0]: row[1] for row in await conn.fetch(query)})
    finally:
        await conn.close()


def allow(database_url: str, domain: str) -> None:
    """`rukun federation allow DOMAIN` on a node's database (its own command, as an admin)."""
    subprocess.run(
        [RUKUN, "federation", "allow", "--database-url", database_url, domain],
        check=True,
        capture_output=True,
    )


async def drain(url: str, query: str, total: int, within: float) -> tuple[float, Counter[str]]:
    """Poll `query` (state, count) every 20 ms until no row is `queued`; seconds taken."""
    began = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        while True:
            counts = Counter({row[0]: row[1] for row in await conn.fetch(query)})
            if counts.get("queued", 0) == 0 and sum(counts.values()) >= total:
                return time.perf_counter() - began, counts
            if time.perf_counter() - began > within:
                raise RuntimeError(f"not drained within {within:.0f} s: {dict(counts)}")
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


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


# -- 1 and 2: the inbox ------------------------------------------------------------------------


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


INBOUND_STATES = "SELECT state, count(*) FROM inbound_activities GROUP BY state"


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


# -- 3: signed deliveries ----------------------------------------------------------------------


DELIVERY_STATES = "SELECT state, count(*) FROM deliveries GROUP BY state"


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


def two_nodes(
    bench: Bench, url_a: str, url_b: str, role: str, extra: Sequence[str] = ()
) -> tuple[NodeProcess, NodeProcess]:
    port_a, port_b = free_port(), free_port()
    common = ["--insecure-http", "--role", role, *extra]
    a = bench.spawn(
        port=port_a,
        database_url=url_a,
        args=["--domain", "a.test", "--resolve", f"b.test=127.0.0.1:{port_b}", *common],
    )
    b = bench.spawn(
        port=port_b,
        database_url=url_b,
        args=["--domain", "b.test", "--resolve", f"a.test=127.0.0.1:{port_a}", *common],
    )
    a.wait_listening()
    b.wait_listening()
    return a, b


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


# -- 4: post to timeline -----------------------------------------------------------------------


async def member_token(conn: asyncpg.Connection, name: str) -> str:
    await migrate(conn)
    ids = await insert_members(conn, [name], await new_key_pair())
    app, _ = await do_create_application(
        conn, "Bench client", ["urn:ietf:wg:oauth:2.0:oob"], SCOPES, None
    )
    return await do_create_token(conn, ids[name][1], SCOPES, app.id)


async def follow_over_api(a: NodeProcess, b: NodeProcess, token_b: str, within: float) -> None:
    auth = {"Authorization": f"Bearer {token_b}"}
    async with aiohttp.ClientSession(b.url, headers=auth) as session:
        params = {"q": "@alice@a.test", "resolve": "true", "type": "accounts"}
        async with session.get("/api/v2/search", params=params) as response:
            found = await response.json()
            if response.status != 200 or not found.get("accounts"):
                raise RuntimeError(f"search for alice@a.test: {response.status} {found}")
        alice = found["accounts"][0]["id"]
        async with session.post(f"/api/v1/accounts/{alice}/follow") as response:
            if response.status != 200:
                raise RuntimeError(f"follow: {response.status} {await response.text()}")
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            async with session.get(
                "/api/v1/accounts/relationships", params={"id[]": alice}
            ) as response:
                if (await response.json())[0].get("following"):
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError("bob's follow of alice@a.test was not accepted in time")


async def post_to_timeline(
    a: NodeProcess, b: NodeProcess, tokens: tuple[str, str], posts: int, within: float
) -> tuple[list[float], int]:
    token_a, token_b = tokens
    latencies: list[float] = []
    missed = 0
    async with (
        aiohttp.ClientSession(a.url, headers={"Authorization": f"Bearer {token_a}"}) as poster,
        aiohttp.ClientSession(b.url, headers={"Authorization": f"Bearer {token_b}"}) as reader,
    ):
        for number in range(posts):
            marker = f"latency-{number}-{secrets.token_hex(3)}"
            began = time.perf_counter()
            async with poster.post("/api/v1/statuses", json={"status": marker}) as response:
                if response.status != 200:
                    raise RuntimeError(f"post: {response.status} {await response.text()}")
            seen = False
            while time.perf_counter() - began < within:
                async with reader.get("/api/v1/timelines/home", params={"limit": "3"}) as response:
                    body = await response.read()
                if marker.encode() in body:
                    seen = True
                    break
                await asyncio.sleep(0.003)
            if seen:
                latencies.append(time.perf_counter() - began)
            else:
                missed += 1
    return latencies, missed


def timeline_runs(bench: Bench, args: argparse.Namespace) -> None:
    with scratch_database(bench) as url_a, scratch_database(bench) as url_b:
        token_a = asyncio.run(with_conn(url_a, lambda c: member_token(c, "alice")))
        token_b = asyncio.run(with_conn(url_b, lambda c: member_token(c, "bob")))
        a, b = two_nodes(bench, url_a, url_b, "all", ["--workers", str(args.workers)])
        allow(url_a, "b.test")
        allow(url_b, "a.test")
        asyncio.run(follow_over_api(a, b, token_b, args.within))
        latencies, missed = asyncio.run(
            post_to_timeline(a, b, (token_a, token_b), args.posts, args.within)
        )
        latencies.sort()
        print(
            f"\n[4] post-to-timeline a.test {a.url} -> b.test {b.url} (both --role all): "
            f"{len(latencies)} of {args.posts} seen, {missed} missed; "
            f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
            f"max {max(latencies, default=float('nan')) * 1000:.1f} ms"
        )


def run(args: argparse.Namespace) -> int:
    def body(bench: Bench) -> None:
        load = " ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load}")
        steps = {"inbox": inbox_runs, "deliveries": delivery_runs, "timeline": timeline_runs}
        for name in args.only or steps:
            steps[name](bench, args)

    return run_bench(
        body,
        failures=(RuntimeError, OSError, asyncpg.PostgresError, subprocess.CalledProcessError),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=5000, help="signed inbox POSTs")
    parser.add_argument("--concurrency", type=int, default=32, help="inbox POSTs in flight")
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries queued")
    parser.add_argument("--posts", type=int, default=50, help="posts timed to the timeline")
    parser.add_argument("--workers", type=int, default=8, help="job slots per worker process")
    parser.add_argument("--sign-seconds", type=float, default=3.0, help="signing loop length")
    parser.add_argument("--within", type=float, default=300.0, help="cap on any one drain")
    parser.add_argument("--profile", action="store_true", help="py-spy the accepting node")
    parser.add_argument("--profile-seconds", type=float, default=5.0, help="py-spy duration")
    parser.add_argument(
        "--only", nargs="+", choices=("inbox", "deliveries", "timeline"), help="some steps"
    )
    args = parser.parse_args()
    if not RUKUN.exists():
        parser.error(f"{RUKUN} not found: run with the checkout's .venv/bin/python")
    if not os.environ.get("RUKUN_DATABASE_URL"):
        parser.error("set RUKUN_DATABASE_URL to a PostgreSQL server (scratch databases on it)")
    return main_guarded(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
