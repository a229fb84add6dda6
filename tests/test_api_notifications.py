"""Notifications through Mastodon.py against a live node: the entity, filters by type and
account, paging with the Link header, one notification, dismissing and clearing, the unread
count against the marker, grouped (v2) notifications, and what read-time filtering hides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from mastodon import Mastodon

from actors.accounts import Member
from tests.live import LiveNode

BASE = "https://rukun.test"


@dataclass
class Person:
    member: Member
    token: str
    api: Mastodon

    @property
    def id(self) -> int:
        return self.member.account.id


def person(node: LiveNode, name: str, scopes: str = "read write follow push") -> Person:
    member = node.member(name)
    token = node.token(member, scopes)
    return Person(member, token, node.mastodon(token))


def kinds(notifications: list[Any]) -> list[str]:
    return [n["type"] for n in notifications]


def raw(
    node: LiveNode, method: str, path: str, token: str | None, **params: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, node.base_url + path, params=params, headers=headers, timeout=10
    )


def busy_morning(node: LiveNode) -> tuple[Person, Person, Person, dict[str, Any]]:
    """bob follows alice (with notifications of her posts), mentions her, favourites and boosts
    her status; alice subscribes to bob's posts; carol mentions alice."""
    alice, bob, carol = (person(node, n) for n in ("alice", "bob", "carol"))
    hers = alice.api.status_post("alice's news")
    bob.api.account_follow(alice.id)
    alice.api.account_follow(bob.id, notify=True)
    mention = bob.api.status_post("@alice have you seen this?")
    bob.api.status_favourite(hers["id"])
    bob.api.status_reblog(hers["id"])
    posted = bob.api.status_post("bob's news")
    by_carol = carol.api.status_post("@alice hello from carol")
    return (
        alice,
        bob,
        carol,
        {"hers": hers, "mention": mention, "posted": posted, "carol": by_carol},
    )


def test_notifications_list_the_entity_and_filters(live_node: LiveNode) -> None:
    alice, bob, carol, posts = busy_morning(live_node)

    everything = alice.api.notifications()
    assert kinds(everything) == ["mention", "status", "reblog", "favourite", "mention", "follow"]
    newest = everything[0]
    assert str(newest["account"]["id"]) == str(carol.id)
    assert str(newest["status"]["id"]) == str(posts["carol"]["id"])
    assert newest["group_key"] == f"ungrouped-{newest['id']}"
    follow = everything[-1]
    assert str(follow["account"]["id"]) == str(bob.id)
    assert follow["status"] is None
    reblog = everything[2]
    assert str(reblog["status"]["id"]) == str(posts["hers"]["id"])
    assert reblog["status"]["reblog"] is None
    assert str(everything[1]["status"]["id"]) == str(posts["posted"]["id"])

    # Mastodon's serializer leaves `status` out for follows (Mastodon.py fills in None)
    raw_follow = raw(live_node, "GET", f"/api/v1/notifications/{follow['id']}", alice.token)
    assert "status" not in raw_follow.json()
    assert "report" not in raw_follow.json()

    assert kinds(alice.api.notifications(types=["mention"])) == ["mention", "mention"]
    assert kinds(alice.api.notifications(exclude_types=["mention", "status", "follow"])) == [
        "reblog",
        "favourite",
    ]
    assert kinds(alice.api.notifications(types=["mention", "follow"], account_id=bob.id)) == [
        "mention",
        "follow",
    ]
    assert kinds(alice.api.notifications(account_id=carol.id)) == ["mention"]
    # bob had one from alice (the follow), carol none
    assert kinds(bob.api.notifications()) == ["follow"]
    assert carol.api.notifications() == []


def test_notifications_page_with_the_link_header(live_node: LiveNode) -> None:
    alice, _bob, _carol, _posts = busy_morning(live_node)
    all_ids = [str(n["id"]) for n in alice.api.notifications()]

    first = alice.api.notifications(limit=2, exclude_types=["status"])
    second = alice.api.fetch_next(first)
    assert kinds(first) == ["mention", "reblog"]
    assert kinds(second) == ["favourite", "mention"]
    assert kinds(alice.api.fetch_next(second)) == ["follow"]
    assert kinds(alice.api.fetch_previous(second)) == ["mention", "reblog"]

    response = raw(
        live_node,
        "GET",
        "/api/v1/notifications",
        alice.token,
        limit=2,
        **{"types[]": ["mention", "status"]},
    )
    assert [n["id"] for n in response.json()] == all_ids[:2]
    query = "limit=2&types%5B%5D=mention&types%5B%5D=status"
    assert response.headers["Link"] == (
        f'<{BASE}/api/v1/notifications?{query}&max_id={all_ids[1]}>; rel="next", '
        f'<{BASE}/api/v1/notifications?{query}&min_id={all_ids[0]}>; rel="prev"'
    )
    # since_id and min_id as in Mastodon
    assert [n["id"] for n in alice.api.notifications(since_id=all_ids[3], limit=1)] == [all_ids[0]]
    assert [n["id"] for n in alice.api.notifications(min_id=all_ids[3], limit=1)] == [all_ids[2]]


def test_one_notification_dismiss_and_clear(live_node: LiveNode) -> None:
    alice, bob, _carol, _posts = busy_morning(live_node)
    listed = alice.api.notifications()
    one = alice.api.notifications(id=listed[2]["id"])
    assert one["type"] == "reblog"
    assert str(one["id"]) == str(listed[2]["id"])

    # Someone else's notification is not found
    theirs = bob.api.notifications()[0]
    missing = raw(live_node, "GET", f"/api/v1/notifications/{theirs['id']}", alice.token)
    assert missing.status_code == 404
    assert missing.json() == {"error": "Record not found"}
    refused = raw(live_node, "POST", f"/api/v1/notifications/{theirs['id']}/dismiss", alice.token)
    assert refused.status_code == 404
    assert len(bob.api.notifications()) == 1

    alice.api.notifications_dismiss(listed[2]["id"])
    assert [n["id"] for n in alice.api.notifications()] == [
        n["id"] for i, n in enumerate(listed) if i != 2
    ]
    again = raw(live_node, "POST", f"/api/v1/notifications/{listed[2]['id']}/dismiss", alice.token)
    assert again.status_code == 404

    alice.api.notifications_clear()
    assert alice.api.notifications() == []
    assert len(bob.api.notifications()) == 1


def test_unread_count_follows_the_notifications_marker(live_node: LiveNode) -> None:
    alice, _bob, _carol, _posts = busy_morning(live_node)
    listed = alice.api.notifications()
    assert alice.api.notifications_unread_count()["count"] == 6

    alice.api.markers_set("notifications", listed[2]["id"])
    assert alice.api.notifications_unread_count()["count"] == 2

    def count(**params: Any) -> int:
        response = raw(
            live_node, "GET", "/api/v1/notifications/unread_count", alice.token, **params
        )
        assert response.status_code == 200
        return int(response.json()["count"])

    assert count(limit=1) == 1
    assert count(limit=5000) == 2  # capped at 1000, more than there are
    assert count(**{"types[]": ["mention"]}) == 1
    assert count(**{"exclude_types[]": ["mention"]}) == 1
    alice.api.markers_set("notifications", listed[0]["id"])
    assert alice.api.notifications_unread_count()["count"] == 0


def test_read_time_filtering_hides_what_the_recipient_should_not_see(
    live_node: LiveNode,
) -> None:
    alice, bob, carol, posts = busy_morning(live_node)
    assert len(alice.api.notifications()) == 6

    # Muting with notifications hides the sender's notifications everywhere, until unmuted
    from_bob = alice.api.notifications(account_id=bob.id)[0]["id"]
    alice.api.account_mute(bob.id)
    shown = alice.api.notifications()
    assert kinds(shown) == ["mention"]
    assert str(shown[0]["account"]["id"]) == str(carol.id)
    assert alice.api.notifications(account_id=bob.id) == []
    hidden = raw(live_node, "GET", f"/api/v1/notifications/{from_bob}", alice.token)
    assert hidden.status_code == 404
    assert alice.api.notifications_unread_count()["count"] == 1
    alice.api.account_unmute(bob.id)
    assert len(alice.api.notifications()) == 6
    # A mute that keeps notifications hides nothing here
    alice.api.account_mute(bob.id, notifications=False)
    assert len(alice.api.notifications()) == 6
    alice.api.account_unmute(bob.id)

    # A status the recipient can no longer see takes its notification with it: alice asked
    # for bob's posts, bob posts for followers, alice unfollows
    private = bob.api.status_post("for my followers", visibility="private")
    about = alice.api.notifications(types=["status"])[0]
    assert str(about["status"]["id"]) == str(private["id"])
    alice.api.account_unfollow(bob.id)
    assert str(private["id"]) not in [
        str(n["status"]["id"]) for n in alice.api.notifications(types=["status"])
    ]
    gone = raw(live_node, "GET", f"/api/v1/notifications/{about['id']}", alice.token)
    assert gone.status_code == 404

    # A deleted status takes its mention away
    carol.api.status_delete(posts["carol"]["id"])
    assert str(carol.id) not in [str(n["account"]["id"]) for n in alice.api.notifications()]

    # Blocking the sender hides everything from them
    alice.api.account_block(bob.id)
    assert alice.api.notifications() == []


def test_grouped_notifications_put_each_in_its_own_group(live_node: LiveNode) -> None:
    alice, bob, carol, posts = busy_morning(live_node)
    listed = alice.api.notifications()
    grouped = alice.api.grouped_notifications(limit=3)
    groups = grouped["notification_groups"]
    assert [g["group_key"] for g in groups] == [f"ungrouped-{n['id']}" for n in listed[:3]]
    assert [g["type"] for g in groups] == ["mention", "status", "reblog"]
    assert all(g["notifications_count"] == 1 for g in groups)
    assert str(groups[0]["sample_account_ids"][0]) == str(carol.id)
    assert str(groups[0]["status_id"]) == str(posts["carol"]["id"])
    assert {str(a["id"]) for a in grouped["accounts"]} == {str(bob.id), str(carol.id)}
    assert {str(s["id"]) for s in grouped["statuses"]} == {
        str(posts["carol"]["id"]),
        str(posts["posted"]["id"]),
        str(posts["hers"]["id"]),
    }
    more = alice.api.fetch_next(grouped)
    assert [g["type"] for g in more["notification_groups"]] == ["favourite", "mention", "follow"]

    key = groups[2]["group_key"]
    one = alice.api.grouped_notification(key)
    assert [g["group_key"] for g in one["notification_groups"]] == [key]
    assert [str(a["id"]) for a in alice.api.grouped_notification_accounts(key)] == [str(bob.id)]
    alice.api.dismiss_grouped_notification(key)
    assert len(alice.api.notifications()) == 5
    assert alice.api.unread_grouped_notifications_count() == 5
    unknown = raw(live_node, "GET", "/api/v2/notifications/favourite-1-2", alice.token)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Record not found"}


def test_notifications_need_a_token_with_the_right_scope(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    reader = live_node.token(alice.member, "read:notifications")
    statuses_only = live_node.token(alice.member, "read:statuses write:statuses")
    reads = (
        "/api/v1/notifications",
        "/api/v1/notifications/1",
        "/api/v1/notifications/unread_count",
        "/api/v2/notifications",
    )
    writes = ("/api/v1/notifications/clear", "/api/v1/notifications/1/dismiss")
    for method, path in [("GET", p) for p in reads] + [("POST", p) for p in writes]:
        assert raw(live_node, method, path, None).status_code == 401, path
        refused = raw(live_node, method, path, statuses_only)
        assert refused.status_code == 403, path
        assert refused.json() == {"error": "This action is outside the authorized scopes"}
    for path in writes:
        assert raw(live_node, "POST", path, reader).status_code == 403
    assert raw(live_node, "GET", "/api/v1/notifications", reader).status_code == 200


def test_bad_notification_parameters(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    for params in ({"limit": "x"}, {"account_id": "bob"}, {"max_id": "1e9"}):
        response = raw(live_node, "GET", "/api/v1/notifications", alice.token, **params)
        assert response.status_code == 422, params
        assert "error" in response.json()
    # Ids are numbers; anything else is a path Mastodon does not have
    for path in ("/api/v1/notifications/abc", "/api/v1/notifications/99999999999999999999999"):
        response = raw(live_node, "GET", path, alice.token)
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    # limit is capped at 80
    assert (
        raw(live_node, "GET", "/api/v1/notifications", alice.token, limit=1000).status_code == 200
    )
