"""Migrations on an empty database: applied once, recorded, safe to repeat and to race."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from pathlib import Path

import asyncpg

from db.migrate import _LOCK_KEY, available, migrate
from db.pool import connection

RUKUN = Path(sys.executable).parent / "rukun"


async def _recorded(conn: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    return [(row["version"], row["name"]) for row in rows]


def _expected() -> list[tuple[int, str]]:
    return [(m.version, m.name) for m in available()]


async def test_migrate_applies_the_foundation_and_records_it(empty_database: str) -> None:
    async with connection(empty_database) as conn:
        applied = await migrate(conn)

        assert [(m.version, m.name) for m in applied] == _expected()
        assert applied[0].version == 1
        assert applied[0].name == "foundation"
        assert (1, "foundation") in await _recorded(conn)
        assert await _recorded(conn) == _expected()
        for table in ("accounts", "users", "jobs", "oauth_tokens"):
            assert await conn.fetchval("SELECT to_regclass($1)::text", table) == table


async def test_migrating_again_applies_nothing_and_keeps_the_data(empty_database: str) -> None:
    async with connection(empty_database) as conn:
        await migrate(conn)
        job_id = await conn.fetchval(
            "INSERT INTO jobs (kind, payload) VALUES ('kept', $1) RETURNING id", {"n": 1}
        )
        before = await conn.fetch("SELECT version, applied_at FROM schema_migrations")

        assert await migrate(conn) == []

        assert await conn.fetch("SELECT version, applied_at FROM schema_migrations") == before
        row = await conn.fetchrow("SELECT kind, payload FROM jobs WHERE id = $1", job_id)
        assert (row["kind"], row["payload"]) == ("kept", {"n": 1})


async def test_two_concurrent_migrations_apply_once(empty_database: str) -> None:
    async with connection(empty_database) as first, connection(empty_database) as second:
        results = await asyncio.gather(migrate(first), migrate(second))

        assert sorted(len(applied) for applied in results) == [0, len(_expected())]
        assert await _recorded(first) == _expected()


async def _advisory_waiters(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM pg_locks
           WHERE locktype = 'advisory' AND NOT granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
    )
    return count


async def test_two_rukun_migrate_processes_started_together_apply_once(
    empty_database: str, tmp_path: Path
) -> None:
    # Given: the migration lock is held, so both processes are sure to meet at it
    async with connection(empty_database) as holder:
        await holder.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        processes = []
        try:
            for _ in range(2):
                processes.append(
                    await asyncio.create_subprocess_exec(
                        str(RUKUN),
                        "migrate",
                        "--database-url",
                        empty_database,
                        cwd=tmp_path,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )
            async with asyncio.timeout(30):
                while True:
                    if await _advisory_waiters(holder) == 2:
                        break
                    await asyncio.sleep(0.02)

            # When: the lock is let go
            await holder.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
            async with asyncio.timeout(60):
                outputs = [await process.communicate() for process in processes]
        finally:
            for process in processes:
                if process.returncode is None:
                    process.kill()
                    await process.wait()

        # Then: both succeed, one applied everything and the other found nothing to do
        assert [process.returncode for process in processes] == [0, 0], outputs
        stdouts = sorted(out.decode() for out, _ in outputs)
        applied = "".join(f"applied {version:04d}_{name}\n" for version, name in _expected())
        assert stdouts == sorted([applied, "database is up to date\n"])
        assert await _recorded(holder) == _expected()


async def test_ids_increase_and_carry_their_creation_time(empty_database: str) -> None:
    async with connection(empty_database) as first, connection(empty_database) as second:
        await migrate(first)
        rows = await first.fetch(
            """SELECT rukun_next_id() AS id,
                      floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms
               FROM generate_series(1, 20000)"""
        )
        later = await second.fetchval("SELECT rukun_next_id()")
        now_ms = time.time() * 1000

    ids = [row["id"] for row in rows]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert ids[-1] < later
    # Time-sortable: the high 48 bits are the creation time in milliseconds.
    for row in rows:
        assert 0 <= row["ms"] - (row["id"] >> 16) < 1000
    assert abs((later >> 16) - now_ms) < 1000
    assert len({row["ms"] for row in rows}) > 1, "the ids should span several milliseconds"
