"""The inbox between live nodes, through Mastodon.py: what arrives from another node shows in
timelines, threads, notifications and profiles as a member expects, and a delivery repeated
shows once."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from mastodon import Mastodon

from actors.accounts import get_local_account
from actors.signers import signer_for
from federation.http_client import DeliveryResponse
from tests.federation_network import Network
from tests.live import LiveNode


def api(node: LiveNode, username: str) -> Mastodon:
    member = node.member(username)
    return node.mastodon(node.token(member), version_check_mode="none")


def find(reader: Mastodon, handle: str) -> dict[str, Any]:
    (account,) = reader.search_v2(handle, resolve=True, result_type="accounts")["accounts"]
    found: dict[str, Any] = account
    return found


def home(reader: Mastodon) -> list[dict[str, Any]]:
    return list(reader.timeline_home())


def inbound(node: LiveNode, activity_type: str) -> list[dict[str, Any]]:
    async def read(conn: asyncpg.Connection) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            "SELECT payload FROM inbound_activities WHERE activity_type = $1 ORDER BY id",
            activity_type,
        )
        return [row["payload"] for row in rows]

    return node.with_conn(read)


def test_a_followed_member_s_posts_reach_home_and_a_repeated_delivery_shows_once(
    network: Network,
) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")

    # Given bob on b.test found alice on a.test and follows her
    alice_on_b = find(bob, "@alice@a.test")
    assert alice_on_b["acct"] == "alice@a.test"
    bob.account_follow(alice_on_b["id"])
    network.settle()
    assert bob.account_relationships(alice_on_b["id"])[0]["following"]

    # When alice posts
    status = alice.status_post("Quarterly numbers are in #finance", spoiler_text="numbers")
    network.settle()

    # Then bob's home timeline shows it as a remote status
    (copy,) = [s for s in home(bob) if s["uri"] == status["uri"]]
    assert copy["account"]["acct"] == "alice@a.test"
    assert "Quarterly numbers are in" in copy["content"] and "finance" in copy["content"]
    assert copy["spoiler_text"] == "numbers" and copy["sensitive"]
    assert [tag["name"] for tag in copy["tags"]] == ["finance"]

    # And the very same delivery, sent again, is stored and shown once
    (create,) = inbound(b, "Create")

    async def send_again() -> DeliveryResponse:
        assert a.pool is not None
        async with a.pool.acquire() as conn:
            account = await get_local_account(conn, "alice")
        assert account is not None
        return await a.federation.post_activity(
            "http://b.test/inbox", json.dumps(create).encode(), signer=signer_for(a.site, account)
        )

    assert a.call(send_again).status == 202
    network.settle()
    assert len(inbound(b, "Create")) == 1
    assert [s["uri"] for s in home(bob)].count(status["uri"]) == 1


def test_replies_thread_across_nodes_and_interactions_notify_the_author(
    network: Network,
) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    bob.account_follow(find(bob, "@alice@a.test")["id"])
    network.settle()
    status = alice.status_post("Lunch at noon?")
    network.settle()
    (copy,) = [s for s in home(bob) if s["uri"] == status["uri"]]

    # Bob answers, favourites and boosts from his node
    reply = bob.status_post("@alice@a.test Count me in", in_reply_to_id=copy["id"])
    bob.status_favourite(copy["id"])
    bob.status_reblog(copy["id"])
    network.settle()

    # Alice sees the reply in her thread, and hears of all three from bob@b.test
    (answer,) = alice.status_context(status["id"])["descendants"]
    assert answer["uri"] == reply["uri"]
    assert answer["in_reply_to_id"] == status["id"]
    assert answer["account"]["acct"] == "bob@b.test"
    kinds = sorted((n["type"], n["account"]["acct"]) for n in alice.notifications())
    assert kinds == [
        ("favourite", "bob@b.test"),
        ("follow", "bob@b.test"),
        ("mention", "bob@b.test"),
        ("reblog", "bob@b.test"),
    ]
    mine = alice.status(status["id"])
    assert (mine["replies_count"], mine["favourites_count"], mine["reblogs_count"]) == (1, 1, 1)


def test_edits_keep_their_history_and_profiles_update_on_the_follower_s_node(
    network: Network,
) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    alice_on_b = find(bob, "@alice@a.test")
    bob.account_follow(alice_on_b["id"])
    network.settle()
    status = alice.status_post("First draft")
    network.settle()
    alice.status_update(status["id"], "Final text")
    alice.account_update_credentials(display_name="Alice of A")
    network.settle()

    (copy,) = [s for s in home(bob) if s["uri"] == status["uri"]]
    assert "Final text" in copy["content"] and copy["edited_at"] is not None
    history = bob.status_history(copy["id"])
    assert ["First draft" in v["content"] for v in history] == [True, False]
    assert bob.account(alice_on_b["id"])["display_name"] == "Alice of A"


def test_a_followers_only_post_reaches_followers_and_nobody_else(network: Network) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice, bob, carl = api(a, "alice"), api(b, "bob"), api(c, "carl")
    bob.account_follow(find(bob, "@alice@a.test")["id"])
    find(carl, "@alice@a.test")  # carl knows of alice, but does not follow her
    network.settle()

    status = alice.status_post("For my followers", visibility="private")
    network.settle()

    (copy,) = [s for s in home(bob) if s["uri"] == status["uri"]]
    assert copy["visibility"] == "private"
    assert inbound(c, "Create") == []
    assert status["uri"] not in [s["uri"] for s in home(carl)]
