"""Account moves between live nodes: alice on a.test moves to alice2 on c.test (which lists
her as an alias), and her followers on a.test, b.test and c.test all end up following
alice2, told by a `move` notification; the old account points to the new one and cannot post.
Moves the rules refuse change nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
import requests
from mastodon import Mastodon, MastodonAPIError

from actors.remote import resolve_actor
from db.queue import enqueue
from inbox.receive import INBOX_JOB
from tests.federation_network import Network
from tests.live import PASSWORD, LiveNode


def member_api(node: LiveNode, username: str) -> tuple[Mastodon, str]:
    token = node.token(node.member(username))
    return node.mastodon(token, version_check_mode="none"), token


def rukun(node: LiveNode, token: str, method: str, path: str, **data: str) -> requests.Response:
    return requests.request(
        method,
        node.base_url + path,
        json=data,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def follow(follower: Mastodon, handle: str) -> None:
    (account,) = follower.search_v2(handle, resolve=True, result_type="accounts")["accounts"]
    follower.account_follow(account["id"])


def following(reader: Mastodon) -> set[str]:
    me = reader.account_verify_credentials()
    return {account["acct"] for account in reader.account_following(me["id"])}


def notification_types(reader: Mastodon) -> list[tuple[str, str]]:
    return [(n["type"], n["account"]["acct"]) for n in reader.notifications()]


def moved_at(node: LiveNode, username: str) -> Any:
    async def read(conn: asyncpg.Connection) -> Any:
        return await conn.fetchval(
            "SELECT moved_at FROM accounts WHERE username = $1 AND domain IS NULL", username
        )

    return node.with_conn(read)


@pytest.fixture
def moving(network: Network) -> dict[str, Any]:
    """alice@a.test followed by lena (a.test), bob (b.test) and carl (c.test); alice2@c.test
    lists alice@a.test as an alias, set through the API."""
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice, alice_token = member_api(a, "alice")
    lena, _ = member_api(a, "lena")
    bob, _ = member_api(b, "bob")
    carl, _ = member_api(c, "carl")
    alice2, alice2_token = member_api(c, "alice2")
    follow(lena, "@alice")
    for reader in (bob, carl):
        follow(reader, "@alice@a.test")
    network.settle()
    assert alice.account_verify_credentials()["followers_count"] == 3
    added = rukun(c, alice2_token, "POST", "/api/v1/rukun/aliases", acct="alice@a.test")
    assert added.status_code == 200, added.text
    assert added.json() == [{"acct": "alice@a.test", "uri": "http://a.test/users/alice"}]
    network.settle()
    return {
        "alice": alice,
        "alice_token": alice_token,
        "alice2": alice2,
        "readers": {"lena": lena, "bob": bob, "carl": carl},
    }


def test_followers_on_every_node_move_to_the_new_account(
    network: Network, moving: dict[str, Any]
) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, alice2, readers = moving["alice"], moving["alice2"], moving["readers"]

    # When alice moves to alice2@c.test, confirming with her password
    moved = rukun(
        a,
        moving["alice_token"],
        "POST",
        "/api/v1/rukun/move",
        target_acct="alice2@c.test",
        password=PASSWORD,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"]["acct"] == "alice2@c.test"
    network.settle()

    # Then every follower, wherever they are, follows alice2 and no longer alice
    assert following(readers["lena"]) == {"alice2@c.test"}
    assert following(readers["bob"]) == {"alice2@c.test"}
    assert following(readers["carl"]) == {"alice2"}
    assert alice2.account_verify_credentials()["followers_count"] == 3
    assert alice.account_verify_credentials()["followers_count"] == 0
    # and each was told, by a `move` notification from the old account
    assert ("move", "alice") in notification_types(readers["lena"])
    assert ("move", "alice@a.test") in notification_types(readers["bob"])
    assert ("move", "alice@a.test") in notification_types(readers["carl"])

    # alice2's new posts reach them all
    status = alice2.status_post("Hello from my new home")
    network.settle()
    for reader in readers.values():
        assert status["uri"] in [s["uri"] for s in reader.timeline_home()]

    # The old account points to the new one, here and elsewhere
    assert readers["lena"].account_lookup("alice")["moved"]["acct"] == "alice2@c.test"
    assert readers["bob"].account_lookup("alice@a.test")["moved"]["acct"] == "alice2@c.test"

    # and its actor document says so (b.test fetches it again)
    async def refetch(conn: asyncpg.Connection) -> tuple[Any, ...]:
        origin = await resolve_actor(conn, b.federation, "http://a.test/users/alice", refresh=True)
        target = await conn.fetchval(
            "SELECT uri FROM accounts WHERE id = $1", origin.moved_to_account_id
        )
        return target, origin.also_known_as

    assert b.with_conn(refetch) == ("http://c.test/users/alice2", ())

    # The old account can still sign in and read, but cannot post
    assert alice.account_verify_credentials()["username"] == "alice"
    with pytest.raises(MastodonAPIError) as refused:
        alice.status_post("Still here?")
    assert refused.value.args[1] == 403
    assert "Your login is currently disabled" in str(refused.value)
    # Nor act as itself in any other way; its archive is still its own to take
    bob_on_a = alice.account_lookup("bob@b.test")
    for act in (
        lambda: alice.account_follow(bob_on_a["id"]),
        lambda: alice.account_update_credentials(display_name="Alice (old)"),
    ):
        with pytest.raises(MastodonAPIError, match="Your login is currently disabled"):
            act()
    exported = rukun(a, moving["alice_token"], "POST", "/api/v1/rukun/exports")
    assert exported.status_code == 200, exported.text


def test_a_repeated_move_changes_nothing_more(network: Network, moving: dict[str, Any]) -> None:
    a, b = network["a.test"], network["b.test"]
    rukun(
        a,
        moving["alice_token"],
        "POST",
        "/api/v1/rukun/move",
        target_acct="alice2@c.test",
        password=PASSWORD,
    )
    network.settle()
    bob = moving["readers"]["bob"]
    before = notification_types(bob)

    # When b.test processes alice's Move a second time (a new delivery of it)
    async def redeliver(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE inbound_activities SET state = 'queued' WHERE activity_type = 'Move'"
        )
        row_id = await conn.fetchval(
            "SELECT id FROM inbound_activities WHERE activity_type = 'Move'"
        )
        await enqueue(conn, INBOX_JOB, {"id": row_id})

    b.with_conn(redeliver)
    network.settle()

    # Then nothing new happens
    assert notification_types(bob) == before
    assert following(bob) == {"alice2@c.test"}


def test_moves_the_rules_refuse_change_nothing(network: Network, moving: dict[str, Any]) -> None:
    a, c = network["a.test"], network["c.test"]
    alice, token = moving["alice"], moving["alice_token"]
    carl_token = c.token(c.member("carla"))

    def move(target: str, password: str = PASSWORD) -> requests.Response:
        return rukun(a, token, "POST", "/api/v1/rukun/move", target_acct=target, password=password)

    # A target that does not list alice as an alias
    refused = move("carla@c.test")
    assert refused.status_code == 422
    assert "alias" in refused.json()["error"]
    # A wrong password
    refused = move("alice2@c.test", password="not my password")
    assert refused.status_code == 422
    assert refused.json() == {"error": "Validation failed: Current password is invalid"}
    # An account that does not exist
    assert move("nobody@c.test").status_code == 422
    # Nothing changed
    assert alice.account_verify_credentials().get("moved") is None
    assert alice.account_verify_credentials()["followers_count"] == 3
    assert moved_at(a, "alice") is None
    assert rukun(c, carl_token, "GET", "/api/v1/rukun/aliases").json() == []

    # A move, then its redirect cancelled: alice may post again, but not move again so soon
    assert move("alice2@c.test").status_code == 200
    network.settle()
    cancelled = rukun(a, token, "DELETE", "/api/v1/rukun/move")
    assert cancelled.status_code == 200
    assert "moved" not in cancelled.json()
    alice.status_post("Back, for now")
    refused = move("alice2@c.test")
    assert refused.status_code == 422
    assert "cooldown" in refused.json()["error"]


def test_aliases_are_listed_added_and_removed(network: Network) -> None:
    a = network["a.test"]
    network["b.test"].member("bob")
    a.member("ann")
    _, token = member_api(a, "alice")
    assert rukun(a, token, "POST", "/api/v1/rukun/aliases", acct="ann").json() == [
        {"acct": "ann", "uri": "http://a.test/users/ann"}
    ]
    listed = rukun(a, token, "POST", "/api/v1/rukun/aliases", acct="@bob@b.test").json()
    assert listed[1] == {"acct": "bob@b.test", "uri": "http://b.test/users/bob"}
    assert rukun(a, token, "GET", "/api/v1/rukun/aliases").json() == listed

    # The actor document lists them (b.test fetches it)
    async def aliases_seen(conn: asyncpg.Connection) -> tuple[str, ...]:
        b = network["b.test"]
        account = await resolve_actor(conn, b.federation, "http://a.test/users/alice", refresh=True)
        return account.also_known_as

    seen = network["b.test"].with_conn(aliases_seen)
    assert seen == ("http://a.test/users/ann", "http://b.test/users/bob")

    removed = rukun(a, token, "DELETE", "/api/v1/rukun/aliases", acct="ann@a.test")
    assert removed.json() == [{"acct": "bob@b.test", "uri": "http://b.test/users/bob"}]
    missing = rukun(a, token, "DELETE", "/api/v1/rukun/aliases", acct="ann")
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    unknown = rukun(a, token, "POST", "/api/v1/rukun/aliases", acct="nobody@b.test")
    assert unknown.status_code == 422
    blank = rukun(a, token, "POST", "/api/v1/rukun/aliases")
    assert blank.status_code == 422
