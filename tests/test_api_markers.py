"""Read markers through Mastodon.py against a live node, and the form, JSON and bad-input
cases through raw HTTP."""

from __future__ import annotations

from typing import Any

import requests

from tests.live import LiveNode


def raw(node: LiveNode, method: str, token: str | None, **options: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, node.base_url + "/api/v1/markers", headers=headers, timeout=10, **options
    )


def test_markers_are_saved_read_and_versioned(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = live_node.mastodon(live_node.token(alice))
    assert api.markers_get(["home", "notifications"]) == {}

    saved = api.markers_set(["home", "notifications"], [111, 222])
    assert str(saved["home"]["last_read_id"]) == "111"
    assert str(saved["notifications"]["last_read_id"]) == "222"
    assert saved["home"]["version"] == 1
    assert saved["home"]["updated_at"] is not None

    # the same position again changes nothing; a new one counts a version
    assert api.markers_set("home", 111)["home"]["version"] == 1
    moved = api.markers_set("home", 333)
    assert list(moved) == ["home"]
    assert str(moved["home"]["last_read_id"]) == "333"
    assert moved["home"]["version"] == 2

    both = api.markers_get(["home", "notifications"])
    assert str(both["home"]["last_read_id"]) == "333"
    assert both["home"]["version"] == 2
    assert str(both["notifications"]["last_read_id"]) == "222"
    assert list(api.markers_get("notifications")) == ["notifications"]

    # Markers are the member's own
    bob = live_node.member("bob")
    assert live_node.mastodon(live_node.token(bob)).markers_get(["home", "notifications"]) == {}


def test_markers_accept_forms_and_json_and_refuse_bad_input(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"))
    form = raw(live_node, "POST", token, data={"home[last_read_id]": "101"})
    assert form.status_code == 200
    assert form.json()["home"]["last_read_id"] == "101"
    posted = raw(live_node, "POST", token, json={"notifications": {"last_read_id": 202}})
    assert posted.json()["notifications"]["last_read_id"] == "202"
    # unknown timelines are ignored, as Mastodon does; nothing named answers an empty object
    assert raw(live_node, "POST", token, json={"lists": {"last_read_id": "1"}}).json() == {}
    listed = raw(live_node, "GET", token, params={"timeline[]": ["home", "notifications", "other"]})
    assert set(listed.json()) == {"home", "notifications"}
    assert raw(live_node, "GET", token).json() == {}

    for body in (
        {"home": {"last_read_id": "newest"}},
        {"home": {}},
        {"home": "101"},
    ):
        refused = raw(live_node, "POST", token, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["error"].startswith("Validation failed")
    broken = requests.post(
        live_node.base_url + "/api/v1/markers",
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code == 400
    assert "error" in broken.json()


def test_markers_need_the_statuses_scopes(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    notifications_only = live_node.token(alice, "read:notifications write:notifications")
    reader = live_node.token(alice, "read:statuses")
    assert raw(live_node, "GET", None).status_code == 401
    assert raw(live_node, "POST", None, json={"home": {"last_read_id": "1"}}).status_code == 401
    for method in ("GET", "POST"):
        refused = raw(live_node, method, notifications_only, json={})
        assert refused.status_code == 403
        assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert raw(live_node, "GET", reader).status_code == 200
    assert raw(live_node, "POST", reader, json={}).status_code == 403
