"""Housekeeping prunes exactly what is old enough, files with their rows, in batches; a
redelivered activity whose row was pruned is still a duplicate; one run is ever scheduled."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.accounts import Member
from actors.exports import exports_directory
from actors.partners import do_allow_domain
from actors.site import Site
from content.compose import Draft
from db.pool import connection
from db.queue import Worker
from node.housekeeping import (
    HOUSEKEEPING_JOB,
    Retention,
    ensure_scheduled,
    housekeeping_job_handlers,
    run_housekeeping,
)
from outbox.posting import do_post
from tests.conftest import MakeMember
from tests.inbox_helpers import deliver, drain, offline_config, remote_actor
from tests.test_cli import clean_environment, run_rukun
from tests.test_inbox import note_create
from web.config import WebConfig

# What the seed below makes old enough to go, by the name a pass reports.
EXPECTED = {
    "deliveries": 2,
    "dead_jobs": 1,
    "inbound_activities": 3,
    "seen_activity_ids": 1,
    "oauth_tokens": 2,
    "authorization_codes": 1,
    "web_sessions": 1,
    "sign_in_attempts": 1,
    "unattached_media": 1,
    "exports": 2,
    "imports": 1,
}


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    return WebConfig(site=site, max_body_bytes=64 * 1024, client=offline_config(["remote.test"]))


@dataclass
class Seeded:
    """Markers of the seeded rows: `gone` must be pruned, `kept` must stay."""

    gone: dict[str, set[str]]
    kept: dict[str, set[str]]
    gone_files: list[Path]
    kept_files: list[Path]


def _file(root: Path, key: str) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


async def seed(conn: asyncpg.Connection, site: Site, member: Member, media_root: Path) -> Seeded:
    """Old and new rows of every kind housekeeping prunes, aged with UPDATE-style timestamps."""
    account_id, user_id = member.account.id, member.user_id
    gone: dict[str, set[str]] = {}
    kept: dict[str, set[str]] = {}

    async def delivery(marker: str, state: str, finished: str | None, created: str) -> None:
        await conn.execute(
            """INSERT INTO deliveries (activity_id, inbox_url, host, actor_id, payload, state,
                                       finished_at, created_at)
               VALUES ($1, 'https://remote.test/inbox', 'remote.test', $2, '{}', $3,
                       now() - $4::text::interval, now() - $5::text::interval)""",
            marker,
            account_id,
            state,
            finished,
            created,
        )

    await delivery("done-old", "done", "8 days", "8 days")
    await delivery("dead-old", "dead", "31 days", "40 days")
    await delivery("done-new", "done", "6 days", "6 days")
    await delivery("dead-new", "dead", "20 days", "25 days")
    await delivery("queued-old", "queued", None, "100 days")
    gone["deliveries"] = {"done-old", "dead-old"}
    kept["deliveries"] = {"done-new", "dead-new", "queued-old"}

    async def job(marker: str, state: str, age: str) -> None:
        await conn.execute(
            """INSERT INTO jobs (kind, payload, state, run_at, created_at, updated_at)
               VALUES ('test.kept', jsonb_build_object('marker', $1::text), $2,
                       now() + interval '1 day', now() - $3::text::interval,
                       now() - $3::text::interval)""",
            marker,
            state,
            age,
        )

    await job("dead-old", "dead", "31 days")
    await job("dead-new", "dead", "10 days")
    await job("queued-old", "queued", "100 days")
    gone["jobs"] = {"dead-old"}
    kept["jobs"] = {"dead-new", "queued-old"}

    async def inbound(marker: str, state: str, age: str) -> None:
        await conn.execute(
            """INSERT INTO inbound_activities (activity_id, activity_type, actor_uri, payload,
                                               state, received_at)
               VALUES ($1, 'Create', 'https://remote.test/users/mallory', '{}', $2,
                       now() - $3::text::interval)""",
            f"https://remote.test/{marker}",
            state,
            age,
        )

    await inbound("done-old", "done", "31 days")
    await inbound("ignored-old", "ignored", "31 days")
    await inbound("failed-old", "failed", "31 days")
    await inbound("queued-old", "queued", "31 days")
    await inbound("done-new", "done", "10 days")
    gone["inbound"] = {
        f"https://remote.test/{m}" for m in ("done-old", "ignored-old", "failed-old")
    }
    kept["inbound"] = {f"https://remote.test/{m}" for m in ("queued-old", "done-new")}

    await conn.execute(
        """INSERT INTO inbound_activity_ids (key_hash, received_at)
           VALUES (sha256('seen-old'), now() - interval '400 days'),
                  (sha256('seen-new'), now() - interval '100 days')"""
    )
    gone["seen"] = {"seen-old"}
    kept["seen"] = {"seen-new"}

    async def token(marker: str, revoked: str | None, expires: str | None) -> None:
        await conn.execute(
            """INSERT INTO oauth_tokens (token_hash, user_id, scopes, created_at, revoked_at,
                                         expires_at)
               VALUES (sha256(convert_to($1, 'UTF8')), $2, $1, now() - interval '400 days',
                       now() - $3::text::interval, now() - $4::text::interval)""",
            marker,
            user_id,
            revoked,
            expires,
        )

    await token("revoked-old", "31 days", None)
    await token("expired-old", None, "31 days")
    await token("revoked-new", "5 days", None)
    await token("active-old", None, None)
    await token("expiring-later", None, "-10 days")
    gone["tokens"] = {"revoked-old", "expired-old"}
    kept["tokens"] = {"revoked-new", "active-old", "expiring-later"}

    application_id = await conn.fetchval(
        """INSERT INTO oauth_applications (name, client_id, client_secret_hash)
           VALUES ('app', $1, sha256('secret')) RETURNING id""",
        secrets.token_hex(8),
    )
    for marker, expires in (("code-old", "31 days"), ("code-new", "-10 minutes")):
        await conn.execute(
            """INSERT INTO oauth_authorization_codes (code_hash, application_id, user_id,
                                                      redirect_uri, scopes, expires_at)
               VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, 'urn:ietf:wg:oauth:2.0:oob', $1,
                       now() - $4::text::interval)""",
            marker,
            application_id,
            user_id,
            expires,
        )
    gone["codes"] = {"code-old"}
    kept["codes"] = {"code-new"}

    for marker, seen in (("session-old", "31 days"), ("session-new", "1 day")):
        await conn.execute(
            """INSERT INTO web_sessions (token_hash, user_id, csrf_token, last_seen_at)
               VALUES (sha256(convert_to($1, 'UTF8')), $2, $1, now() - $3::text::interval)""",
            marker,
            user_id,
            seen,
        )
    gone["sessions"] = {"session-old"}
    kept["sessions"] = {"session-new"}

    for marker, age in (("attempt-old", "31 days"), ("attempt-new", "1 day")):
        await conn.execute(
            """INSERT INTO sign_in_attempts (ip, login, succeeded, created_at)
               VALUES ('127.0.0.1', $1, false, now() - $2::text::interval)""",
            marker,
            age,
        )
    gone["attempts"] = {"attempt-old"}
    kept["attempts"] = {"attempt-new"}

    status = await do_post(conn, site, account_id, Draft(text="with a picture"))
    gone_files: list[Path] = []
    kept_files: list[Path] = []

    async def media(marker: str, age: str, status_id: int | None) -> list[Path]:
        keys = [f"media/{marker}/original.png", f"media/{marker}/preview.png"]
        await conn.execute(
            """INSERT INTO media_attachments (account_id, status_id, type, state, file_key,
                                              preview_key, description, created_at)
               VALUES ($1, $2, 'image', 'ready', $3, $4, $5, now() - $6::text::interval)""",
            account_id,
            status_id,
            keys[0],
            keys[1],
            marker,
            age,
        )
        return [_file(media_root, key) for key in keys]

    gone_files += await media("unattached-old", "2 days", None)
    kept_files += await media("unattached-new", "1 hour", None)
    kept_files += await media("attached-old", "400 days", status.id)
    gone["media"] = {"unattached-old"}
    kept["media"] = {"unattached-new", "attached-old"}

    archives = exports_directory(media_root)

    async def export(marker: str, state: str, age: str, link_expires: str | None) -> Path:
        export_id = await conn.fetchval(
            """INSERT INTO exports (account_id, state, file_name, error, created_at)
               VALUES ($1, $2, $3, $4, now() - $5::text::interval) RETURNING id""",
            account_id,
            state,
            f"{marker}.zip",
            marker,
            age,
        )
        if link_expires is not None:
            await conn.execute(
                """INSERT INTO export_download_links (token_hash, export_id, expires_at)
                   VALUES (sha256(convert_to($1, 'UTF8')), $2, now() - $3::text::interval)""",
                marker,
                export_id,
                link_expires,
            )
        return _file(archives.parent, f"{archives.name}/{marker}.zip")

    gone_files.append(await export("export-old", "done", "8 days", "1 day"))
    gone_files.append(await export("export-failed-old", "failed", "8 days", None))
    kept_files.append(await export("export-new", "done", "1 day", None))
    kept_files.append(await export("export-linked-old", "done", "8 days", "-3 days"))
    gone["exports"] = {"export-old", "export-failed-old"}
    kept["exports"] = {"export-new", "export-linked-old"}

    for marker, state, age in (
        ("import-old", "finished", "31 days"),
        ("import-new", "finished", "10 days"),
        ("import-queued-old", "queued", "31 days"),
    ):
        await conn.execute(
            """INSERT INTO imports (account_id, type, mode, state, filename, created_at)
               VALUES ($1, 'following', 'merge', $2, $3, now() - $4::text::interval)""",
            account_id,
            state,
            marker,
            age,
        )
    gone["imports"] = {"import-old"}
    kept["imports"] = {"import-new", "import-queued-old"}
    return Seeded(gone, kept, gone_files, kept_files)


# Each kind's markers, as `seed` wrote them.
_MARKERS = {
    "deliveries": "SELECT activity_id FROM deliveries",
    "jobs": "SELECT payload->>'marker' FROM jobs WHERE kind = 'test.kept'",
    "inbound": "SELECT activity_id FROM inbound_activities",
    "seen": """SELECT m FROM unnest(ARRAY['seen-old', 'seen-new']) AS m
               WHERE EXISTS (SELECT 1 FROM inbound_activity_ids
                             WHERE key_hash = sha256(convert_to(m, 'UTF8')))""",
    "tokens": "SELECT scopes FROM oauth_tokens",
    "codes": "SELECT scopes FROM oauth_authorization_codes",
    "sessions": "SELECT csrf_token FROM web_sessions",
    "attempts": "SELECT login FROM sign_in_attempts",
    "media": "SELECT description FROM media_attachments",
    "exports": "SELECT error FROM exports",
    "imports": "SELECT filename FROM imports",
}


async def present(conn: asyncpg.Connection) -> dict[str, set[str]]:
    return {kind: {row[0] for row in await conn.fetch(sql)} for kind, sql in _MARKERS.items()}


def assert_all_there(found: dict[str, set[str]], seeded: Seeded) -> None:
    for kind in _MARKERS:
        assert seeded.gone[kind] | seeded.kept[kind] <= found[kind], kind
    assert all(path.exists() for path in seeded.gone_files + seeded.kept_files)


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


async def test_a_pass_removes_exactly_the_old_rows_and_their_files(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site, media_root: Path
) -> None:
    alice = await make_member("alice")
    seeded = await seed(conn, site, alice, media_root)

    dry = await run_housekeeping(conn, Retention(), media_root, dry_run=True)
    assert dry == EXPECTED
    assert_all_there(await present(conn), seeded)

    # Batches of two: every kind with more to remove takes several short transactions.
    removed = await run_housekeeping(conn, Retention(), media_root, batch=2)
    assert removed == EXPECTED
    found = await present(conn)
    for kind in _MARKERS:
        assert not found[kind] & seeded.gone[kind], kind
        assert seeded.kept[kind] <= found[kind], kind
    assert not any(path.exists() for path in seeded.gone_files)
    assert all(path.exists() for path in seeded.kept_files)
    # The pruned activities' ids are remembered; a second pass finds nothing more.
    assert await conn.fetchval("SELECT count(*) FROM inbound_activity_ids") == 4
    assert set((await run_housekeeping(conn, Retention(), media_root)).values()) == {0}


async def test_retention_comes_from_the_settings(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site, media_root: Path
) -> None:
    alice = await make_member("alice")
    await seed(conn, site, alice, media_root)
    patient = Retention(delivered_days=9, dead_letter_days=60, sign_in_days=60)
    removed = await run_housekeeping(conn, patient, media_root, dry_run=True)
    assert removed["deliveries"] == 0
    assert removed["dead_jobs"] == 0
    assert removed["sign_in_attempts"] == 0
    assert removed["unattached_media"] == 1


async def test_the_cli_reports_counts_and_dry_run_removes_nothing(
    database_url: str, make_member: MakeMember, site: Site, tmp_path: Path
) -> None:
    env = clean_environment(RUKUN_DATABASE_URL=database_url)
    media_root = tmp_path / "data" / "media"  # the CLI's default data_dir, under its cwd
    alice = await make_member("alice")
    async with connection(database_url) as conn:
        seeded = await seed(conn, site, alice, media_root)

    dry = await run_rukun("housekeeping", "--dry-run", env=env, cwd=tmp_path)
    assert dry.code == 0, dry.err
    would = dict(line.split(" would remove ") for line in dry.out.splitlines())
    assert {name.strip(): int(count) for name, count in would.items()} == EXPECTED
    async with connection(database_url) as conn:
        assert_all_there(await present(conn), seeded)

    run = await run_rukun("housekeeping", env=env, cwd=tmp_path)
    assert run.code == 0, run.err
    printed = dict(line.split(" removed ") for line in run.out.splitlines())
    assert {name.strip(): int(count) for name, count in printed.items()} == EXPECTED
    assert not any(path.exists() for path in seeded.gone_files)
    assert all(path.exists() for path in seeded.kept_files)


async def test_an_activity_redelivered_after_its_row_was_pruned_is_still_a_duplicate(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    alice = await make_member("alice")
    await do_allow_domain(conn, "remote.test")
    mallory = await remote_actor(conn, "https://remote.test/users/mallory")
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        alice.account.id,
        mallory.id,
    )
    create = note_create(mallory.uri)
    status, body = await deliver(client, mallory, create)
    assert status == 202, body
    await drain(pool, web_config)
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 1

    await conn.execute("UPDATE inbound_activities SET received_at = now() - interval '31 days'")
    removed = await run_housekeeping(conn, Retention(), web_config.media_root)
    assert removed["inbound_activities"] == 1
    assert await conn.fetchval("SELECT count(*) FROM inbound_activities") == 0

    # The same Create again: refused as a duplicate before any handler runs.
    status, body = await deliver(client, mallory, create)
    assert status == 202, body
    assert await drain(pool, web_config) == 0
    assert await conn.fetchval("SELECT count(*) FROM inbound_activities") == 0
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 1

    # Even once the post itself is gone from this node (no row for a handler to recognise),
    # the old activity does not bring it back.
    await conn.execute("DELETE FROM statuses")
    status, body = await deliver(client, mallory, create)
    assert status == 202, body
    await drain(pool, web_config)
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 0

    # A new activity from the same actor is processed as ever.
    status, body = await deliver(client, mallory, note_create(mallory.uri, number=2))
    assert status == 202, body
    await drain(pool, web_config)
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 1


async def test_one_run_is_scheduled_even_when_two_processes_start_at_once(
    pool: asyncpg.Pool, media_root: Path
) -> None:
    async def ensure() -> bool:
        async with pool.acquire() as conn:
            return await ensure_scheduled(conn, delay=0)

    added = await asyncio.gather(ensure(), ensure(), ensure())
    assert sorted(added) == [False, False, True]
    for _ in range(3):
        assert not any(await asyncio.gather(ensure(), ensure()))
    async with pool.acquire() as conn:
        first = await conn.fetch("SELECT id FROM jobs WHERE kind = $1", HOUSEKEEPING_JOB)
    assert len(first) == 1

    # The run schedules its successor, an interval later, and only one.
    retention = Retention(interval_minutes=90)
    worker = Worker(pool, housekeeping_job_handlers(retention, media_root), concurrency=1)
    assert await worker.drain() == 1
    async with pool.acquire() as conn:
        after = await conn.fetch(
            """SELECT id, state, run_at - now() AS wait FROM jobs WHERE kind = $1""",
            HOUSEKEEPING_JOB,
        )
        assert not await ensure_scheduled(conn, delay=0)
    assert len(after) == 1
    assert after[0]["id"] != first[0]["id"]
    assert after[0]["state"] == "queued"
    assert 89 * 60 < after[0]["wait"].total_seconds() <= 90 * 60
