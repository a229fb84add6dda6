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

    # Then: the community's boost is gone from the member's feed, and our copy is a tombstone
    assert await home_boosts(conn, member.account.id) == []
    assert await conn.fetchval("SELECT deleted_at IS NOT NULL FROM statuses WHERE uri = $1", page)
    # and hearing it again changes nothing
    again = {**removal, "id": "http://enterprise.lemmy.ml/activities/announce/removal-2"}
    outcome = await processed(client, pool, web_config, community, again)
    assert outcome == "ignored: a group removed something we do not have"


async def test_a_group_cannot_remove_a_post_that_was_never_in_it(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    member = await make_member("member")
    community = await remote_group(conn, "http://enterprise.lemmy.ml/c/main", member.account.id)
    mine = await conn.fetchval(
        """INSERT INTO statuses (account_id, text, visibility, local)
           VALUES ($1, 'not the group''s', 'public', true) RETURNING id""",
        member.account.id,
    )
    uri = f"https://{web_config.site.domain}/users/member/statuses/{mine}"
    removal = {
        **fixture("lemmy/remove_note_as_mod_delete.json"),
        "id": "http://enterprise.lemmy.ml/activities/delete/elsewhere",
        "object": uri,
    }
    announce = {
        "id": "http://enterprise.lemmy.ml/activities/announce/elsewhere",
        "type": "Announce",
        "actor": community.uri,
        "object": removal,
    }
    outcome = await processed(client, pool, web_config, community, announce)
    assert outcome == "ignored: a group removed a post that was never in it"
    assert await conn.fetchval("SELECT deleted_at FROM statuses WHERE id = $1", mine) is None


async def test_a_ban_announced_by_the_community_ends_the_membership_and_hides_new_posts(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given: two members here of a Lemmy community, whose users are known
    member, banned = await make_member("member"), await make_member("banned")
    community = await remote_group(conn, "http://enterprise.lemmy.ml/c/main", member.account.id)
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        banned.account.id,
        community.id,
    )
    await remote_actor(conn, "http://enterprise.lemmy.ml/u/lemmy_beta")

    # When: the community announces Lemmy's ban (a Block targeting it) of our member and of
    # its own user lemmy_beta
    for number, user in (
        (1, web_config.site.actor_url("banned")),
        (2, "http://enterprise.lemmy.ml/u/lemmy_beta"),
    ):
        block = {
            **fixture("lemmy/block_user.json"),
            "id": f"http://enterprise.lemmy.ml/activities/block/{number}",
            "object": user,
        }
        announce = {
            "id": f"http://enterprise.lemmy.ml/activities/announce/ban-{number}",
            "type": "Announce",
            "actor": community.uri,
            "object": block,
        }
        assert await processed(client, pool, web_config, community, announce) == "done"

    # Then: our member no longer belongs to the community here
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM follows WHERE target_account_id = $1", community.id
        )
        == 1
    )
    # and lemmy_beta's later post, should the community still announce it, is not shown
    document = fixture("lemmy/group_announce_create_page.json")
    outcome = await processed(client, pool, web_config, community, document)
    assert outcome == "ignored: the group removed the post's author"
    assert await home_boosts(conn, member.account.id) == []


async def test_a_ban_sent_by_a_lemmy_moderator_and_its_undo(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given: our member belongs to the community; its moderator bans them, as Lemmy sends it
    member = await make_member("member")
    community = await remote_group(conn, "http://enterprise.lemmy.ml/c/main", member.account.id)
    moderator = await remote_actor(conn, "http://enterprise.lemmy.ml/u/lemmy_beta")
    block = {**fixture("lemmy/block_user.json"), "object": web_config.site.actor_url("member")}

    assert await processed(client, pool, web_config, moderator, block) == "done"
    # the same ban heard again (under another id) changes nothing
    again = {**block, "id": f"{block['id']}-again"}
    assert await processed(client, pool, web_config, moderator, again) == "done"

    # Then: the membership ended and the ban is kept
    assert (
        await conn.fetchval("SELECT count(*) FROM follows WHERE account_id = $1", member.account.id)
        == 0
    )
    assert (
        await conn.fetchval("SELECT count(*) FROM group_bans WHERE group_id = $1", community.id)
        == 1
    )

    # When: the moderator undoes it
    undo = fixture("lemmy/undo_block_user.json")
    undo["object"] = block
    assert await processed(client, pool, web_config, moderator, undo) == "done"
    assert (
        await conn.fetchval("SELECT count(*) FROM group_bans WHERE group_id = $1", community.id)
        == 0
    )
