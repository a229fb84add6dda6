"""Remote groups (FEP-1b12) as Lemmy and the FEP itself send them: a member here of a group
on another server sees what the group announces — an Announce of a Create(Page) or
Create(Note) — as a boost by the group, and replies in the group's threads the same way.
Real payloads from `../shared/fixtures/activities/`; nothing leaves the machine."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.site import Site
from content.access import load_viewer, may_see
from tests.conftest import MakeMember
from tests.inbox_helpers import RemoteActor, deliver, drain, offline_config, remote_actor
from tests.shared_files import ACTIVITY_FIXTURES
from web.config import WebConfig


def fixture(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ACTIVITY_FIXTURES / path).read_text())
    return document


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    hosts = ["enterprise.lemmy.ml", "example.org", "sally.example.org"]
    return WebConfig(
        site=site, max_body_bytes=1024 * 1024, client=offline_config(hosts), federation_mode="open"
    )


async def remote_group(conn: asyncpg.Connection, uri: str, member_id: int) -> RemoteActor:
    group = await remote_actor(conn, uri)
    await conn.execute("UPDATE accounts SET actor_type = 'Group' WHERE id = $1", group.id)
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", member_id, group.id
    )
    return group


async def processed(
    client: TestClient,
    pool: asyncpg.Pool,
    config: WebConfig,
    actor: RemoteActor,
    document: dict[str, Any],
) -> str:
    status, body = await deliver(client, actor, document)
    assert status == 202, body
    await drain(pool, config)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, last_error FROM inbound_activities WHERE activity_id = $1",
            document["id"],
        )
    assert row is not None
    return f"{row['state']}: {row['last_error']}" if row["last_error"] else str(row["state"])


async def home_boosts(conn: asyncpg.Connection, reader_id: int) -> list[tuple[str, str]]:
    """(booster uri, original uri) of the boosts in the reader's home feed."""
    rows = await conn.fetch(
        """SELECT b.uri AS booster, o.uri AS original FROM home_feed h
           JOIN statuses s ON s.id = h.status_id JOIN accounts b ON b.id = s.account_id
           JOIN statuses o ON o.id = s.reblog_of_id
           WHERE h.account_id = $1 ORDER BY s.id""",
        reader_id,
    )
    return [(row["booster"], row["original"]) for row in rows]


async def test_lemmy_community_announcing_a_page_reaches_its_member_here(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given: a member here follows the Lemmy community; its user is known
    document = fixture("lemmy/group_announce_create_page.json")
    member = await make_member("member")
    community = await remote_group(conn, document["actor"], member.account.id)
    await remote_actor(conn, "http://enterprise.lemmy.ml/u/lemmy_beta")

    # When: the community announces a user's Create(Page)
    outcome = await processed(client, pool, web_config, community, document)

    # Then: the member sees the page, boosted by the community, and it belongs to the group
    assert outcome == "done"
    page = document["object"]["object"]["id"]
    assert await home_boosts(conn, member.account.id) == [(community.uri, page)]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM status_groups sg JOIN statuses s ON s.id = sg.status_id"
            " WHERE s.uri = $1 AND sg.group_id = $2",
            page,
            community.id,
        )
        == 1
    )


async def test_fep_1b12_thread_announced_by_the_group_reaches_its_member_here(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    member = await make_member("member")
    forum = await remote_group(conn, "https://example.org/my-forum", member.account.id)
    sally = await remote_actor(conn, "https://sally.example.org", username="sally")
    page, reply = fixture("fep/fep-1b12_thread_page.json"), fixture("fep/fep-1b12_reply_note.json")

    # Given: sally's page and comment, addressed to the forum (their `audience`), reach us
    for number, post in ((2, page), (4, reply)):
        create = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"https://sally.example.org/a/{number}",
            "type": "Create",
            "actor": sally.uri,
            "audience": forum.uri,
            "object": post,
        }
        assert await processed(client, pool, web_config, sally, create) == "done"
    # a post only addressed to the forum is not shown before the forum passes it on
    assert await home_boosts(conn, member.account.id) == []

    # When: the forum announces them (the FEP's example; its id, "example.org/a/5", made the
    # URL it stands for)
    announce = fixture("fep/fep-1b12_group_announce_create_page.json")
    announce["id"] = "https://example.org/a/5"
    assert await processed(client, pool, web_config, forum, announce) == "done"
    comment = {**announce, "id": "https://example.org/a/6"}
    comment["object"] = {**announce["object"], "id": "https://sally.example.org/a/4"}
    comment["object"]["object"] = reply
    assert await processed(client, pool, web_config, forum, comment) == "done"

    # Then: the member sees both, boosted by the forum, and reads them
    assert await home_boosts(conn, member.account.id) == [
        (forum.uri, page["id"]),
        (forum.uri, reply["id"]),
    ]
    viewer = await load_viewer(conn, member.account.id)
    for post in (page, reply):
        status_id = await conn.fetchval("SELECT id FROM statuses WHERE uri = $1", post["id"])
        assert await may_see(conn, viewer, status_id)
    # and someone who is not in the forum does not
    outsider = await load_viewer(conn, (await make_member("outsider")).account.id)
    assert not await may_see(conn, outsider, status_id)


async def test_a_group_announcing_a_delete_takes_its_boost_back(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    document = fixture("lemmy/group_announce_create_page.json")
    member = await make_member("member")
    community = await remote_group(conn, document["actor"], member.account.id)
    await remote_actor(conn, "http://enterprise.lemmy.ml/u/lemmy_beta")
    assert await processed(client, pool, web_config, community, document) == "done"
    page = document["object"]["object"]["id"]

    # When: a moderator's removal is announced by the community (FEP-1b12)
    removal = {
        "id": "http://enterprise.lemmy.ml/activities/announce/removal-1",
        "type": "Announce",
        "actor": community.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": "http://enterprise.lemmy.ml/activities/delete/removal-1",
            "type": "Delete",
            "actor": "http://enterprise.lemmy.ml/u/lemmy_beta",
            "object": page,
        },
    }
    assert await processed(client, pool, web_config, community, removal) == "done"

    # Then: the community's boost is gone from the member's feed
    assert await home_boosts(conn, member.account.id) == []
