"""Shared fixtures: a real PostgreSQL for every test.

The server is `RUKUN_TEST_DATABASE_URL` when set, else an embedded one started for this run.
A template database is migrated once per run; each test gets a fresh copy of it
(`CREATE DATABASE … TEMPLATE`), dropped afterwards."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from actors.accounts import Member, do_create_member
from actors.site import Site
from db import embedded
from db.migrate import migrate
from db.pool import connection, create_pool
from tests.federation_network import Network
from tests.live import LiveNode
from web.app import create_app
from web.config import WebConfig

TEST_DOMAIN = "rukun.test"
T = TypeVar("T")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("RUKUN_TEST_DATABASE_URL")
    if url:
        return url
    return embedded.start(tmp_path_factory.mktemp("embedded-pg"))


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, also from a thread whose event loop is already running (Playwright's
    synchronous API keeps one running in the test's thread): then on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _admin(server_url: str, *statements: str) -> None:
    async with connection(server_url) as conn:
        for statement in statements:
            await conn.execute(statement)


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    name = f"rukun_template_{uuid.uuid4().hex[:12]}"

    async def build() -> None:
        await _admin(server_url, f'CREATE DATABASE "{name}"')
        async with connection(with_database(server_url, name)) as conn:
            # No instance actor here: each node makes its own key pair when it starts, so nodes
            # of a test network never share one.
            await migrate(conn)

    run_sync(build())
    yield name
    run_sync(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_database(server_url: str, template_database: str) -> Callable[[], str]:
    """Make more fresh databases in one test (one per node in multi-node tests)."""
    made: list[str] = []

    def make() -> str:
        name = f"rukun_test_{uuid.uuid4().hex[:12]}"
        run_sync(_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        made.append(name)
        return with_database(server_url, name)

    yield make  # type: ignore[misc]
    for name in made:
        run_sync(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(fresh_database: Callable[[], str]) -> str:
    return fresh_database()


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    name = f"rukun_empty_{uuid.uuid4().hex[:12]}"
    run_sync(_admin(server_url, f'CREATE DATABASE "{name}"'))
    yield with_database(server_url, name)
    run_sync(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=8)
    yield pool
    await pool.close()


@pytest.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as conn:
        yield conn


@pytest.fixture
def site() -> Site:
    return Site(TEST_DOMAIN, "https")


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    return WebConfig(site=site, max_body_bytes=64 * 1024)


@pytest.fixture
async def client(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    """The node's web application on a real loopback socket."""
    app = create_app(web_config, pool)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


MakeMember = Callable[..., Awaitable[Member]]


@pytest.fixture
def make_member(pool: asyncpg.Pool) -> MakeMember:
    """`await make_member("alice", role="employee", password="…")`."""

    async def make(username: str, role: str = "employee", **options: object) -> Member:
        options.setdefault("password", "correct horse battery")
        async with pool.acquire() as conn:
            return await do_create_member(conn, username, role, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def live_node(database_url: str, tmp_path: Path) -> Iterator[LiveNode]:
    """A running node for synchronous clients (Mastodon.py); see tests/live.py."""
    node = LiveNode(database_url, tmp_path / "media").start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def network(fresh_database: Callable[[], str], tmp_path: Path) -> Iterator[Network]:
    """Three live nodes, `a.test`, `b.test` and `c.test`, federating over loopback."""
    started = Network(fresh_database, tmp_path, ("a.test", "b.test", "c.test")).start()
    try:
        yield started
    finally:
        started.stop()
