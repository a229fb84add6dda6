"""Who each local action is delivered to, and with which activity: the commands run against
one node's database with remote accounts it knows, and the `deliveries` rows they queue in
the same transaction are read back (nothing is sent here; tests/test_delivery.py sends)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from actors.relationships import FollowOptions, insert_follow
from actors.site import Site
from content.compose import Draft
from content.statuses import Status
from outbox.as2.context import PUBLIC
from outbox.interactions import (
    do_delete_status,
    do_favourite,
    do_pin,
    do_reblog,
    do_unfavourite,
    do_unpin,
    do_unreblog,
)
from outbox.posting import do_post
from outbox.relationships import (
    do_authorize_follow_request,
    do_block,
    do_follow,
    do_remove_from_followers,
    do_unblock,
    do_unfollow,
)
from tests.conftest import MakeMember

B_INBOX = "https://b.example/inbox"
C_INBOX = "https://c.example/users/carl/inbox"  # carl's server has no shared inbox


async def remote(
    conn: asyncpg.Connection, username: str, domain: str, *, shared: bool = True
) -> Account:
    uri = f"https://{domain}/users/{username}"
    row = await conn.fetchrow(
        f"""INSERT INTO accounts (username, domain, public_key_pem, uri, url, inbox_url,
                                  shared_inbox_url, followers_url)
            VALUES ($1, $2, 'PEM', $3, $3, $3 || '/inbox', $4, $3 || '/followers')
            RETURNING {ACCOUNT_COLUMNS}""",
        username,
        domain,
        uri,
        f"https://{domain}/inbox" if shared else None,
    )
    return account_from_row(row)


async def queued(conn: asyncpg.Connection) -> list[tuple[str, dict[str, Any]]]:
    """Every delivery queued so far, oldest first, then forgotten (each test step reads its own)."""
    rows = await conn.fetch("SELECT inbox_url, payload FROM deliveries ORDER BY id")
    await conn.execute("DELETE FROM jobs; DELETE FROM deliveries")
    return [(row["inbox_url"], row["payload"]) for row in rows]


def one_activity(rows: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], dict[str, Any]]:
    """The inboxes of one activity, sorted, and the activity."""
    assert rows, "nothing was queued"
    activities = {payload["id"]: payload for _, payload in rows}
    assert len(activities) == 1, list(activities)
    return sorted(inbox for inbox, _ in rows), rows[0][1]


class World:
    def __init__(self, conn: asyncpg.Connection, site: Site, alice: Account) -> None:
        self.conn, self.site, self.alice = conn, site, alice

    async def post(self, text: str, **draft: Any) -> Status:
        return await do_post(self.conn, self.site, self.alice.id, Draft(text=text, **draft))


@pytest.fixture
async def world(conn: asyncpg.Connection, site: Site, make_member: MakeMember) -> World:
    """alice@rukun.test with followers: bob and bea on b.example (one shared inbox), carl on
    c.example (no shared inbox), and dan, a member of this node."""
    alice = (await make_member("alice")).account
    dan = (await make_member("dan")).account
    for follower in (
        await remote(conn, "bob", "b.example"),
        await remote(conn, "bea", "b.example"),
        await remote(conn, "carl", "c.example", shared=False),
        dan,
    ):
        await insert_follow(conn, follower.id, alice.id, FollowOptions())
    return World(conn, site, alice)


async def test_a_post_goes_once_to_each_followers_node(world: World) -> None:
    status = await world.post("Hello partners")
    inboxes, create = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX]
    uri = world.site.status_uri("alice", status.id)
    assert (create["type"], create["id"], create["object"]["id"]) == (
        "Create",
        f"{uri}/activity",
        uri,
    )
    assert create["to"] == [PUBLIC]


async def test_mentions_and_the_replied_to_author_are_reached_too(world: World) -> None:
    eve = await remote(world.conn, "eve", "e.example")
    zed = await remote(world.conn, "zed", "z.example")
    parent = await world.conn.fetchval(
        """INSERT INTO statuses (account_id, uri, local, visibility, text, content)
           VALUES ($1, 'https://z.example/users/zed/statuses/1', false, 'public', 'q', 'q')
           RETURNING id""",
        zed.id,
    )
    await world.post("@eve@e.example followers only", visibility="private", in_reply_to_id=parent)
    inboxes, create = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX, "https://e.example/inbox", "https://z.example/inbox"]
    assert create["cc"] == [eve.uri]


async def test_a_direct_post_goes_only_to_whom_it_mentions(world: World) -> None:
    await remote(world.conn, "eve", "e.example")
    await world.post("@eve@e.example just you", visibility="direct")
    inboxes, create = one_activity(await queued(world.conn))
    assert inboxes == ["https://e.example/inbox"]
    assert (create["to"], create["cc"]) == (["https://e.example/users/eve"], [])


async def test_internal_statuses_never_leave_the_node(world: World) -> None:
    status = await world.post("staff only", visibility="local")
    await do_pin(world.conn, world.site, world.alice.id, status)
    await do_reblog(
        world.conn, world.site, world.alice.id, status, visibility=None, default_visibility="public"
    )
    await do_delete_status(world.conn, world.site, status)
    assert await queued(world.conn) == []


async def test_pins_edits_and_deletes_follow_the_post(world: World) -> None:
    status = await world.post("pin me")
    await queued(world.conn)
    uri = world.site.status_uri("alice", status.id)

    await do_pin(world.conn, world.site, world.alice.id, status)
    inboxes, add = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX]
    assert (add["type"], add["object"], add["target"]) == (
        "Add",
        uri,
        f"{world.site.actor_url('alice')}/featured",
    )
    await do_unpin(world.conn, world.site, world.alice.id, status)
    assert one_activity(await queued(world.conn))[1]["type"] == "Remove"

    assert await do_delete_status(world.conn, world.site, status)
    inboxes, delete = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX]
    assert (delete["type"], delete["object"]["id"]) == ("Delete", uri)


async def test_likes_and_boosts_of_a_remote_status(world: World) -> None:
    zed = await remote(world.conn, "zed", "z.example")
    theirs = await world.conn.fetchrow(
        """INSERT INTO statuses (account_id, uri, local, visibility, text, content)
           VALUES ($1, 'https://z.example/users/zed/statuses/2', false, 'public', 'q', 'q')
           RETURNING *""",
        zed.id,
    )
    status = Status(**{name: theirs[name] for name in Status.__slots__})

    # A like goes to the author only, and its Undo names the same Like
    await do_favourite(world.conn, world.site, world.alice.id, status)
    inboxes, like = one_activity(await queued(world.conn))
    assert inboxes == ["https://z.example/inbox"]
    assert like["object"] == "https://z.example/users/zed/statuses/2"
    await do_unfavourite(world.conn, world.site, world.alice.id, status)
    _, undo = one_activity(await queued(world.conn))
    assert (undo["type"], undo["object"]["id"]) == ("Undo", like["id"])

    # A boost goes to alice's followers and the author
    boost = await do_reblog(
        world.conn, world.site, world.alice.id, status, visibility=None, default_visibility="public"
    )
    inboxes, announce = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX, "https://z.example/inbox"]
    assert announce["id"] == world.site.status_uri("alice", boost.id) + "/activity"
    assert announce["to"] == [PUBLIC]
    assert set(announce["cc"]) == {zed.uri, world.site.followers_url("alice")}
    await do_unreblog(world.conn, world.site, world.alice.id, status)
    inboxes, undo = one_activity(await queued(world.conn))
    assert inboxes == [B_INBOX, C_INBOX, "https://z.example/inbox"]
    assert undo["object"]["id"] == announce["id"]


async def test_liking_a_local_status_sends_nothing(world: World, make_member: MakeMember) -> None:
    erin = (await make_member("erin")).account
    status = await do_post(world.conn, world.site, erin.id, Draft(text="local"))
    await queued(world.conn)
    await do_favourite(world.conn, world.site, world.alice.id, status)
    assert await queued(world.conn) == []


async def test_follow_and_unfollow_name_one_follow(world: World) -> None:
    zed = await remote(world.conn, "zed", "z.example")
    await do_follow(world.conn, world.site, world.alice, zed)
    inboxes, follow = one_activity(await queued(world.conn))
    assert inboxes == ["https://z.example/inbox"]
    assert (follow["type"], follow["actor"], follow["object"]) == (
        "Follow",
        world.site.actor_url("alice"),
        zed.uri,
    )
    kept = await world.conn.fetchval(
        "SELECT uri FROM follow_requests WHERE account_id = $1", world.alice.id
    )
    assert kept == follow["id"]
    await do_follow(world.conn, world.site, world.alice, zed)  # asking again sends nothing
    assert await queued(world.conn) == []

    await do_unfollow(world.conn, world.site, world.alice, zed)
    _, undo = one_activity(await queued(world.conn))
    assert undo["object"] == {k: v for k, v in follow.items() if k != "@context"}


async def test_accepting_and_removing_a_remote_follower_answer_their_follow(
    world: World, make_member: MakeMember
) -> None:
    # Given: zed asked to follow locked lara, with the Follow id his server gave
    lara = (await make_member("lara")).account
    zed = await remote(world.conn, "zed", "z.example")
    await world.conn.execute(
        """INSERT INTO follow_requests (account_id, target_account_id, uri)
           VALUES ($1, $2, 'https://z.example/follows/77')""",
        zed.id,
        lara.id,
    )

    await do_authorize_follow_request(world.conn, world.site, lara, zed)
    inboxes, accept = one_activity(await queued(world.conn))
    assert inboxes == ["https://z.example/inbox"]
    assert accept["type"] == "Accept"
    assert accept["object"] == {
        "id": "https://z.example/follows/77",
        "type": "Follow",
        "actor": zed.uri,
        "object": world.site.actor_url("lara"),
    }
    kept = await world.conn.fetchval(
        "SELECT uri FROM follows WHERE account_id = $1 AND target_account_id = $2",
        zed.id,
        lara.id,
    )
    assert kept == "https://z.example/follows/77"

    await do_remove_from_followers(world.conn, world.site, lara, zed)
    _, reject = one_activity(await queued(world.conn))
    assert (reject["type"], reject["object"]["id"]) == ("Reject", "https://z.example/follows/77")


async def test_block_and_unblock_name_one_block(world: World) -> None:
    zed = await remote(world.conn, "zed", "z.example")
    await do_block(world.conn, world.site, world.alice, zed)
    inboxes, block = one_activity(await queued(world.conn))
    assert inboxes == ["https://z.example/inbox"]
    assert (block["type"], block["object"]) == ("Block", zed.uri)
    await do_unblock(world.conn, world.site, world.alice, zed)
    _, undo = one_activity(await queued(world.conn))
    assert (undo["type"], undo["object"]["id"]) == ("Undo", block["id"])
    # Blocking again is a new Block, not a repeat receivers would drop
    await do_block(world.conn, world.site, world.alice, zed)
    _, again = one_activity(await queued(world.conn))
    assert again["id"] != block["id"]


async def test_a_delete_reaches_the_nodes_of_remote_boosters(world: World) -> None:
    # Given a post of alice's boosted by dora on d.example, who does not follow alice
    status = await world.post("boost me")
    dora = await remote(world.conn, "dora", "d.example")
    await world.conn.execute(
        """INSERT INTO statuses (account_id, local, visibility, reblog_of_id, uri)
           VALUES ($1, false, 'public', $2, 'https://d.example/users/dora/statuses/1/activity')""",
        dora.id,
        status.id,
    )
    await queued(world.conn)

    # When alice deletes it
    assert await do_delete_status(world.conn, world.site, status)

    # Then the Delete also goes to dora's node
    inboxes, delete = one_activity(await queued(world.conn))
    assert delete["type"] == "Delete"
    assert inboxes == sorted([B_INBOX, C_INBOX, "https://d.example/inbox"])
