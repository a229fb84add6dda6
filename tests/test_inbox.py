"""The inboxes: what a signed delivery from a partner becomes, and every hostile delivery
refused (or, from a node that is not a partner, silently dropped) with nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.partners import do_allow_domain, do_block_domain
from actors.site import Site
from tests.conftest import MakeMember
from tests.inbox_helpers import (
    RemoteActor,
    deliver,
    drain,
    inbound_rows,
    offline_config,
    remote_actor,
)
from web.config import WebConfig

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    hosts = ("remote.test", "other.test", "stranger.test", "blocked.test")
    return WebConfig(site=site, max_body_bytes=64 * 1024, client=offline_config(hosts))


@pytest.fixture
async def mallory(conn: asyncpg.Connection) -> RemoteActor:
    await do_allow_domain(conn, "remote.test")
    return await remote_actor(conn, "https://remote.test/users/mallory")


def note_create(actor: str, number: int = 1, **note: Any) -> dict[str, Any]:
    status = f"{actor}/statuses/{number}"
    return {
        "@context": [AS, "https://w3id.org/security/v1"],
        "id": f"{status}/activity",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "object": {
            "id": status,
            "type": "Note",
            "attributedTo": actor,
            "to": [PUBLIC],
            "cc": [f"{actor}/followers"],
            "content": "<p>Hello from afar</p>",
            "published": "2025-01-02T03:04:05Z",
            **note,
        },
    }


async def nothing_stored(conn: asyncpg.Connection) -> bool:
    rows = await conn.fetchval("SELECT count(*) FROM inbound_activities")
    jobs = await conn.fetchval("SELECT count(*) FROM jobs")
    return rows == 0 and jobs == 0


# -- accepted --------------------------------------------------------------------------------


async def test_a_signed_create_is_stored_queued_and_becomes_a_status(
    *,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    mallory: RemoteActor,
    make_member: MakeMember,
) -> None:
    # Given a member mentioned by a remote post
    alice = await make_member("alice")
    mention = {"type": "Mention", "href": "https://rukun.test/users/alice", "name": "@alice"}
    activity = note_create(mallory.uri, tag=[mention, {"type": "Hashtag", "name": "#Rukun"}])

    # When it is delivered to the shared inbox
    status, body = await deliver(client, mallory, activity)

    # Then it is accepted, stored once and queued
    assert (status, body) == (202, None)
    rows = await inbound_rows(conn)
    assert [(r["activity_id"], r["activity_type"], r["state"]) for r in rows] == [
        (activity["id"], "Create", "queued")
    ]
    assert await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'inbox.process'") == 1

    # And processing makes it a status that mentions and notifies alice
    await drain(pool, web_config)
    assert (await inbound_rows(conn))[0]["state"] == "done"
    stored = await conn.fetchrow(
        "SELECT id, account_id, visibility, content, local FROM statuses WHERE uri = $1",
        activity["object"]["id"],
    )
    assert stored["account_id"] == mallory.id and stored["local"] is False
    assert stored["visibility"] == "public"
    assert stored["content"] == "<p>Hello from afar</p>"
    assert await conn.fetchval(
        "SELECT count(*) FROM mentions WHERE status_id = $1 AND account_id = $2",
        stored["id"],
        alice.account.id,
    )
    assert (
        await conn.fetchval(
            "SELECT type FROM notifications WHERE account_id = $1", alice.account.id
        )
        == "mention"
    )
    assert (
        await conn.fetchval(
            "SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id"
            " WHERE st.status_id = $1",
            stored["id"],
        )
        == "Rukun"
    )


async def test_a_duplicate_delivery_is_stored_once(
    *,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    mallory: RemoteActor,
    make_member: MakeMember,
) -> None:
    await make_member("alice")
    mention = {"type": "Mention", "href": "https://rukun.test/users/alice"}
    activity = note_create(mallory.uri, tag=[mention])
    first = await deliver(client, mallory, activity)
    second = await deliver(client, mallory, activity, path="/users/alice/inbox")
    assert first[0] == second[0] == 202
    await drain(pool, web_config)
    assert len(await inbound_rows(conn)) == 1
    assert await conn.fetchval("SELECT count(*) FROM statuses WHERE NOT local") == 1


async def test_a_personal_inbox_of_nobody_is_not_found(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    status, body = await deliver(client, mallory, note_create(mallory.uri), path="/users/x/inbox")
    assert (status, body) == (404, {"error": "Record not found"})
    assert await nothing_stored(conn)


# -- refused, nothing stored -----------------------------------------------------------------


async def test_an_unsigned_post_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    response = await client.post(
        "/inbox",
        data=json.dumps(note_create(mallory.uri)),
        headers={"Content-Type": "application/activity+json"},
    )
    assert response.status == 401
    assert "error" in await response.json()
    assert await nothing_stored(conn)


async def test_a_body_that_does_not_match_its_digest_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    signed_for = json.dumps(note_create(mallory.uri)).encode()
    status, body = await deliver(
        client,
        mallory,
        body=signed_for,
        headers={"Digest": "SHA-256=" + "A" * 43 + "="},
    )
    assert status == 401 and "digest" in body["error"].lower()
    assert await nothing_stored(conn)


async def test_a_stale_date_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    status, _ = await deliver(client, mallory, note_create(mallory.uri), now=long_ago)
    assert status == 401
    assert await nothing_stored(conn)


async def test_a_signature_by_someone_else_than_the_actor_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    # Eve, on the same partner node, signs an activity claiming to be Mallory's.
    eve = await remote_actor(conn, "https://remote.test/users/eve")
    status, body = await deliver(client, eve, note_create(mallory.uri))
    assert status == 401 and body == {"error": "The signature is not the actor's"}
    assert await nothing_stored(conn)


async def test_an_object_on_another_host_than_its_actor_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    activity = note_create(mallory.uri)
    activity["object"]["id"] = "https://other.test/notes/1"
    status, body = await deliver(client, mallory, activity)
    assert status == 400 and body == {"error": "The object is not on the actor's host"}
    assert await nothing_stored(conn)


async def test_an_activity_id_on_another_host_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    activity = note_create(mallory.uri)
    activity["id"] = "https://other.test/activities/1"
    status, _ = await deliver(client, mallory, activity)
    assert status == 400
    assert await nothing_stored(conn)


async def test_a_node_that_is_not_a_partner_gets_202_and_is_dropped(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    # stranger.test was never allowed: the default allowlist mode drops what it sends.
    stranger = await remote_actor(conn, "https://stranger.test/users/sam")
    status, body = await deliver(client, stranger, note_create(stranger.uri))
    assert (status, body) == (202, None)
    assert await nothing_stored(conn)


async def test_a_blocked_node_gets_202_and_is_dropped(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    await do_block_domain(conn, "blocked.test", reason="spam")
    blocked = await remote_actor(conn, "https://blocked.test/users/bo")
    status, _ = await deliver(client, blocked, note_create(blocked.uri))
    assert status == 202
    assert await nothing_stored(conn)


async def test_malformed_json_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    status, body = await deliver(client, mallory, body=b'{"type": "Create",')
    assert (status, body) == (400, {"error": "The request body is not valid JSON"})
    status, body = await deliver(client, mallory, body=b'["a list"]')
    assert (status, body) == (400, {"error": "The activity must be a JSON object"})
    assert await nothing_stored(conn)


async def test_a_ten_megabyte_body_is_refused_before_it_is_read(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    activity = note_create(mallory.uri, content="x" * (10 * 1024 * 1024))
    status, body = await deliver(client, mallory, activity)
    assert (status, body) == (413, {"error": "Request body is too large"})
    assert await nothing_stored(conn)


@pytest.mark.parametrize(
    "term",
    [{"id": "@type"}, {"actor": "https://evil.test/ns#actor"}, {"type": None}, {"me": "@id"}],
)
async def test_a_context_that_changes_what_terms_mean_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor, term: dict[str, Any]
) -> None:
    activity = note_create(mallory.uri)
    activity["@context"] = [AS, term]
    status, body = await deliver(client, mallory, activity)
    assert status == 400 and "@context" in body["error"]
    assert await nothing_stored(conn)


async def test_an_alias_in_the_context_is_read_as_the_term_it_stands_for(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    activity = note_create(mallory.uri)
    activity["@context"] = [AS, {"by": {"@id": "as:actor", "@type": "@id"}}]
    activity["by"] = activity.pop("actor")
    status, _ = await deliver(client, mallory, activity)
    assert status == 202
    row = await conn.fetchrow("SELECT actor_uri, payload FROM inbound_activities")
    assert row["actor_uri"] == mallory.uri and row["payload"]["actor"] == mallory.uri


async def test_an_activity_without_an_actor_is_refused(
    client: TestClient, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    activity = note_create(mallory.uri)
    del activity["actor"]
    status, body = await deliver(client, mallory, activity)
    assert (status, body) == (400, {"error": "the activity has no actor"})
    assert await nothing_stored(conn)
