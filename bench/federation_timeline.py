"""Step 4 of the federation benchmark: a post on a.test timed until it is in the home
timeline of a follower on b.test (two `--role all` nodes)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time

import aiohttp
import asyncpg
from federation_common import allow, two_nodes, with_conn
from harness import Bench, NodeProcess, percentile
from seeding import SCOPES, insert_members, scratch_database

from actors.credentials import do_create_token
from actors.keys import new_key_pair
from actors.oauth import do_create_application
from db.migrate import migrate


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
