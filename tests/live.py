"""A live node for client-library tests: the real web application on a loopback port, run in a
background thread with its own event loop, so synchronous clients such as Mastodon.py can talk
to it from the test's thread."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aiohttp import web
from mastodon import Mastodon

from actors.accounts import Member, do_create_member
from actors.credentials import do_create_token
from actors.site import Site
from db.pool import close_pool, create_pool
from db.queue import Worker
from federation.http_client import FederationClient
from node.jobs import job_handlers
from web.app import create_app
from web.config import WebConfig
from web.keys import FEDERATION

T = TypeVar("T")
PASSWORD = "correct horse battery"


class LiveNode:
    def __init__(
        self,
        database_url: str,
        media_root: Path,
        domain: str | None = "rukun.test",
        scheme: str = "https",
        ssl_context: ssl.SSLContext | None = None,
        **config: Any,
    ) -> None:
        """`domain=None` names the node by its real address (`http://127.0.0.1:PORT`), for
        clients that follow the URLs it publishes (OAuth metadata) and keep its cookies.
        `ssl_context` (a server context) makes it serve HTTPS instead of plain HTTP."""
        self.database_url = database_url
        self.ssl_context = ssl_context
        # Bound before the node is configured, so its address is known up front.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # As servers bind: a node restarted on its port is not refused for old connections.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        if domain is None:
            domain, scheme = f"127.0.0.1:{self.port}", "https" if ssl_context else "http"
        self.site = Site(domain, scheme)
        self.config = WebConfig(site=self.site, media_root=media_root, **config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.pool: asyncpg.Pool | None = None
        self.runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> LiveNode:
        self.thread.start()
        self.call(self._start)
        return self

    async def _start(self) -> None:
        self.pool = await create_pool(self.database_url, max_size=10)
        self.runner = web.AppRunner(create_app(self.config, self.pool))
        await self.runner.setup()
        await web.SockSite(self.runner, self.socket, ssl_context=self.ssl_context).start()

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.pool is not None:
            await close_pool(self.pool)

    def stop(self) -> None:
        self.call(self._stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
        self.socket.close()

    # -- helpers ---------------------------------------------------------------------------
    @property
    def federation(self) -> FederationClient:
        """The signed HTTP client the running app opened."""
        assert self.runner is not None
        return self.runner.app[FEDERATION]

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the node's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout=60)  # type: ignore[arg-type]

    def with_conn(self, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async def run() -> T:
            assert self.pool is not None
            async with self.pool.acquire() as conn:
                return await action(conn)

        return self.call(run)

    def member(self, username: str, role: str = "employee", **options: Any) -> Member:
        options.setdefault("password", PASSWORD)
        return self.with_conn(lambda conn: do_create_member(conn, username, role, **options))

    def token(self, member: Member, scopes: str = "read write follow push") -> str:
        return self.with_conn(lambda conn: do_create_token(conn, member.user_id, scopes))

    def mastodon(self, token: str | None = None, **options: Any) -> Mastodon:
        """A Mastodon.py client for this node (version checks on, as apps run it)."""
        return Mastodon(api_base_url=self.base_url, access_token=token, **options)

    def drain(self) -> int:
        """Run every queued job now (media processing, deliveries)."""

        async def run() -> int:
            assert self.pool is not None
            worker = Worker(self.pool, job_handlers(self.config, self.federation), concurrency=2)
            return await worker.drain()

        return self.call(run)
