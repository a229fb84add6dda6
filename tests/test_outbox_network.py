"""Delivery between live nodes: members of `b.test` and `c.test` follow `alice@a.test`
through Mastodon.py, and what alice does reaches each node once, through its shared inbox,
even when a node is down for a while."""

from __future__ import annotations

import socket
from typing import Any

import asyncpg
from aiohttp import web
from mastodon import Mastodon

from outbox.as2.activities import create_id
from tests.federation_network import Network
from tests.live import LiveNode
from web.app import create_app


def api(node: LiveNode, username: str) -> Mastodon:
    member = node.member(username)
    return node.mastodon(node.token(member), version_check_mode="none")


def follow(follower: Mastodon, handle: str) -> dict[str, Any]:
    """Find `handle` on its node (WebFinger through search) and follow it."""
    (account,) = follower.search_v2(handle, resolve=True, result_type="accounts")["accounts"]
    relationship: dict[str, Any] = follower.account_follow(account["id"])
    return relationship


def deliveries(node: LiveNode, activity_id: str) -> list[tuple[str, str]]:
    async def read(conn: asyncpg.Connection) -> list[tuple[str, str]]:
        rows = await conn.fetch(
            "SELECT inbox_url, state FROM deliveries WHERE activity_id = $1 ORDER BY inbox_url",
            activity_id,
        )
        return [(row["inbox_url"], row["state"]) for row in rows]

    return node.with_conn(read)


def received(node: LiveNode, activity_id: str) -> int:
    async def count(conn: asyncpg.Connection) -> int:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM inbound_activities WHERE activity_id = $1", activity_id
        )
        return found

    return node.with_conn(count)


def home_uris(reader: Mastodon) -> list[str]:
    return [status["uri"] for status in reader.timeline_home()]


def test_a_post_reaches_each_following_node_once_through_its_shared_inbox(
    network: Network,
) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice = api(a, "alice")
    bob, bea, carl = api(b, "bob"), api(b, "bea"), api(c, "carl")
    # Given: two followers on b.test and one on c.test, accepted by a.test
    for reader in (bob, bea, carl):
        follow(reader, "@alice@a.test")
    network.settle()
    assert alice.account_verify_credentials()["followers_count"] == 3
    assert bob.account_relationships(bob.search_v2("@alice@a.test")["accounts"][0]["id"])[0][
        "following"
    ]

    # When: alice posts
    status = alice.status_post("Hello, partners")

    # Then: one delivery per node, each to its shared inbox, each received once
    activity_id = create_id(status["uri"])
    assert deliveries(a, activity_id) == [
        ("http://b.test/inbox", "queued"),
        ("http://c.test/inbox", "queued"),
    ]
    network.settle()
    assert deliveries(a, activity_id) == [
        ("http://b.test/inbox", "done"),
        ("http://c.test/inbox", "done"),
    ]
    assert received(b, activity_id) == 1 and received(c, activity_id) == 1
    for reader in (bob, bea, carl):
        assert status["uri"] in home_uris(reader)


def take_down(node: LiveNode) -> None:
    """Stop serving (the database and the port stay the node's)."""

    async def stop() -> None:
        assert node.runner is not None
        await node.runner.cleanup()

    node.call(stop)


def bring_back(node: LiveNode) -> None:
    """Serve again on the same port, as a restarted node does."""
    node.socket.close()
    node.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    node.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    node.socket.bind(("127.0.0.1", node.port))

    async def start() -> None:
        assert node.pool is not None
        node.runner = web.AppRunner(create_app(node.config, node.pool))
        await node.runner.setup()
        await web.SockSite(node.runner, node.socket, ssl_context=node.ssl_context).start()

    node.call(start)


def retries_are_due(node: LiveNode) -> None:
    """The backoff has passed (the test does not wait for it)."""

    async def due(conn: asyncpg.Connection) -> None:
        await conn.execute("UPDATE jobs SET run_at = now() WHERE state = 'queued'")

    node.with_conn(due)


def test_a_node_that_was_down_receives_the_post_once_it_is_back(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    follow(bob, "@alice@a.test")
    network.settle()

    # Given: b.test is down when alice posts
    take_down(b)
    status = alice.status_post("While you were out")
    activity_id = create_id(status["uri"])
    assert a.drain() == 1
    assert deliveries(a, activity_id) == [("http://b.test/inbox", "queued")]

    async def last_error(conn: asyncpg.Connection) -> str:
        error: str = await conn.fetchval(
            "SELECT last_error FROM deliveries WHERE activity_id = $1", activity_id
        )
        return error

    assert "b.test" in a.with_conn(last_error)
    assert a.drain() == 0  # waiting for its retry

    # When: b.test comes back and the retry's time comes
    bring_back(b)
    retries_are_due(a)
    network.settle()

    # Then: the post arrived, once
    assert deliveries(a, activity_id) == [("http://b.test/inbox", "done")]
    assert received(b, activity_id) == 1
    assert status["uri"] in home_uris(bob)


def remote_id(reader: Mastodon, handle: str) -> str:
    (account,) = reader.search_v2(handle, resolve=True, result_type="accounts")["accounts"]
    found: str = account["id"]
    return found


def copy_of(reader: Mastodon, uri: str) -> dict[str, Any] | None:
    """The reader's node's copy of a status, as its home timeline shows it."""
    found = [status for status in reader.timeline_home() if status["uri"] == uri]
    return found[0] if found else None


def test_likes_boosts_edits_and_deletes_travel_to_the_author(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    follow(bob, "@alice@a.test")
    network.settle()
    status = alice.status_post("Original words")
    network.settle()
    copy = copy_of(bob, status["uri"])
    assert copy is not None and copy["content"] == status["content"]

    # A like and a boost reach alice's node, and so do their undoing
    bob.status_favourite(copy["id"])
    bob.status_reblog(copy["id"])
    network.settle()
    mine = alice.status(status["id"])
    assert (mine["favourites_count"], mine["reblogs_count"]) == (1, 1)
    bob.status_unfavourite(copy["id"])
    bob.status_unreblog(copy["id"])
    network.settle()
    mine = alice.status(status["id"])
    assert (mine["favourites_count"], mine["reblogs_count"]) == (0, 0)

    # An edit reaches bob's node
    alice.status_update(status["id"], "Better words")
    network.settle()
    edited = copy_of(bob, status["uri"])
    assert edited is not None and "Better words" in edited["content"]

    # A delete too
    alice.status_delete(status["id"])
    network.settle()
    assert copy_of(bob, status["uri"]) is None


def test_an_edit_that_mentions_someone_new_reaches_them(network: Network) -> None:
    a, c = network["a.test"], network["c.test"]
    alice, carol = api(a, "alice"), api(c, "carol")
    status = alice.status_post("Draft for review")
    # carol@c.test is not known on a.test until the edit names her
    edited = alice.status_update(status["id"], "Draft for review, @carol@c.test please look")
    assert [m["acct"] for m in edited["mentions"]] == ["carol@c.test"]
    network.settle()
    (mention,) = carol.notifications(types=["mention"])
    assert mention["status"]["uri"] == status["uri"]
    assert "please look" in mention["status"]["content"]


def test_relationships_travel_both_ways(network: Network) -> None:
    a, c = network["a.test"], network["c.test"]
    alice = api(a, "alice")
    carl_member = c.member("carl")
    carl = c.mastodon(c.token(carl_member), version_check_mode="none")
    carl.account_update_credentials(locked=True)

    # A request to a locked account waits, and carl's accept reaches alice's node
    carl_on_a = remote_id(alice, "@carl@c.test")
    assert alice.account_follow(carl_on_a)["requested"]
    network.settle()
    (request,) = carl.follow_requests()
    carl.follow_request_authorize(request["id"])
    network.settle()
    assert alice.account_relationships(carl_on_a)[0]["following"]
    assert carl.account_verify_credentials()["followers_count"] == 1

    # Carl removes alice from his followers: a Reject ends the follow on her node
    carl.account_remove_from_followers(request["id"])
    network.settle()
    assert not alice.account_relationships(carl_on_a)[0]["following"]

    # Alice follows again (carl unlocks), then unfollows: the Undo reaches carl's node
    carl.account_update_credentials(locked=False)
    alice.account_follow(carl_on_a)
    network.settle()
    assert alice.account_relationships(carl_on_a)[0]["following"]
    assert carl.account_verify_credentials()["followers_count"] == 1
    alice.account_unfollow(carl_on_a)
    network.settle()
    assert carl.account_verify_credentials()["followers_count"] == 0

    # A block reaches carl's node and ends his follow of alice; the unblock is heard too
    alice_on_c = remote_id(carl, "@alice@a.test")
    carl.account_follow(alice_on_c)
    network.settle()
    assert alice.account_verify_credentials()["followers_count"] == 1
    alice.account_block(carl_on_a)
    network.settle()
    assert not carl.account_relationships(alice_on_c)[0]["following"]
    assert alice.account_verify_credentials()["followers_count"] == 0
    alice.account_unblock(carl_on_a)
    network.settle()
    assert carl.account_follow(alice_on_c)["following"] is False  # asks again, not refused
    network.settle()
    assert alice.account_verify_credentials()["followers_count"] == 1


def test_a_profile_update_reaches_the_followers_nodes(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    follow(bob, "@alice@a.test")
    network.settle()

    alice.account_update_credentials(display_name="Alice of A", note="Partner liaison")
    network.settle()

    async def updates(conn: asyncpg.Connection) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            """SELECT payload FROM inbound_activities
               WHERE activity_type = 'Update' AND actor_uri = 'http://a.test/users/alice'"""
        )
        return [row["payload"] for row in rows]

    (update,) = b.with_conn(updates)
    assert update["object"]["id"] == "http://a.test/users/alice"
    assert update["object"]["name"] == "Alice of A"
    assert update["object"]["summary"] == "<p>Partner liaison</p>"
    # And b.test shows the new profile to its members
    seen = bob.account_lookup("alice@a.test")
    assert seen["display_name"] == "Alice of A"
    assert "Partner liaison" in seen["note"]
