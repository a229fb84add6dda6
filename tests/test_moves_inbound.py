"""Move from other servers (`../shared/fixtures/activities/{mastodon,gotosocial}/
docs_move_account.json`): delivered signed to a node whose member follows the account that
moved, with the new account served over HTTPS (a test CA) by its own host. When the new
account lists the old one in `alsoKnownAs`, the member follows the new one (a Follow is
queued), no longer the old one, and is notified; a member who blocked or muted the old one
blocks or mutes the new one. Otherwise the Move is ignored, with the reason kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from actors.site import Site
from federation.as2_objects import parse_activity
from federation.http_client import ClientConfig
from federation.media_types import ACTIVITY_JSON
from federation.origin import host_of
from tests.certificates import TestCA
from tests.conftest import MakeMember
from tests.fake_actor_server import keys_fixture, private_keys_fixture  # noqa: F401
from tests.inbox_helpers import CLOSED_PORT, RemoteActor, deliver, drain, remote_actor
from tests.shared_files import ACTIVITY_FIXTURES
from web.config import WebConfig

FIXTURES = ["mastodon/docs_move_account.json", "gotosocial/docs_move_account.json"]
Serve = Callable[[dict[str, Any]], None]


def _load(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ACTIVITY_FIXTURES / path).read_text())
    return document


def _target_document(uri: str, pem: str, **changes: Any) -> dict[str, Any]:
    host = host_of(uri)
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[-1][:30],
        "inbox": f"{uri}/inbox",
        "endpoints": {"sharedInbox": f"https://{host}/inbox"},
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem},
    }
    document.update(changes)
    return document


@pytest.fixture(params=FIXTURES)
def move(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


@pytest.fixture
def served() -> dict[str, dict[str, Any]]:
    """path → the document the target's host answers with."""
    return {}


@pytest.fixture
async def target_host(
    move: dict[str, Any], served: dict[str, dict[str, Any]], tmp_path: Path
) -> AsyncIterator[tuple[str, int, Path]]:
    """The new account's host over HTTPS on loopback: (host, port, CA bundle)."""
    host = host_of(move["target"])
    directory = tmp_path / "pki"
    directory.mkdir()
    ca = TestCA(directory)

    async def answer(request: web.Request) -> web.Response:
        document = served.get(request.path)
        if document is None:
            return web.Response(status=404)
        return web.Response(text=json.dumps(document), content_type=ACTIVITY_JSON)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ca.issue(host).server_context())
    await site.start()
    yield host, runner.addresses[0][1], ca.bundle
    await runner.cleanup()


@pytest.fixture
def web_config(site: Site, move: dict[str, Any], target_host: tuple[str, int, Path]) -> WebConfig:
    """The new account's host reached over HTTPS; the old account's host (our Undo of the
    old follow goes there) a closed port: nothing leaves the machine."""
    host, port, bundle = target_host
    resolve = {host: ("127.0.0.1", port), host_of(move["actor"]): CLOSED_PORT}
    return WebConfig(
        site=site,
        max_body_bytes=1024 * 1024,
        client=ClientConfig(resolve=resolve, ca_bundle=str(bundle), timeout=5),
        federation_mode="open",
    )


@pytest.fixture
def serve(move: dict[str, Any], served: dict[str, dict[str, Any]], keys: list[str]) -> Serve:
    def put(changes: dict[str, Any]) -> None:
        uri = move["target"]
        served[uri.split(host_of(uri), 1)[1]] = _target_document(uri, keys[0], **changes)

    return put


async def _outcome(conn: asyncpg.Connection) -> str:
    row = await conn.fetchrow("SELECT state, last_error FROM inbound_activities")
    assert row is not None
    return f"{row['state']}: {row['last_error']}" if row["last_error"] else str(row["state"])


async def _given(
    conn: asyncpg.Connection, make_member: MakeMember, move: dict[str, Any]
) -> tuple[RemoteActor, dict[str, int]]:
    """The old account, cached, followed by `follower`, blocked by `blocker`, muted by
    `muter` (whose mute keeps notifications)."""
    origin = await remote_actor(conn, parse_activity(move).actor)
    members = {
        name: (await make_member(name)).account.id for name in ("follower", "blocker", "muter")
    }
    await conn.execute(
        """INSERT INTO follows (account_id, target_account_id, show_reblogs, notify)
           VALUES ($1, $2, false, true)""",
        members["follower"],
        origin.id,
    )
    await conn.execute(
        "INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)",
        members["blocker"],
        origin.id,
    )
    await conn.execute(
        """INSERT INTO mutes (account_id, target_account_id, hide_notifications)
           VALUES ($1, $2, false)""",
        members["muter"],
        origin.id,
    )
    return origin, members


async def test_a_move_to_an_account_listing_the_old_one_moves_the_followers(
    *,
    move: dict[str, Any],
    serve: Serve,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given the new account, which lists the old one as an alias
    origin, members = await _given(conn, make_member, move)
    serve({"alsoKnownAs": [origin.uri]})

    # When the Move is delivered, signed by the old account, and processed
    status, _ = await deliver(client, origin, move)
    assert status == 202
    await drain(pool, web_config)

    # Then it is done: the follower asked to follow the new account, with the same options
    assert await _outcome(conn) == "done"
    target_id = await conn.fetchval("SELECT id FROM accounts WHERE uri = $1", move["target"])
    request = await conn.fetchrow(
        "SELECT show_reblogs, notify FROM follow_requests"
        " WHERE account_id = $1 AND target_account_id = $2",
        members["follower"],
        target_id,
    )
    assert request is not None and (request["show_reblogs"], request["notify"]) == (False, True)
    follow_sent = await conn.fetchval(
        "SELECT count(*) FROM deliveries WHERE payload->>'type' = 'Follow'"
        " AND payload->>'object' = $1",
        move["target"],
    )
    assert follow_sent == 1
    # and no longer follows the old one, whose redirect is recorded
    assert not await conn.fetchval(
        "SELECT count(*) FROM follows WHERE target_account_id = $1", origin.id
    )
    moved_to = await conn.fetchval(
        "SELECT moved_to_account_id FROM accounts WHERE id = $1", origin.id
    )
    assert moved_to == target_id
    # and was told
    notified = await conn.fetch(
        "SELECT account_id, from_account_id FROM notifications WHERE type = 'move'"
    )
    assert [(n["account_id"], n["from_account_id"]) for n in notified] == [
        (members["follower"], origin.id)
    ]
    # Blocks and mutes of the old account carry over to the new one
    assert await conn.fetchval(
        "SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2",
        members["blocker"],
        target_id,
    )
    assert (
        await conn.fetchval(
            "SELECT hide_notifications FROM mutes WHERE account_id = $1 AND target_account_id = $2",
            members["muter"],
            target_id,
        )
        is False
    )

    # When the same Move comes again under a new id, nothing new happens
    again = {**move, "id": move["id"] + "-again"}
    assert (await deliver(client, origin, again))[0] == 202
    await drain(pool, web_config)
    assert await conn.fetchval("SELECT count(*) FROM notifications WHERE type = 'move'") == 1
    assert await conn.fetchval("SELECT count(*) FROM follow_requests") == 1


async def test_a_move_to_an_account_not_listing_the_old_one_is_ignored(
    *,
    move: dict[str, Any],
    serve: Serve,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given a new account that does not say it is the old one
    origin, members = await _given(conn, make_member, move)
    serve({"alsoKnownAs": ["https://elsewhere.example/users/someone"]})

    # When the Move arrives
    assert (await deliver(client, origin, move))[0] == 202
    await drain(pool, web_config)

    # Then it is ignored, with the reason, and the follow stays as it was
    assert await _outcome(conn) == (
        "ignored: the target does not list the moved account in alsoKnownAs"
    )
    follows = await conn.fetch("SELECT account_id, target_account_id FROM follows")
    assert [(f["account_id"], f["target_account_id"]) for f in follows] == [
        (members["follower"], origin.id)
    ]
    assert not await conn.fetchval("SELECT count(*) FROM notifications")
    assert not await conn.fetchval(
        "SELECT moved_to_account_id FROM accounts WHERE id = $1", origin.id
    )


async def test_a_move_of_another_account_is_ignored(
    *,
    move: dict[str, Any],
    serve: Serve,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    origin, _ = await _given(conn, make_member, move)
    serve({"alsoKnownAs": [origin.uri]})
    someone_else = {**move, "object": origin.uri + "x"}
    assert (await deliver(client, origin, someone_else))[0] == 202
    await drain(pool, web_config)
    assert await _outcome(conn) == "ignored: a Move of an account other than its actor"
