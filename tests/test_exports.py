"""A member's archive, end to end on a real database: started through the API, built by the
queue's worker, downloaded by its owner (token, session or a time-limited link), and checked
from the zip alone with `rukun export verify` after the node is stopped."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from actors.accounts import Member
from actors.credentials import digest, do_create_token, do_open_session
from actors.domain_blocks import block_domain
from actors.exports import create_download_link
from actors.node_policy import do_set_policy
from content.bookmarks import do_bookmark
from content.favourites import add_favourite
from content.media import new_key
from db.queue import Worker
from outbox.archive_export import export_job_handlers
from tests.conftest import MakeMember
from web.app import create_app
from web.config import WebConfig

ROOT = Path(__file__).resolve().parents[1]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
EXPECTED_FILES = {
    "actor.json",
    "outbox.json",
    "likes.json",
    "bookmarks.json",
    "avatar.png",
    "following_accounts.csv",
    "followers.csv",
    "lists.csv",
    "blocked_accounts.csv",
    "muted_accounts.csv",
    "blocked_domains.csv",
}


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


@pytest.fixture
def config(web_config: WebConfig, media_root: Path) -> WebConfig:
    return WebConfig(site=web_config.site, media_root=media_root, max_body_bytes=64 * 1024)


@pytest.fixture
async def node(config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(config, pool), host="127.0.0.1")) as client:
        yield client


async def _token(pool: asyncpg.Pool, member: Member) -> dict[str, str]:
    async with pool.acquire() as conn:
        token = await do_create_token(conn, member.user_id, "read write follow")
    return {"Authorization": f"Bearer {token}"}


async def _post(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/statuses", json=fields, headers=auth)
    assert response.status == 200, await response.text()
    return await response.json()


def _store(media_root: Path, area: str) -> str:
    key = new_key(area, "png")
    path = media_root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PNG)
    return key


async def _remote(conn: asyncpg.Connection, name: str) -> int:
    account_id: int = await conn.fetchval(
        """INSERT INTO accounts (username, domain, public_key_pem, uri)
           VALUES ($1, 'remote.test', 'unused', $2) RETURNING id""",
        name,
        f"https://remote.test/users/{name}",
    )
    return account_id


async def _member_world(
    client: TestClient, pool: asyncpg.Pool, make_member: MakeMember, media_root: Path
) -> tuple[Member, Member, dict[str, Any]]:
    """Alice with one post of each visibility (one with media), an avatar, likes, bookmarks,
    follows both ways, a block and a mute; Bob, another member of the node."""
    alice = await make_member("alice")
    bob = await make_member("bob")
    auth, bob_auth = await _token(pool, alice), await _token(pool, bob)
    async with pool.acquire() as conn:
        avatar = _store(media_root, "avatars")
        await conn.execute(
            "UPDATE accounts SET avatar_url = $2 WHERE id = $1",
            alice.account.id,
            "/system/" + avatar,
        )
        media_id = await conn.fetchval(
            """INSERT INTO media_attachments
                   (account_id, type, state, file_key, content_type, description)
               VALUES ($1, 'image', 'ready', $2, 'image/png', 'a dot') RETURNING id""",
            alice.account.id,
            _store(media_root, "media"),
        )
    posts = {
        "public": await _post(
            client, auth, status="Hello, network", visibility="public", media_ids=[str(media_id)]
        ),
        "unlisted": await _post(client, auth, status="Quietly said", visibility="unlisted"),
        "private": await _post(client, auth, status="For followers", visibility="private"),
        "direct": await _post(client, auth, status="@bob just us", visibility="direct"),
        "local": await _post(client, auth, status="Internal roadmap", local_only=True),
    }
    bobs = await _post(client, bob_auth, status="Bob's news", visibility="public")
    async with pool.acquire() as conn:
        await add_favourite(conn, alice.account.id, int(bobs["id"]))
        await do_bookmark(conn, alice.account.id, int(bobs["id"]))
        carol, dave = await _remote(conn, "carol"), await _remote(conn, "dave")
        await conn.execute(
            """INSERT INTO follows (account_id, target_account_id, show_reblogs, languages)
               VALUES ($1, $2, false, '{en,fr}'), ($1, $3, true, NULL), ($2, $1, true, NULL)""",
            alice.account.id,
            bob.account.id,
            carol,
        )
        await conn.execute(
            "INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)",
            alice.account.id,
            dave,
        )
        await block_domain(conn, alice.account.id, "spam.example")
        await conn.execute(
            """INSERT INTO mutes (account_id, target_account_id, hide_notifications)
               VALUES ($1, $2, false)""",
            alice.account.id,
            bob.account.id,
        )
    return alice, bob, {"posts": posts, "bobs": bobs}


async def _export(
    client: TestClient, pool: asyncpg.Pool, config: WebConfig, auth: dict[str, str]
) -> dict[str, Any]:
    started = await client.post("/api/v1/rukun/exports", headers=auth)
    assert started.status == 200, await started.text()
    export = await started.json()
    assert export["state"] == "queued" and export["progress"]["percent"] == 0
    worker = Worker(pool, export_job_handlers(config.site, config.media_root), concurrency=1)
    await worker.drain()
    shown = await client.get(f"/api/v1/rukun/exports/{export['id']}", headers=auth)
    done: dict[str, Any] = await shown.json()
    assert done["state"] == "done", done
    return done


async def _download(client: TestClient, url: str, headers: dict[str, str], path: Path) -> Path:
    response = await client.get(url, headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/zip"
    await asyncio.to_thread(path.write_bytes, await response.read())
    return path


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode())))


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`rukun export verify` in a process of its own, with no database to reach."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUKUN_")}
    return subprocess.run(
        [sys.executable, "-m", "node.cli", "export", "verify", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def test_the_archive_holds_what_the_member_takes_and_verifies_offline(
    config: WebConfig,
    pool: asyncpg.Pool,
    *,
    make_member: MakeMember,
    media_root: Path,
    tmp_path: Path,
) -> None:
    # Given a member with posts of every visibility, media, likes, bookmarks and a network
    async with TestClient(TestServer(create_app(config, pool), host="127.0.0.1")) as client:
        alice, _bob, world = await _member_world(client, pool, make_member, media_root)
        auth = await _token(pool, alice)

        # When she asks for her archive and the worker builds it
        export = await _export(client, pool, config, auth)
        again = await client.post("/api/v1/rukun/exports", headers=auth)
        zip_path = await _download(client, export["download_url"], auth, tmp_path / "a.zip")

    # Then progress reached the end, and the archive has Mastodon's files
    assert export["progress"]["percent"] == 100
    assert export["progress"]["items_done"] == export["progress"]["items_total"] == 6
    assert again.status == 200  # the first is finished, so another may start
    site = config.site
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        assert names >= EXPECTED_FILES
        actor = json.loads(archive.read("actor.json"))
        outbox = json.loads(archive.read("outbox.json"))
        likes = json.loads(archive.read("likes.json"))
        bookmarks = json.loads(archive.read("bookmarks.json"))
        following = _csv(archive, "following_accounts.csv")
        followers = _csv(archive, "followers.csv")
        blocked = _csv(archive, "blocked_accounts.csv")
        muted = _csv(archive, "muted_accounts.csv")
        assert archive.read("lists.csv") == b""
        assert archive.read("blocked_domains.csv").decode().splitlines() == ["spam.example"]

        # the actor, with its integrity key and the archive's own paths
        assert actor["id"] == site.actor_url("alice")
        assert actor["outbox"] == "outbox.json" and actor["icon"]["url"] == "avatar.png"
        [key] = actor["assertionMethod"]
        assert key["id"] == f"{site.actor_url('alice')}#ed25519-key"
        assert key["type"] == "Multikey" and key["publicKeyMultibase"].startswith("z6Mk")

        # every post but the internal one, as Create activities with original ids and dates
        posts = world["posts"]
        assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 4
        items = {item["object"]["id"]: item for item in outbox["orderedItems"]}
        for visibility in ("public", "unlisted", "private", "direct"):
            status = posts[visibility]
            item = items[site.status_uri("alice", int(status["id"]))]
            assert item["type"] == "Create" and item["actor"] == site.actor_url("alice")
            assert item["object"]["published"] == status["created_at"][:19] + "Z"
            assert item["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        assert "Internal roadmap" not in archive.read("outbox.json").decode()
        direct = items[site.status_uri("alice", int(posts["direct"]["id"]))]["object"]
        assert direct["to"] == [site.actor_url("bob")] and direct["cc"] == []

        # media referenced by relative paths that are in the archive
        public = items[site.status_uri("alice", int(posts["public"]["id"]))]["object"]
        [attachment] = public["attachment"]
        assert attachment["url"].startswith("media_attachments/files/")
        assert archive.read(attachment["url"]) == PNG

    bobs = site.status_uri("bob", int(world["bobs"]["id"]))
    assert likes["orderedItems"] == [bobs] and bookmarks["orderedItems"] == [bobs]
    assert following == [
        ["Account address", "Show boosts", "Notify on new posts", "Languages"],
        ["bob@rukun.test", "false", "false", "en, fr"],
        ["carol@remote.test", "true", "false", ""],
    ]
    assert followers == [["bob@rukun.test"]]
    assert blocked == [["dave@remote.test"]]
    assert muted == [["Account address", "Hide notifications"], ["bob@rukun.test", "false"]]

    # And with the node stopped, every proof verifies from the zip alone
    verified = _verify(zip_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.splitlines()[:2] == ["valid: 4", "invalid: 0"]

    # But one character changed in one post fails, and only that post
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "outbox.json":
                data = data.replace(b"Quietly said", b"Quietly sad!", 1)
            target.writestr(info, data)
    failed = _verify(tampered)
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[:2] == ["valid: 3", "invalid: 1"]
    assert "failed verification" in failed.stderr


async def test_internal_posts_leave_only_when_the_policy_allows(
    node: TestClient,
    config: WebConfig,
    pool: asyncpg.Pool,
    *,
    make_member: MakeMember,
    media_root: Path,
    tmp_path: Path,
) -> None:
    alice, _bob, world = await _member_world(node, pool, make_member, media_root)
    async with pool.acquire() as conn:
        await do_set_policy(conn, "export_includes_internal", True)
    auth = await _token(pool, alice)

    export = await _export(node, pool, config, auth)
    zip_path = await _download(node, export["download_url"], auth, tmp_path / "all.zip")

    assert export["includes_internal"] is True
    with zipfile.ZipFile(zip_path) as archive:
        outbox = json.loads(archive.read("outbox.json"))
    internal_id = config.site.status_uri("alice", int(world["posts"]["local"]["id"]))
    [internal] = [i for i in outbox["orderedItems"] if i["object"]["id"] == internal_id]
    assert internal["object"]["localOnly"] is True
    assert "Internal roadmap" in internal["object"]["content"]
    verified = _verify(zip_path)
    assert verified.stdout.splitlines()[:2] == ["valid: 5", "invalid: 0"]


async def test_one_export_at_a_time_and_only_its_owner_downloads_it(
    node: TestClient,
    config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    tmp_path: Path,
) -> None:
    alice, bob = await make_member("alice"), await make_member("bob")
    auth, bob_auth = await _token(pool, alice), await _token(pool, bob)

    # A second request while one is being prepared is refused, Mastodon-shaped
    first = await (await node.post("/api/v1/rukun/exports", headers=auth)).json()
    refused = await node.post("/api/v1/rukun/exports", headers=auth)
    assert refused.status == 429
    assert "already being prepared" in (await refused.json())["error"]
    assert (
        await node.get(f"/api/v1/rukun/exports/{first['id']}/download", headers=auth)
    ).status == 404

    worker = Worker(pool, export_job_handlers(config.site, config.media_root), concurrency=1)
    await worker.drain()
    url = f"/api/v1/rukun/exports/{first['id']}/download"
    await _download(node, url, auth, tmp_path / "mine.zip")

    # Another member finds nothing, and nobody without credentials
    for path in (f"/api/v1/rukun/exports/{first['id']}", url):
        response = await node.get(path, headers=bob_auth)
        assert response.status == 404
        assert (await response.json()) == {"error": "Record not found"}
    assert (await node.get(url)).status == 401
    listed = await (await node.get("/api/v1/rukun/exports", headers=bob_auth)).json()
    assert listed == []

    # The time-limited link works without any session, until it expires
    async with pool.acquire() as conn:
        token = await create_download_link(conn, int(first["id"]), timedelta(hours=1))
    link = f"/exports/{first['id']}/{token}"
    await _download(node, link, {}, tmp_path / "by-link.zip")
    assert (await node.get(f"/exports/{first['id']}/{token}x")).status == 404
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE export_download_links SET expires_at = now() - interval '1 second'"
        )
        stored = await conn.fetchval(
            "SELECT count(*) FROM export_download_links WHERE token_hash = $1", digest(token)
        )
    assert stored == 1  # only the hash is kept, never the token
    assert (await node.get(link)).status == 404


async def test_the_settings_page_starts_an_export_with_csrf_and_shows_its_link(
    node: TestClient, config: WebConfig, pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    async with pool.acquire() as conn:
        session = await do_open_session(conn, alice.user_id, "127.0.0.1", "test")
        csrf = await conn.fetchval(
            "SELECT csrf_token FROM web_sessions WHERE token_hash = $1", digest(session)
        )
    cookie = {"Cookie": f"rukun_session={session}"}

    anonymous = await node.get("/settings/export", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"].startswith("/auth/sign_in")

    page = await node.get("/settings/export", headers=cookie)
    assert page.status == 200
    assert f'name="authenticity_token" value="{csrf}"' in await page.text()

    forged = await node.post("/settings/export", data={"authenticity_token": "x"}, headers=cookie)
    assert forged.status == 403
    started = await node.post(
        "/settings/export",
        data={"authenticity_token": csrf},
        headers=cookie,
        allow_redirects=False,
    )
    assert started.status == 303

    busy = await (await node.get("/settings/export", headers=cookie)).text()
    assert "queued" in busy and "0%" in busy
    worker = Worker(pool, export_job_handlers(config.site, config.media_root), concurrency=1)
    await worker.drain()
    done = await (await node.get("/settings/export", headers=cookie)).text()
    assert "100%" in done
    async with pool.acquire() as conn:
        export_id = await conn.fetchval(
            "SELECT id FROM exports WHERE account_id = $1", alice.account.id
        )
    link = f"/api/v1/rukun/exports/{export_id}/download"
    assert link in done
    response = await node.get(link, headers=cookie)
    assert response.status == 200 and response.content_type == "application/zip"


async def test_the_command_line_prints_an_offboarding_link(
    node: TestClient,
    config: WebConfig,
    pool: asyncpg.Pool,
    *,
    database_url: str,
    make_member: MakeMember,
    tmp_path: Path,
) -> None:
    alice = await make_member("alice")
    auth = await _token(pool, alice)
    started = await (await node.post("/api/v1/rukun/exports", headers=auth)).json()

    def link(*extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUKUN_")}
        command = [sys.executable, "-m", "node.cli", "export", "link", started["id"], *extra]
        command += ["--database-url", database_url, "--domain", "rukun.test"]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60
        )

    # Not finished yet: refused with one clear line
    early = await asyncio.to_thread(link)
    assert early.returncode == 1
    assert early.stderr == f"rukun: error: export {started['id']} is not a finished export\n"

    worker = Worker(pool, export_job_handlers(config.site, config.media_root), concurrency=1)
    await worker.drain()
    printed = await asyncio.to_thread(link, "--valid-for", "2h")
    assert printed.returncode == 0, printed.stderr
    url = printed.stdout.strip()
    assert url.startswith(f"https://rukun.test/exports/{started['id']}/")
    await _download(node, url.removeprefix("https://rukun.test"), {}, tmp_path / "cli.zip")
    async with pool.acquire() as conn:
        left = await conn.fetchval(
            "SELECT expires_at - created_at FROM export_download_links WHERE export_id = $1",
            int(started["id"]),
        )
    assert left == timedelta(hours=2)
