"""Announcements: admins publish them through Rukun's admin API; members read, dismiss and
react through Mastodon's API (Mastodon.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.live import LiveNode

ADMIN = "/api/v1/rukun/admin/announcements"
ADMIN_SCOPES = "read write follow push admin:read admin:write"


def admin_call(
    node: LiveNode, token: str, method: str, path: str = ADMIN, **body: Any
) -> requests.Response:
    return requests.request(
        method,
        f"{node.base_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        json=body or None,
        timeout=10,
    )


def client(node: LiveNode, username: str, role: str = "employee") -> Mastodon:
    member = node.member(username, role)
    return node.mastodon(node.token(member), version_check_mode="none")


def test_admins_publish_and_members_read_dismiss_and_react(live_node: LiveNode) -> None:
    admin_token = live_node.token(live_node.member("ada", "admin"), ADMIN_SCOPES)
    alice, bob = client(live_node, "alice"), client(live_node, "bob")

    # Given an announcement now, one scheduled for tomorrow and an unpublished draft
    created = admin_call(
        live_node,
        admin_token,
        "POST",
        text="Office closed Friday, ask @alice <b>#facilities</b> https://example.com/x",
    )
    assert created.status_code == 200, created.text
    now = created.json()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = admin_call(
        live_node, admin_token, "POST", text="Town hall", starts_at=tomorrow, all_day=True
    ).json()
    draft = admin_call(live_node, admin_token, "POST", text="Draft", published=False).json()
    assert draft["published"] is False and draft["published_at"] is None

    # Then members see only the current one, rendered like a status
    (shown,) = alice.announcements()
    assert shown["id"] == now["id"]
    assert "&lt;b&gt;" in shown["content"] and "<b>" not in shown["content"]
    assert 'rel="tag"' in shown["content"] and "https://example.com/x" in shown["content"]
    assert [m["acct"] for m in shown["mentions"]] == ["alice"]
    assert [t["name"] for t in shown["tags"]] == ["facilities"]
    assert shown["read"] is False and shown["reactions"] == []
    assert shown["statuses"] == [] and shown["emojis"] == []
    assert shown["published_at"] is not None and shown["starts_at"] is None
    # The admins' list has all three
    listed = admin_call(live_node, admin_token, "GET").json()
    assert {a["id"] for a in listed} == {now["id"], later["id"], draft["id"]}

    # When alice reacts twice and bob once
    alice.announcement_reaction_create(now["id"], "👍")
    alice.announcement_reaction_create(now["id"], "🎉")
    bob.announcement_reaction_create(now["id"], "👍")
    bob.announcement_reaction_create(now["id"], "👍")  # again: still one
    reactions = {r["name"]: r for r in alice.announcements()[0]["reactions"]}
    assert (reactions["👍"]["count"], reactions["👍"]["me"]) == (2, True)
    assert (reactions["🎉"]["count"], reactions["🎉"]["me"]) == (1, True)
    bob_view = {r["name"]: r for r in bob.announcements()[0]["reactions"]}
    assert bob_view["🎉"]["me"] is False
    alice.announcement_reaction_delete(now["id"], "👍")
    reactions = {r["name"]: r for r in alice.announcements()[0]["reactions"]}
    assert (reactions["👍"]["count"], reactions["👍"]["me"]) == (1, False)
    # An unknown custom emoji is refused as Mastodon refuses it
    try:
        alice.announcement_reaction_create(now["id"], "blobcat")
        raise AssertionError("an unknown emoji was accepted")
    except MastodonAPIError as error:
        assert error.args[1] == 422

    # When alice dismisses it, it is read for her only
    alice.announcement_dismiss(now["id"])
    alice.announcement_dismiss(now["id"])  # twice is fine
    assert alice.announcements() == []
    dismissed = requests.get(
        f"{live_node.base_url}/api/v1/announcements",
        params={"with_dismissed": "true"},
        headers={"Authorization": f"Bearer {alice.access_token}"},
        timeout=10,
    ).json()
    assert [(a["id"], a["read"]) for a in dismissed] == [(now["id"], True)]
    assert [(a["id"], a["read"]) for a in bob.announcements()] == [(now["id"], False)]

    # Editing: the scheduled one starts now, the draft gets published
    started = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    edited = admin_call(
        live_node,
        admin_token,
        "PUT",
        f"{ADMIN}/{later['id']}",
        text="Town hall now",
        starts_at=started,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "<p>Town hall now</p>"
    admin_call(live_node, admin_token, "PUT", f"{ADMIN}/{draft['id']}", text="Published draft")
    # In Mastodon's order: by start (a minute ago), else publication
    assert [a["id"] for a in bob.announcements()] == [later["id"], now["id"], draft["id"]]
    # An announcement that ended is no longer shown
    ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    admin_call(
        live_node,
        admin_token,
        "PUT",
        f"{ADMIN}/{draft['id']}",
        text="Over",
        ends_at=ended,
        starts_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    )
    assert [a["id"] for a in bob.announcements()] == [later["id"], now["id"]]

    # Deleting removes it (and its reactions) for everyone
    assert admin_call(live_node, admin_token, "DELETE", f"{ADMIN}/{now['id']}").json() == {}
    assert [a["id"] for a in bob.announcements()] == [later["id"]]
    try:
        bob.announcement_dismiss(now["id"])
        raise AssertionError("a deleted announcement was dismissed")
    except MastodonNotFoundError:
        pass
    assert admin_call(live_node, admin_token, "DELETE", f"{ADMIN}/{now['id']}").status_code == 404


def test_only_admins_manage_announcements(live_node: LiveNode) -> None:
    employee_token = live_node.token(live_node.member("eve"), ADMIN_SCOPES)
    moderator_token = live_node.token(live_node.member("mo", "moderator"), ADMIN_SCOPES)
    admin_plain = live_node.token(live_node.member("ada", "admin"))
    for token in (employee_token, moderator_token):
        refused = admin_call(live_node, token, "POST", text="Hello")
        assert refused.status_code == 403
        assert refused.json() == {"error": "This action is not allowed"}
    # An admin's token without admin scopes is refused too
    assert admin_call(live_node, admin_plain, "POST", text="Hello").status_code == 403
    assert admin_call(live_node, admin_plain, "GET").status_code == 403
    # Bad input: blank text, an end before the start, a date that is not one
    admin_token = live_node.token(live_node.member("root", "admin"), ADMIN_SCOPES)
    for body in (
        {"text": "  "},
        {"text": "x", "starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
        {"text": "x", "starts_at": "next tuesday"},
    ):
        response = admin_call(live_node, admin_token, "POST", **body)
        assert response.status_code == 422, body
        assert "error" in response.json()
    assert admin_call(live_node, admin_token, "GET").json() == []
    assert admin_call(live_node, admin_token, "PUT", f"{ADMIN}/1", text="x").status_code == 404
