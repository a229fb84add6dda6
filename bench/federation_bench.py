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
import os
import subprocess
import sys

import asyncpg
from federation_deliveries import delivery_runs
from federation_inbox import inbox_runs
from federation_timeline import timeline_runs
from harness import RUKUN, Bench, main_guarded, run_bench


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
