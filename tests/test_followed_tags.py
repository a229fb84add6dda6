"""Followed hashtags through Mastodon.py: posts carrying a followed tag reach the follower's
home feed, from colleagues and from partner nodes, within what the follower may see."""

from __future__ import annotations

from typing import Any

import requests
from mastodon import Mastodon, MastodonNotFoundError

from tests.federation_network import Network
from tests.live import LiveNode


def client(node: LiveNode, username: str, role: str = "employee") -> Mastodon:
    member = node.member(username, role)
    return node.mastodon(node.token(member), version_check_mode="none")


def post(node: LiveNode, api: Mastodon, text: str, visibility: str = "public") -> dict[str, Any]:
    """A post with any visibility, Rukun's `local` included (Mastodon.py does not know it)."""
    response = requests.post(
        f"{node.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {api.access_token}"},
        json={"status": text, "visibility": visibility},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


def home_ids(api: Mastodon) -> list[str]:
    return [str(status["id"]) for status in api.timeline_home(limit=40)]


def test_a_followed_tag_brings_colleagues_posts_home_until_unfollowed(
    live_node: LiveNode,
) -> None:
    alice, bob, carol = (client(live_node, name) for name in ("alice", "bob", "carol"))
    # Given alice follows #Launch (a tag nobody used yet) and follows carol
    followed = alice.tag_follow("Launch")
    assert (followed["name"], followed["following"]) == ("Launch", True)
    assert alice.tag("launch")["following"] is True
    assert bob.tag("launch")["following"] is False
    alice.account_follow(carol.me()["id"])

    # When colleagues she does not follow post with and without the tag
    tagged = post(live_node, bob, "We ship today #launch")
    untagged = post(live_node, bob, "Lunch is at noon")
    internal = post(live_node, bob, "Internal note #LAUNCH", "local")
    unlisted = post(live_node, bob, "Quietly #launch", "unlisted")
    from_followee = post(live_node, carol, "Me too #launch")

    # Then tagged public and internal posts are home, once each; unlisted ones are not
    # (Mastodon sends hashtag followers only public posts)
    home = home_ids(alice)
    assert str(tagged["id"]) in home and str(internal["id"]) in home
    assert str(untagged["id"]) not in home and str(unlisted["id"]) not in home
    assert home.count(str(from_followee["id"])) == 1
    assert len(home) == len(set(home))

    # A muted author's tagged posts stay out, as they do for followed accounts
    dave = client(live_node, "dave")
    alice.account_mute(dave.me()["id"])
    muted = post(live_node, dave, "Shh #launch")
    assert str(muted["id"]) not in home_ids(alice)
    # and so do a blocked author's, and those of an author who blocks her
    frank, gina = client(live_node, "frank"), client(live_node, "gina")
    alice.account_block(frank.me()["id"])
    gina.account_block(alice.me()["id"])
    blocked = post(live_node, frank, "Hello #launch")
    blocking = post(live_node, gina, "Hi #launch")
    alice_id = int(alice.me()["id"])
    stored = live_node.with_conn(
        lambda conn: conn.fetch("SELECT status_id FROM home_feed WHERE account_id = $1", alice_id)
    )
    assert {int(blocked["id"]), int(blocking["id"])}.isdisjoint(r["status_id"] for r in stored)

    # When alice unfollows the tag
    assert alice.tag_unfollow("launch")["following"] is False
    later = post(live_node, bob, "Still shipping #launch")

    # Then new tagged posts stay out, those the tag brought leave, the followee's stay
    home = home_ids(alice)
    assert str(later["id"]) not in home
    assert str(tagged["id"]) not in home
    assert str(from_followee["id"]) in home
    assert alice.tag("launch")["following"] is False

    # A name that is no hashtag is not found
    try:
        alice.tag_follow("12345")
        raise AssertionError("a numeric tag was followed")
    except MastodonNotFoundError:
        pass


def test_a_customer_following_a_tag_gets_only_what_customers_may_see(
    live_node: LiveNode,
) -> None:
    cathy = client(live_node, "cathy", "customer")
    colin = client(live_node, "colin", "customer")
    bob = client(live_node, "bob")
    eve = client(live_node, "eve")
    for reader in (cathy, eve):
        reader.tag_follow("roadmap")

    public = post(live_node, bob, "Our #roadmap for next year")
    internal = post(live_node, bob, "Internal #roadmap details", "local")
    other_customer = post(live_node, colin, "What about #roadmap item 3?")

    cathy_home = home_ids(cathy)
    assert str(public["id"]) in cathy_home
    assert str(internal["id"]) not in cathy_home
    assert str(other_customer["id"]) not in cathy_home
    # The organisation sees all three
    eve_home = home_ids(eve)
    assert {str(public["id"]), str(internal["id"]), str(other_customer["id"])} <= set(eve_home)


def test_followed_tags_are_paged_with_link_headers(live_node: LiveNode) -> None:
    alice = client(live_node, "alice")
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    for name in names:
        alice.tag_follow(name)

    first = alice.followed_tags(limit=2)
    assert [tag["name"] for tag in first] == ["epsilon", "delta"]
    assert all(tag["following"] for tag in first)
    second = alice.fetch_next(first)
    assert second is not None
    assert [tag["name"] for tag in second] == ["gamma", "beta"]
    third = alice.fetch_next(second)
    assert third is not None
    assert [tag["name"] for tag in third] == ["alpha"]
    back = alice.fetch_previous(second)
    assert back is not None
    assert [tag["name"] for tag in back] == ["epsilon", "delta"]
    # Unfollowing removes it from the list
    alice.tag_unfollow("gamma")
    assert [tag["name"] for tag in alice.followed_tags()] == ["epsilon", "delta", "beta", "alpha"]


def test_a_remote_post_with_a_followed_tag_arrives_home(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, ann = client(a, "alice"), client(a, "ann")
    bob = client(b, "bob")
    # Given ann (not alice) follows bob@b.test, so his posts come to a.test; alice follows #launch
    (found,) = ann.search_v2("@bob@b.test", resolve=True, result_type="accounts")["accounts"]
    ann.account_follow(found["id"])
    network.settle()
    alice.tag_follow("launch")

    # When bob posts with the tag, and without it
    tagged = bob.status_post("Partners ship too #launch")
    untagged = bob.status_post("Nothing to see")
    network.settle()

    # Then alice's home has the tagged one, not the other
    uris = [status["uri"] for status in alice.timeline_home()]
    assert tagged["uri"] in uris
    assert untagged["uri"] not in uris
    assert untagged["uri"] in [status["uri"] for status in ann.timeline_home()]

    # And after unfollowing the tag, the next one does not come
    alice.tag_unfollow("launch")
    later = bob.status_post("Again #launch")
    network.settle()
    assert later["uri"] not in [status["uri"] for status in alice.timeline_home()]
