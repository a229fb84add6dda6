"""`rukun serve` as a real process: first start, JSON errors, clean shutdown, restarts, two
processes racing on one new database, and the embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from actors.passwords import verify_password
from db.pool import connection
from tests.test_cli import RUKUN, clean_environment
from web.auth import SIGN_IN_PATH

JSON = {"Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def collect(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode())


@dataclass
class Node:
    process: asyncio.subprocess.Process
    port: int
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def banner(self) -> tuple[str, str] | None:
        """The first admin's name and one-time password, when this start printed them."""
        text = "".join(self.stdout)
        name = re.search(r"^  username: (\S+)$", text, re.MULTILINE)
        password = re.search(r"^  one-time password: (\S+)$", text, re.MULTILINE)
        return (name[1], password[1]) if name and password else None

    async def wait_listening(self, within: float = 90.0) -> None:
        assert self.process.stdout is not None

        async def read() -> None:
            assert self.process.stdout is not None
            while line := await self.process.stdout.readline():
                self.stdout.append(line.decode())
                if " listening on " in self.stdout[-1]:
                    return
            await self.process.wait()
            raise AssertionError(
                f"rukun serve exited with {self.process.returncode} before listening:\n"
                + "".join(self.stdout + self.stderr[-20:])
            )

        await asyncio.wait_for(read(), within)
        self.readers.append(asyncio.create_task(collect(self.process.stdout, self.stdout)))

    async def stop(self) -> int:
        """SIGTERM, then the exit code once the process and its output have ended."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 60)
        await asyncio.gather(*self.readers)
        return code


StartNode = Callable[..., Awaitable[Node]]


@pytest.fixture
async def start_node(tmp_path: Path) -> AsyncIterator[StartNode]:
    """`await start_node("--database-url", url)`; nodes still running at the end are killed."""
    started: list[Node] = []

    async def start(
        *args: str, env: dict[str, str] | None = None, wait: bool = True, port: int | None = None
    ) -> Node:
        port = port or free_port()
        process = await asyncio.create_subprocess_exec(
            RUKUN,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
            env=clean_environment(**(env or {})),
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        node = Node(process, port)
        assert process.stderr is not None
        node.readers.append(asyncio.create_task(collect(process.stderr, node.stderr)))
        started.append(node)
        if wait:
            await node.wait_listening()
        return node

    yield start
    for node in started:
        if node.process.returncode is None:
            node.process.kill()  # by this process's own handle: only what the test started
        await node.process.wait()
        for reader in node.readers:
            reader.cancel()
        await asyncio.gather(*node.readers, return_exceptions=True)


async def admin_rows(database_url: str) -> list[dict[str, object]]:
    async with connection(database_url) as conn:
        rows = await conn.fetch(
            """SELECT a.username, u.password_hash, u.password_change_required
               FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.role = 'admin'"""
        )
    return [dict(row) for row in rows]


async def test_first_start_serves_and_stops_cleanly(
    start_node: StartNode, database_url: str
) -> None:
    # Given a new node with a tiny body limit
    node = await start_node("--database-url", database_url, env={"RUKUN_MAX_BODY_BYTES": "1024"})
    # Then it prints the first admin and the password that signs them in
    assert f"Rukun localhost:{node.port} listening on {node.url}\n" in node.stdout
    assert node.banner is not None
    name, password = node.banner
    assert name == "admin"
    [admin] = await admin_rows(database_url)
    assert admin["username"] == "admin"
    assert admin["password_change_required"] is True
    assert verify_password(str(admin["password_hash"]), password)
    assert not verify_password(str(admin["password_hash"]), password + "x")

    async with aiohttp.ClientSession(node.url) as http:
        # An unknown API route is Mastodon's JSON 404
        async with http.get("/api/v1/nope") as response:
            assert response.status == 404
            assert response.content_type == "application/json"
            assert await response.json() == {"error": "Record not found"}
        # A known route with the wrong method is a JSON 405 that says what is allowed
        async with http.delete(SIGN_IN_PATH, headers=JSON) as response:
            assert response.status == 405
            assert await response.json() == {"error": "Method not allowed"}
            assert "POST" in response.headers["Allow"]
        # A body over max_body_bytes is refused before anything reads it whole
        async with http.post(SIGN_IN_PATH, data={"login": "x" * 4096}, headers=JSON) as response:
            assert response.status == 413
            assert await response.json() == {"error": "Request body is too large"}

    # When it is told to stop, it ends cleanly
    assert await node.stop() == 0
    assert not [line for line in node.stderr if '"level": "error"' in line], node.stderr


async def test_a_second_start_prints_no_banner(start_node: StartNode, database_url: str) -> None:
    first = await start_node("--database-url", database_url)
    assert first.banner is not None
    assert await first.stop() == 0
    second = await start_node("--database-url", database_url)
    assert second.banner is None
    assert "first admin" not in "".join(second.stdout)
    assert await second.stop() == 0
    assert len(await admin_rows(database_url)) == 1


async def test_two_processes_on_a_new_database_make_one_admin(
    start_node: StartNode, empty_database: str
) -> None:
    # Given two processes started together on a database with no tables at all
    nodes = [
        await start_node("--database-url", empty_database, wait=False),
        await start_node("--database-url", empty_database, wait=False),
    ]
    await asyncio.gather(*(node.wait_listening() for node in nodes))
    # Then exactly one of them created (and announced) the admin
    banners = [node.banner for node in nodes if node.banner is not None]
    assert len(banners) == 1
    [admin] = await admin_rows(empty_database)
    assert verify_password(str(admin["password_hash"]), banners[0][1])
    async with connection(empty_database) as conn:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version = 1") == 1
        instance_actors = "SELECT count(*) FROM accounts WHERE username = 'instance.actor'"
        assert await conn.fetchval(instance_actors) == 1
    assert [await node.stop() for node in nodes] == [0, 0]


async def test_embedded_database_in_the_data_dir(start_node: StartNode, tmp_path: Path) -> None:
    data_dir = tmp_path / "node-data"
    pgdata = data_dir / "postgres"
    try:
        # Given no database URL at all
        node = await start_node("--data-dir", str(data_dir))
        # Then the node runs on a PostgreSQL it started in its data directory
        assert (pgdata / "PG_VERSION").is_file()
        assert node.banner is not None
        async with (
            aiohttp.ClientSession(node.url) as http,
            http.get("/api/v1/nope") as response,
        ):
            assert response.status == 404
        assert await node.stop() == 0
        # And stopping the node stopped that server too
        assert not (pgdata / "postmaster.pid").exists()
    finally:
        stop_orphaned_postgres(pgdata)


def stop_orphaned_postgres(pgdata: Path) -> None:
    """If a failure left the embedded server running, stop the one this test started."""
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGTERM)


async def test_web_processes_share_one_port(start_node: StartNode, database_url: str) -> None:
    # Given two web processes on one database and one port
    first = await start_node("--database-url", database_url, "--role", "web")
    second = await start_node("--database-url", database_url, "--role", "web", port=first.port)
    # Then the port answers while either web process runs
    async with aiohttp.ClientSession() as session:
        for _ in range(4):
            async with session.get(f"{first.url}/api/v1/instance") as answer:
                assert answer.status == 200
    assert await first.stop() == 0
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{second.url}/api/v1/instance") as answer,
    ):
        assert answer.status == 200
    assert await second.stop() == 0
