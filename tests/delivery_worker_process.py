"""A delivery worker in a process of its own, for the test that kills one mid-delivery.

    python -m tests.delivery_worker_process --database-url URL --domain rukun.test
                                            --resolve peer.test=127.0.0.1:PORT [--lease 1]

It runs the node's real `delivery.send` handler (plain HTTP allowed, names resolved through
`--resolve`), prints `ready` once its pool and client are open, and works until killed or
until the deadline passes, so it never outlives a test that forgot it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from actors.site import Site
from db.pool import create_pool
from db.queue import Worker
from federation.http_client import ClientConfig, FederationClient
from outbox.delivery import delivery_job_handlers


def _resolve(entries: list[str]) -> dict[str, tuple[str, int]]:
    resolved: dict[str, tuple[str, int]] = {}
    for entry in entries:
        name, _, address = entry.partition("=")
        host, _, port = address.rpartition(":")
        resolved[name] = (host, int(port))
    return resolved


async def work(args: argparse.Namespace) -> None:
    pool = await create_pool(args.database_url, max_size=6)
    config = ClientConfig(resolve=_resolve(args.resolve), insecure_http=True)
    try:
        async with FederationClient(config) as client:
            handlers = delivery_job_handlers(Site(args.domain), client)
            worker = Worker(
                pool, handlers, concurrency=1, lease_seconds=args.lease, poll_seconds=0.2
            )
            print("ready", flush=True)
            await worker.run()
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--resolve", action="append", default=[])
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def bounded() -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.deadline):
                await work(args)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(bounded())
    return 0


if __name__ == "__main__":
    sys.exit(main())
