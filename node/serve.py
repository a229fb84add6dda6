"""`rukun serve`: one process running the web server, the job workers, or both."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TextIO

from aiohttp import web

from actors.accounts import ensure_first_admin, ensure_instance_actor
from actors.signers import open_federation_client
from actors.site import Site
from db.migrate import migrate
from db.pool import close_pool, connection, create_pool
from db.queue import Worker
from federation.http_client import ClientConfig, FederationClient
from node.database import database_url
from node.housekeeping import ensure_scheduled, retention_from
from node.jobs import job_handlers
from node.settings import Settings
from node.tls import served_certificate
from outbox.delivery_policy import DeliveryPolicy
from web.app import create_app
from web.config import WebConfig

log = logging.getLogger(__name__)


def web_config(settings: Settings) -> WebConfig:
    return WebConfig(
        site=Site(settings.domain, settings.scheme),
        client=ClientConfig(
            resolve=settings.resolve,
            allow_private_addresses=settings.allow_private_addresses,
            insecure_http=bool(settings.insecure_http),
            user_agent=f"Rukun/0.1.0 (+{settings.base_url})",
            ca_bundle=str(settings.ca_bundle) if settings.ca_bundle else None,
        ),
        media_root=settings.data_dir / "media",
        max_body_bytes=settings.max_body_bytes,
        password_grant=settings.password_grant,
        federation_mode=settings.federation_mode,
        trusted_proxies=settings.trusted_proxies,
        delivery=DeliveryPolicy(give_up_after_days=settings.delivery_give_up_days),
    )


async def prepare(url: str, settings: Settings, out: TextIO) -> None:
    """Migrate, make the instance actor, and on a new node the first admin."""
    async with connection(url) as conn:
        await migrate(conn)
        await ensure_instance_actor(conn)
        created = await ensure_first_admin(conn, settings.admin_username)
    if created:
        member, password = created
        out.write(
            "\nA new node: the first admin account was created.\n"
            f"  username: {member.username}\n"
            f"  one-time password: {password}\n"
            "Sign in and choose a new password; this one is not shown again.\n\n"
        )
        out.flush()


async def serve(settings: Settings, out: TextIO = sys.stdout) -> None:
    certificate = served_certificate(settings)  # a bad certificate fails before the database
    url = database_url(settings)
    await prepare(url, settings, out)
    pool = await create_pool(url, max_size=max(10, settings.workers + 6))
    runner: web.AppRunner | None = None
    worker_task: asyncio.Task[None] | None = None
    worker_client: FederationClient | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if certificate is not None:
        loop.add_signal_handler(signal.SIGHUP, certificate.reload)
    config = web_config(settings)
    try:
        if settings.role in ("all", "web"):
            runner = web.AppRunner(create_app(config, pool), access_log=log)
            await runner.setup()
            tls = certificate.context if certificate else None
            # reuse_port: several `rukun serve --role web` processes may share one port, and the
            # kernel spreads connections between them.
            await web.TCPSite(
                runner, settings.host, settings.port, ssl_context=tls, reuse_port=True
            ).start()
            scheme = "https" if tls else "http"
            out.write(
                f"Rukun {settings.domain} listening on {scheme}://{settings.host}:{settings.port}\n"
            )
            out.flush()
        if settings.role in ("all", "worker"):
            async with pool.acquire() as conn:
                worker_client = await open_federation_client(conn, config.site, config.client)
                await ensure_scheduled(conn)
            worker = Worker(
                pool,
                job_handlers(config, worker_client, retention_from(settings)),
                concurrency=settings.workers,
                lease_seconds=settings.job_lease_seconds,
            )
            worker_task = asyncio.create_task(worker.run(), name="worker")
            log.info("worker %s started with %s slots", worker.name, settings.workers)
        await stop.wait()
    finally:
        if worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
        if worker_client is not None:
            await worker_client.close()
        if runner is not None:
            await runner.cleanup()
        await close_pool(pool)
