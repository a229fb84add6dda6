"""Remote actors between live nodes: a member of a.test finds people on b.test and c.test by
handle or URL through Mastodon.py, mentions them, and a.test verifies b.test's signatures with
keys it fetched itself."""

from __future__ import annotations

import asyncpg
from mastodon import Mastodon

from actors.accounts import Member
from actors.remote import key_lookup, resolve_handle
from federation.signatures import sign_request, verify_request
from tests.federation_network import Network


def member_api(network: Network, domain: str, username: str) -> tuple[Member, Mastodon]:
    node = network[domain]
    member = node.member(username)
    return member, node.mastodon(node.token(member), version_check_mode="none")


def test_a_remote_member_is_found_by_handle_or_url(network: Network) -> None:
    # Given bob on b.test, with a profile
    bob = network["b.test"].member("bob", display_name="Bob Builder")

    async def describe(conn: asyncpg.Connection) -> None:
        await conn.execute(
            """UPDATE accounts SET note = 'Builds things', locked = true,
                      fields = '[{"name": "Site", "value": "https://bob.example"}]'
               WHERE id = $1""",
            bob.account.id,
        )

    network["b.test"].with_conn(describe)
    _, alice = member_api(network, "a.test", "alice")

    # When alice searches for him without resolving, nothing is found yet
    assert alice.search_v2("@bob@b.test", resolve=False).accounts == []
    # Then resolving fetches him, by handle in both spellings and by actor URL
    for query in ("@bob@b.test", "bob@b.test", "http://b.test/users/bob"):
        found = alice.search_v2(query, resolve=True).accounts
        assert [a.acct for a in found] == ["bob@b.test"], query
    account = found[0]
    assert account.username == "bob" and account.display_name == "Bob Builder"
    assert account.url == "http://b.test/@bob" and account.uri == "http://b.test/users/bob"
    assert account.note == "<p>Builds things</p>" and account.locked
    assert [(f.name, f.value) for f in account.fields] == [("Site", "https://bob.example")]
    assert alice.account(account.id).acct == "bob@b.test"
    # The instance actor is a remote account too, but not a person to find.
    assert alice.search_v2("http://b.test/actor", resolve=True).accounts == []


def test_unknown_people_and_other_domains_find_nothing(network: Network) -> None:
    _, alice = member_api(network, "a.test", "alice")

    for query in ("@ghost@b.test", "ghost@nowhere.test", "http://b.test/users/ghost"):
        found = alice.search_v2(query, resolve=True)
        assert found.accounts == [] and found.statuses == [], query
    assert network.settle() == 0


def test_remote_profiles_are_sanitised_where_they_are_shown(network: Network) -> None:
    network["b.test"].member("bob")
    _, alice = member_api(network, "a.test", "alice")
    account_id = alice.search_v2("@bob@b.test", resolve=True).accounts[0].id

    async def tamper(conn: asyncpg.Connection) -> None:
        # Stored as received: whatever a server sends is cleaned when rendered.
        await conn.execute(
            """UPDATE accounts SET
                   note = '<p onclick="x()">hi<script>alert(1)</script></p>',
                   fields = '[{"name": "x", "value": "<a href=\\"javascript:alert(1)\\">y</a>"}]'
               WHERE id = $1""",
            int(account_id),
        )

    network["a.test"].with_conn(tamper)
    shown = alice.account(account_id)
    assert shown.note == "<p>hi</p>"
    assert "javascript" not in shown.fields[0].value and ">y</a>" in shown.fields[0].value


def test_mentions_of_people_on_other_nodes_are_resolved_before_posting(
    network: Network,
) -> None:
    network["b.test"].member("bob")
    network["c.test"].member("cyd")
    _, alice = member_api(network, "a.test", "alice")

    status = alice.status_post(
        "Hello @bob@b.test, @cyd@c.test, @ghost@b.test and @zed@nowhere.test"
    )

    assert sorted(m.acct for m in status.mentions) == ["bob@b.test", "cyd@c.test"]
    assert 'href="http://b.test/@bob"' in status.content
    assert 'href="http://c.test/@cyd"' in status.content
    assert "@ghost@b.test" in status.content and "@zed@nowhere.test" in status.content
    network.settle()


def test_signatures_from_another_node_verify_with_the_key_fetched_from_it(
    network: Network,
) -> None:
    bob = network["b.test"].member("bob")
    assert bob.account.private_key_pem is not None
    url = "http://a.test/users/alice"
    headers = sign_request(
        "GET",
        url,
        {},
        None,
        key_id="http://b.test/users/bob#main-key",
        private_key_pem=bob.account.private_key_pem,
    )
    a = network["a.test"]

    async def verify(conn: asyncpg.Connection) -> str | None:
        lookup = key_lookup(conn, a.federation)
        verified = await verify_request("GET", "/users/alice", headers, b"", lookup)
        return verified.owner

    assert a.with_conn(verify) == "http://b.test/users/bob"

    async def cached(conn: asyncpg.Connection) -> tuple[str | None, str | None]:
        account = await resolve_handle(conn, a.federation, "bob", "b.test")
        return account.public_key_id, account.inbox_url

    assert a.with_conn(cached) == (
        "http://b.test/users/bob#main-key",
        "http://b.test/users/bob/inbox",
    )
