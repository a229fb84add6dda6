"""Discovery under load: how fast a node answers WebFinger and actor fetches, and how much
memory it holds at rest.

Starts a real node (`rukun serve` on a free loopback port; PostgreSQL from `RUKUN_DATABASE_URL`,
else an embedded one in a temporary directory), creates a member with the command line, then
drives bounded concurrent load against

    GET /.well-known/webfinger?resource=acct:NAME@DOMAIN
    GET /users/NAME   (Accept: application/activity+json; unsigned, so the public key
                       document: the full actor needs an allowed node's signature)

and prints requests/s, p50/p99 latency and errors for each, plus the node's idle resident memory
after warm-up. Uses `wrk` when /usr/bin/wrk exists, else an asyncio + aiohttp client.

    .venv/bin/python bench/discovery.py [--duration 10] [--concurrency 50] [--max-requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from harness import (
    RUKUN,
    WRK,
    Bench,
    NodeProcess,
    Target,
    load,
    load_with_wrk,
    main_guarded,
    report,
    report_header,
    resident_kib,
    run_bench,
    warm_up,
)

ACTIVITY_JSON = "application/activity+json"


def measure(node: NodeProcess, args: argparse.Namespace, use_wrk: bool) -> None:
    node.add_member(args.name)
    targets = [
        Target(
            "webfinger",
            f"/.well-known/webfinger?resource=acct:{args.name}@{node.domain}",
            {"Accept": "application/jrd+json"},
        ),
        Target("actor key", f"/users/{args.name}", {"Accept": ACTIVITY_JSON}),
    ]
    asyncio.run(warm_up(node.url, targets, args.warmup))
    idle_kib = resident_kib(node.process.pid)
    print(f"node {node.url} (domain {node.domain}), pid {node.process.pid}")
    print(
        f"load: {args.concurrency} concurrent for {args.duration:g} s per endpoint"
        + ("" if use_wrk else f", at most {args.max_requests} requests")
        + f", client {'wrk' if use_wrk else 'aiohttp'}"
    )
    print(f"idle RSS after warm-up: {idle_kib / 1024:.1f} MiB")
    print(report_header())
    for target in targets:
        if use_wrk:
            result = load_with_wrk(
                node.url,
                target,
                seconds=args.duration,
                concurrency=args.concurrency,
                threads=os.cpu_count() or 2,
            )
        else:
            result = asyncio.run(
                load(
                    node.url,
                    target,
                    seconds=args.duration,
                    concurrency=args.concurrency,
                    cap=args.max_requests,
                )
            )
        print(report(result), flush=True)
    peak_kib = resident_kib(node.process.pid, "VmHWM")
    print(f"peak RSS (since start): {peak_kib / 1024:.1f} MiB")


def run(args: argparse.Namespace) -> int:
    use_wrk = WRK.exists() and not args.no_wrk

    def body(bench: Bench) -> None:
        measure(bench.start(), args, use_wrk)

    return run_bench(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="hard cap per endpoint (aiohttp client)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="warm-up rounds before measuring")
    parser.add_argument("--name", default="bench", help="the member looked up")
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client")
    args = parser.parse_args()
    if not RUKUN.exists():
        parser.error(f"{RUKUN} not found: run with the checkout's .venv/bin/python")
    return main_guarded(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
