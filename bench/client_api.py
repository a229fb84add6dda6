"""The Mastodon client API under load: the home timeline and posting.

Seeds a scratch database (see `seeding.py`: ~1,200 members by SQL, statuses through the real
posting command), starts a real node (`rukun serve` on a free loopback port) on it and measures

    GET  /api/v1/timelines/home   20 statuses from a feed of 1,000, authenticated, at each
                                  --concurrency (16 and 64) for --duration seconds
    POST /api/v1/statuses         one at a time (--posts), by an author with 1,000 followers

then the timeline again with a second `rukun serve` process (on the same port if the node can
share it, else on its own port with the load split between the two), and with --profile where
the timeline's time goes (py-spy on the node, cProfile and the query log in-process).

The database is a new one made on the server of `RUKUN_DATABASE_URL` and dropped afterwards,
else an embedded PostgreSQL in a temporary directory.

    .venv/bin/python bench/client_api.py [--duration 10] [--concurrency 16 64] [--posts 200]
                                         [--no-wrk] [--no-second-process] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import asyncpg
import orjson
from harness import (
    RUKUN,
    WRK,
    Bench,
    NodeProcess,
    Result,
    Target,
    cpu_seconds,
    load,
    main_guarded,
    parse_wrk,
    report,
    report_header,
    resident_kib,
    run_bench,
    warm_up,
    wrk_command,
)
from profiling import profile_in_process, py_spy, start_py_spy, summarise_py_spy
from seeding import Seeded, Sizes, scratch_database, seed

from actors.site import Site

DOMAIN = "bench.localhost"
WIDTH = 16


@dataclass
class CpuMeter:
    """CPU seconds spent by the nodes, their PostgreSQL backends and the load client."""

    node_pids: Sequence[int]
    url: str
    use_wrk: bool

    def snapshot(self) -> tuple[float, dict[int, float], float]:
        nodes = sum(cpu_seconds(pid) for pid in self.node_pids)
        backends = {pid: cpu_seconds(pid) for pid in asyncio.run(backend_pids(self.url))}
        who = resource.RUSAGE_CHILDREN if self.use_wrk else resource.RUSAGE_SELF
        usage = resource.getrusage(who)
        return nodes, backends, usage.ru_utime + usage.ru_stime

    def line(
        self, before: tuple[float, dict[int, float], float], seconds: float, requests: int
    ) -> str:
        after = self.snapshot()
        nodes = after[0] - before[0]
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        client = after[2] - before[2]
        cores = os.cpu_count() or 1
        each = 1000 / max(requests, 1)
        return (
            f"{'':<{WIDTH}} cpu: node {nodes:.1f} s, postgres {database:.1f} s, "
            f"client {client:.1f} s of {seconds * cores:.1f} core-seconds; per request "
            f"node {nodes * each:.2f} ms, postgres {database * each:.2f} ms"
        )


async def backend_pids(url: str) -> list[int]:
    """The server processes serving the bench's database (the nodes' pooled connections)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


def run_load(
    urls: Sequence[str], target: Target, args: argparse.Namespace, concurrency: int, name: str
) -> Result:
    """The aiohttp client over every URL, or one wrk per URL (their p50 averaged, p99 the
    worst, which is close enough for two equal halves)."""
    if not args.use_wrk:
        return asyncio.run(
            load(
                urls,
                Target(name, target.path, target.headers),
                seconds=args.duration,
                concurrency=concurrency,
                cap=args.max_requests,
            )
        )
    share = max(1, concurrency // len(urls))
    commands = [
        wrk_command(url, target, seconds=args.duration, concurrency=share, threads=1)
        for url in urls
    ]
    runs = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in commands]
    try:
        parts = [parse_wrk(name, run.communicate()[0]) for run in runs]
    finally:
        for run in runs:  # interrupted: stop the clients too, by their PIDs
            if run.poll() is None:
                run.kill()
                run.wait()
    combined = Result(name, seconds=max(p.seconds for p in parts))
    for part in parts:
        combined.statuses.update(part.statuses)
    combined.p50 = sum(p.p50 for p in parts) / len(parts)
    combined.p99 = max(p.p99 for p in parts)
    return combined


def check_timeline(url: str, target: Target, expected: int) -> None:
    """One request first: a broken endpoint should fail loudly, not as thousands of errors."""

    async def fetch() -> tuple[int, bytes, str]:
        async with (
            aiohttp.ClientSession(url) as session,
            session.get(target.path, headers=target.headers) as response,
        ):
            return response.status, await response.read(), response.headers.get("Link", "")

    status, body, link = asyncio.run(fetch())
    if status != 200:
        raise RuntimeError(f"{target.path} answered {status}: {body[:300]!r}")
    statuses = orjson.loads(body)
    if len(statuses) != expected or 'rel="next"' not in link:
        raise RuntimeError(
            f"{target.path} gave {len(statuses)} statuses (expected {expected}), Link {link!r}"
        )


def timeline_runs(
    urls: Sequence[str],
    target: Target,
    args: argparse.Namespace,
    meter: CpuMeter,
    label: str,
) -> list[Result]:
    results = []
    for concurrency in args.concurrency:
        before = meter.snapshot()
        began = time.perf_counter()
        result = run_load(urls, target, args, concurrency, f"{label} c{concurrency}")
        print(report(result, WIDTH), flush=True)
        print(meter.line(before, time.perf_counter() - began, result.requests), flush=True)
        results.append(result)
    return results


def post_target(token: str, name: str = "post") -> Target:
    return Target(
        name,
        "/api/v1/statuses",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
        body=orjson.dumps({"status": "Posting to everyone who follows me, #bench"}),
    )


def posting(node: NodeProcess, seeded: Seeded, args: argparse.Namespace) -> Result:
    target = post_target(seeded.poster.token, f"post ({args.followers} fol.)")
    return asyncio.run(
        load(node.url, target, seconds=args.post_seconds, concurrency=1, cap=args.posts)
    )


def second_process(bench: Bench, first: NodeProcess, url: str) -> tuple[NodeProcess, bool]:
    """Another `rukun serve --role web` on the first's port; when the port cannot be shared
    (no SO_REUSEPORT), on a port of its own. Returns it and whether it shares the port."""
    role = ["--domain", DOMAIN, "--role", "web"]
    sharing = bench.spawn(port=first.port, database_url=url, args=role)
    try:
        sharing.wait_listening(within=60)
        return sharing, True
    except RuntimeError as error:
        code = bench.stop(sharing)
        print(f"a second process on port {first.port} could not listen ({error}, exit {code}):")
        print(f"  {tail_matching(bench, 'address already in use') or 'see the node log'}")
    return bench.start(database_url=url, args=role), False


def tail_matching(bench: Bench, needle: str) -> str:
    bench.log.flush()
    lines = bench.log_path.read_text(errors="replace").splitlines()
    return next((line.strip() for line in reversed(lines) if needle in line.lower()), "")


def measure(bench: Bench, args: argparse.Namespace) -> None:
    sizes = Sizes(authors=args.authors, per_author=args.per_author, followers=args.followers)
    with scratch_database(bench) as url:
        load_average = " ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load_average} before seeding")
        seeded = asyncio.run(seed(url, Site(DOMAIN, "http"), sizes))
        print(
            f"seeded {seeded.members} members, {sizes.authors * sizes.per_author} statuses, "
            f"reader's home feed {seeded.home_rows} rows, in {seeded.seconds:.1f} s"
        )
        node = bench.start(database_url=url, args=["--domain", DOMAIN])
        home = Target(
            "home",
            "/api/v1/timelines/home",
            {"Authorization": f"Bearer {seeded.reader.token}"},
        )
        check_timeline(node.url, home, 20)
        asyncio.run(warm_up(node.url, [home], args.warmup))
        print(f"node {node.url} (domain {node.domain}), pid {node.pid}")
        print(
            f"load: {'wrk' if args.use_wrk else 'aiohttp'} client, {args.duration:g} s per run"
            + ("" if args.use_wrk else f", at most {args.max_requests} requests")
        )
        print(f"idle RSS after warm-up: {resident_kib(node.pid) / 1024:.1f} MiB")
        print(report_header(WIDTH))
        meter = CpuMeter([node.pid], url, args.use_wrk)
        timeline_runs([node.url], home, args, meter, "home")
        print(report(posting(node, seeded, args), WIDTH), flush=True)
        print(f"peak RSS (since start): {resident_kib(node.pid, 'VmHWM') / 1024:.1f} MiB")
        if args.second_process:
            other, shared = second_process(bench, node, url)
            urls = [node.url] if shared else [node.url, other.url]
            print(
                f"two processes: pids {node.pid} and {other.pid}, "
                + ("sharing one port" if shared else "on two ports, the load split evenly")
            )
            asyncio.run(warm_up(urls, [home], args.warmup))
            meter = CpuMeter([node.pid, other.pid], url, args.use_wrk)
            timeline_runs(urls, home, args, meter, "home 2proc")
            bench.stop(other)
        if args.profile:
            profile(node, url, home, seeded.poster.token, args)


def profile(
    node: NodeProcess, url: str, home: Target, poster_token: str, args: argparse.Namespace
) -> None:
    concurrency = args.concurrency[0]
    if py_spy() is None:
        print("py-spy is not installed (.venv/bin/pip install py-spy): sampling skipped")
    else:
        output = node.data_dir / "py-spy.txt"
        sampler = start_py_spy(node.pid, args.duration, output)
        try:
            time.sleep(0.5)  # let it attach before the load starts
            sampled = run_load([node.url], home, args, concurrency, f"sampled c{concurrency}")
            _, errors = sampler.communicate()
        finally:
            if sampler.poll() is None:
                sampler.kill()
                sampler.wait()
        if sampler.returncode != 0 or not output.exists():
            print(f"py-spy failed: {errors.decode(errors='replace').strip()[-500:]}")
        else:
            print(report(sampled, WIDTH))
            print(summarise_py_spy(output, args.duration))
    site = Site(DOMAIN, "http")
    print(asyncio.run(profile_in_process(url, site, home, requests=args.profile_requests)))
    post = post_target(poster_token)
    print(asyncio.run(profile_in_process(url, site, post, requests=args.posts // 2, warmup=10)))


def run(args: argparse.Namespace) -> int:
    def body(bench: Bench) -> None:
        measure(bench, args)

    return run_bench(body, failures=(RuntimeError, OSError, asyncpg.PostgresError))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timeline run")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[16, 64], help="requests in flight"
    )
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="cap per run (aiohttp client)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="timeline requests first")
    parser.add_argument("--posts", type=int, default=200, help="statuses posted, one at a time")
    parser.add_argument("--post-seconds", type=float, default=120.0, help="time cap for posting")
    parser.add_argument("--authors", type=int, default=200, help="accounts the reader follows")
    parser.add_argument("--per-author", type=int, default=5, help="statuses by each author")
    parser.add_argument("--followers", type=int, default=1000, help="the poster's followers")
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client")
    parser.add_argument(
        "--no-second-process", dest="second_process", action="store_false", help="skip it"
    )
    parser.add_argument("--profile", action="store_true", help="profile the timeline")
    parser.add_argument(
        "--profile-requests", type=int, default=500, help="in-process profiled requests"
    )
    args = parser.parse_args()
    args.use_wrk = WRK.exists() and not args.no_wrk
    if not RUKUN.exists():
        parser.error(f"{RUKUN} not found: run with the checkout's .venv/bin/python")
    return main_guarded(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
