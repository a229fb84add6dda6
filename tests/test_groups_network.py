"""Groups across nodes (FEP-1b12): a group on `a.test` with members on `b.test` and `c.test`,
joined and posted to through Mastodon.py as any Mastodon app would — following the group's
account and mentioning it — and every member, on every node, gets each post once, as a boost
by the group."""

from __future__ import annotations

from typing import Any

from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from federation.http_client import FetchNotFoundError
from tests.federation_network import Network
from tests.live import LiveNode


def api(node: LiveNode, username: str, role: str = "employee") -> Mastodon:
    member = node.member(username, role)
    return node.mastodon(node.token(member), version_check_mode="none")


def rukun(client: Mastodon, method: str, path: str, **params: Any) -> Any:
    """Rukun's own endpoints, through Mastodon.py's request machinery (token, errors)."""
    return client._Mastodon__api_request(method, path, params)  # type: ignore[attr-defined]


def create_group(admin: Mastodon, name: str, **settings: Any) -> dict[str, Any]:
    group: dict[str, Any] = rukun(admin, "POST", "/api/v1/rukun/groups", name=name, **settings)
    return group


def signed_get(node: LiveNode, url: str) -> int:
    """What `url` answers to the node's signed fetch (as its instance actor): 200 or 404."""

    async def fetch() -> int:
        try:
            await node.federation.fetch_object(url)
        except FetchNotFoundError:
            return 404
        return 200

    return node.call(fetch)


def join(member: Mastodon, handle: str) -> dict[str, Any]:
    (account,) = member.search_v2(handle, resolve=True, result_type="accounts")["accounts"]
    assert account["group"] is True
    member.account_follow(account["id"])
    return account


def group_boosts(reader: Mastodon, uri: str) -> list[dict[str, Any]]:
    """Entries of the reader's home feed that carry the post `uri`."""
    return [
        entry
        for entry in reader.timeline_home(limit=40)
        if entry["uri"] == uri or (entry["reblog"] and entry["reblog"]["uri"] == uri)
    ]


def test_a_post_to_a_group_reaches_every_member_on_every_node_once_as_a_boost(
    network: Network,
) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice = api(a, "alice")
    bob, bea, carl = api(b, "bob"), api(b, "bea"), api(c, "carl")
    # Given: a group on a.test open to b.test and c.test, with members on all three nodes
    create_group(
        alice, "team", display_name="Team", policy="partners", partner_domains="b.test,c.test"
    )
    (group,) = alice.search_v2("team", result_type="accounts")["accounts"]
    assert group["group"] is True
    for member in (bob, bea, carl):
        join(member, "@team@a.test")
    network.settle()
    assert alice.account(group["id"])["followers_count"] == 4

    # When: carl, on c.test, posts to the group by mentioning it
    status = carl.status_post("@team@a.test Kick-off notes are in the wiki")
    network.settle()

    # Then: every other member has it once in their home feed, as a boost by the group
    for reader in (alice, bob, bea):
        (entry,) = group_boosts(reader, status["uri"])
        assert entry["reblog"] is not None
        assert entry["account"]["acct"] in ("team", "team@a.test")
        assert "Kick-off notes" in entry["reblog"]["content"]
    # and its author sees it once too
    assert len(group_boosts(carl, status["uri"])) == 1
    # The group's timeline lists it
    timeline = rukun(alice, "GET", f"/api/v1/rukun/groups/{group['id']}/timeline")
    assert [s["uri"] for s in timeline] == [status["uri"]]
    # One Announce reached b.test's shared inbox, not one per member
    announces = b.with_conn(
        lambda conn: conn.fetchval(
            "SELECT count(*) FROM inbound_activities WHERE payload->>'type' = 'Announce'"
        )
    )
    assert announces == 1

    # When: bob replies in the thread (to the group's boost, as apps do)
    (boost,) = group_boosts(bob, status["uri"])
    reply = bob.status_post("Thanks, reading it now", in_reply_to_id=boost["reblog"]["id"])
    network.settle()

    # Then: the reply is announced by the group too
    for reader in (alice, bea, carl):
        assert len(group_boosts(reader, reply["uri"])) == 1


def test_a_members_only_post_is_not_readable_by_non_members(network: Network) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice, outsider = api(a, "alice"), api(a, "olga")
    bob, dave = api(b, "bob"), api(c, "dave")
    # Given: a members-only group on a.test with bob of b.test as a member
    group = create_group(
        alice, "board", visibility="members_only", policy="partners", partner_domains="b.test"
    )
    join(bob, "@board@a.test")
    # dave on c.test follows alice (so c.test would otherwise hear of her)
    dave.account_follow(dave.search_v2("@alice@a.test", resolve=True)["accounts"][0]["id"])
    network.settle()

    # When: alice posts to the group
    status = alice.status_post("@board Salaries for next year", visibility="public")
    network.settle()

    # Then: members read it (bob through the group's boost)
    (entry,) = group_boosts(bob, status["uri"])
    assert bob.status(entry["reblog"]["id"])["uri"] == status["uri"]
    assert entry["reblog"]["visibility"] == "direct"
    # a non-member of a.test gets 404 from the API
    try:
        outsider.status(status["id"])
    except MastodonNotFoundError:
        pass
    else:
        raise AssertionError("a non-member read a members-only post")
    assert group_boosts(outsider, status["uri"]) == []
    # dave (c.test) was never sent it, and c.test's signed fetch of it is not found
    assert group_boosts(dave, status["uri"]) == []
    assert signed_get(c, status["uri"]) == 404
    assert signed_get(b, status["uri"]) == 200
    # the group's timeline and members list are not found by non-members
    for path in ("timeline", "members"):
        try:
            rukun(outsider, "GET", f"/api/v1/rukun/groups/{group['id']}/{path}")
        except MastodonNotFoundError:
            continue
        raise AssertionError(f"a non-member read the group's {path}")


def test_a_removed_member_stops_receiving_and_is_not_announced(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice = api(a, "alice")
    bob, bea = api(b, "bob"), api(b, "bea")
    group = create_group(alice, "crew", policy="partners", partner_domains="b.test")
    join(bob, "@crew@a.test")
    bea_there = join(bea, "@crew@a.test")
    network.settle()
    bea_here = alice.search_v2("@bea@b.test", result_type="accounts")["accounts"][0]
    assert bea_there["acct"] == "crew@a.test"

    # When: alice, the group's admin, removes bea
    rukun(alice, "POST", f"/api/v1/rukun/groups/{group['id']}/members/{bea_here['id']}/remove")
    network.settle()

    # Then: the group announced the ban (Lemmy's Block from the community) to b.test, which
    # keeps it
    assert announced(b, "Block") == 1
    banned = b.with_conn(
        lambda conn: conn.fetchval(
            """SELECT count(*) FROM group_bans gb JOIN accounts a ON a.id = gb.account_id
               WHERE a.username = 'bea' AND a.domain IS NULL"""
        )
    )
    assert banned == 1
    # bea no longer follows the group, on either node
    members = rukun(alice, "GET", f"/api/v1/rukun/groups/{group['id']}/members")
    assert sorted(m["acct"] for m in members) == ["alice", "bob@b.test"]
    (crew,) = bea.search_v2("@crew@a.test", result_type="accounts")["accounts"]
    assert not bea.account_relationships(crew["id"])[0]["following"]
    # a new post reaches bob, not bea
    status = alice.status_post("@crew Shift plan for Monday")
    network.settle()
    assert len(group_boosts(bob, status["uri"])) == 1
    assert group_boosts(bea, status["uri"]) == []
    # bea's post to the group is not announced
    hers = bea.status_post("@crew@a.test Still here?")
    network.settle()
    assert group_boosts(bob, hers["uri"]) == []
    assert group_boosts(alice, hers["uri"]) == []
    # and she cannot join again
    bea.account_follow(crew["id"])
    network.settle()
    assert not bea.account_relationships(crew["id"])[0]["following"]


def test_an_approval_group_waits_for_an_admin(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, anna = api(a, "alice"), api(a, "anna")
    bob = api(b, "bob")
    group = create_group(alice, "council", policy="approval")
    base = f"/api/v1/rukun/groups/{group['id']}"

    # When: bob (b.test) and anna (a.test) ask to join
    join(bob, "@council@a.test")
    anna.account_follow(group["id"])
    network.settle()

    # Then: both wait; only a group admin sees and answers the requests
    (council,) = bob.search_v2("@council@a.test", result_type="accounts")["accounts"]
    assert bob.account_relationships(council["id"])[0]["requested"]
    assert anna.account_relationships(group["id"])[0]["requested"]
    requests = rukun(alice, "GET", f"{base}/requests")
    assert sorted(r["acct"] for r in requests) == ["anna", "bob@b.test"]
    try:
        rukun(anna, "GET", f"{base}/requests")
    except MastodonAPIError as error:
        assert error.args[1] == 403
    else:
        raise AssertionError("a non-admin listed the join requests")

    bob_here = next(r for r in requests if r["acct"] == "bob@b.test")
    rukun(alice, "POST", f"{base}/requests/{bob_here['id']}/authorize")
    network.settle()
    assert bob.account_relationships(council["id"])[0]["following"]
    assert anna.account_relationships(group["id"])[0]["requested"]
    assert rukun(alice, "GET", base)["members_count"] == 2  # alice, its creator, and bob


def test_open_and_partner_groups_refuse_joins_from_other_nodes(network: Network) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice, anna = api(a, "alice"), api(a, "anna")
    bob, carl = api(b, "bob"), api(c, "carl")
    # Given: an open group (open to a.test's members) and one open to partner b.test too
    lounge = create_group(alice, "lounge", policy="open")
    create_group(alice, "guild", policy="partners", partner_domains="b.test")

    # When: members of each node ask to join
    anna.account_follow(lounge["id"])
    lounge_for_bob = join(bob, "@lounge@a.test")
    guild_for_bob = join(bob, "@guild@a.test")
    guild_for_carl = join(carl, "@guild@a.test")
    network.settle()

    # Then: a.test's member and the listed partner's member are in; the others are refused
    # at once, not left waiting for an admin
    assert anna.account_relationships(lounge["id"])[0]["following"]
    assert bob.account_relationships(guild_for_bob["id"])[0]["following"]
    for member, group in ((bob, lounge_for_bob), (carl, guild_for_carl)):
        relationship = member.account_relationships(group["id"])[0]
        assert not relationship["following"]
        assert not relationship["requested"]
    assert rukun(alice, "GET", f"/api/v1/rukun/groups/{lounge['id']}/requests") == []
    assert rukun(alice, "GET", f"/api/v1/rukun/groups/{lounge['id']}")["members_count"] == 2


def announced(node: LiveNode, kind: str) -> int:
    """How many Announces of a `kind` activity the node received (FEP-1b12 moderation)."""
    count: int = node.with_conn(
        lambda conn: conn.fetchval(
            """SELECT count(*) FROM inbound_activities
               WHERE payload->>'type' = 'Announce' AND payload->'object'->>'type' = $1""",
            kind,
        )
    )
    return count


def test_a_removed_post_is_taken_down_on_every_members_node(network: Network) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice, bob, carl = api(a, "alice"), api(b, "bob"), api(c, "carl")
    group = create_group(alice, "forum", policy="partners", partner_domains="b.test,c.test")
    join(bob, "@forum@a.test")
    join(carl, "@forum@a.test")
    network.settle()
    status = carl.status_post("@forum@a.test Cheap watches, follow the link")
    network.settle()
    (entry,) = group_boosts(bob, status["uri"])
    copy_on_b = entry["reblog"]["id"]

    # When: alice, the group's admin, removes the post
    timeline = rukun(alice, "GET", f"/api/v1/rukun/groups/{group['id']}/timeline")
    (on_a,) = [s for s in timeline if s["uri"] == status["uri"]]
    rukun(alice, "POST", f"/api/v1/rukun/groups/{group['id']}/statuses/{on_a['id']}/remove")
    network.settle()

    # Then: the group announced the Delete (FEP-1b12) to the members' nodes
    assert announced(b, "Delete") == 1
    assert announced(c, "Delete") == 1
    # bob's node took the group's boost back and tombstoned its copy
    assert group_boosts(bob, status["uri"]) == []
    try:
        bob.status(copy_on_b)
    except MastodonNotFoundError:
        pass
    else:
        raise AssertionError("a post the group removed is still readable on a member's node")
    # carl's own post stays his on c.test, out of the group (no boost by it any more)
    (own,) = group_boosts(carl, status["uri"])
    assert own["reblog"] is None and own["uri"] == status["uri"]
    assert rukun(alice, "GET", f"/api/v1/rukun/groups/{group['id']}/timeline") == []


def test_a_members_only_post_by_a_member_on_a_third_node_reaches_members_elsewhere(
    network: Network,
) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    alice = api(a, "alice")
    bob, bea, carl = api(b, "bob"), api(b, "bea"), api(c, "carl")
    # Given: a members-only group on a.test; bob (b.test) and carl (c.test) are members
    create_group(
        alice,
        "board",
        visibility="members_only",
        policy="partners",
        partner_domains="b.test,c.test",
    )
    join(bob, "@board@a.test")
    join(carl, "@board@a.test")
    network.settle()

    # When: carl posts to the group, to the group alone
    status = carl.status_post("@board@a.test Draft budget for 2027", visibility="direct")
    network.settle()

    # Then: bob reads it, boosted by the group, and through the API
    (entry,) = group_boosts(bob, status["uri"])
    assert entry["account"]["acct"] == "board@a.test"
    assert "Draft budget" in entry["reblog"]["content"]
    assert bob.status(entry["reblog"]["id"])["uri"] == status["uri"]
    # c.test would not have let b.test fetch it: b.test took the group's copy on carl's proof
    assert signed_get(b, status["uri"]) == 404
    assert announced(b, "Create") == 1
    # bea, on the same node but not a member, does not see it
    assert group_boosts(bea, status["uri"]) == []
    try:
        bea.status(entry["reblog"]["id"])
    except MastodonNotFoundError:
        pass
    else:
        raise AssertionError("a non-member read a members-only post")
    # alice, on the group's node, reads it too
    (on_a,) = group_boosts(alice, status["uri"])
    assert on_a["reblog"]["uri"] == status["uri"]
