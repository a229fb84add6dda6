"""What the federation benchmark's steps share: the activities they send, scratch-database
helpers, the `rukun federation allow` command, draining a queue and starting two nodes that
reach each other through `--resolve`."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from harness import RUKUN, Bench, NodeProcess, free_port

from db.pool import connect

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
ACTIVITY_JSON = "application/activity+json"
REMOTE = "r.test"
WIDTH = 22
Signed = tuple[dict[str, str], bytes]
INBOUND_STATES = "SELECT state, count(*) FROM inbound_activities GROUP BY state"
DELIVERY_STATES = "SELECT state, count(*) FROM deliveries GROUP BY state"


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
