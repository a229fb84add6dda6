"""Every operation Mastodon documents answers JSON in Mastodon's shape — implemented or not —
and the placeholders for features still to come answer what apps can live with."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from aiohttp import web

from tests.live import LiveNode
from tests.shared_files import MASTODON_API_OPERATIONS
from web.mastodon import unimplemented

# The documented operations as [file, method, path, status, title], from Mastodon's docs.
OPERATIONS = MASTODON_API_OPERATIONS
# Pages for people, not apps: Mastodon answers these with HTML too.
HTML_PAGES = {("GET", "/oauth/authorize")}


def operations() -> list[tuple[str, str]]:
    listed = json.loads(OPERATIONS.read_text(encoding="utf-8"))
    return [(method, path) for _file, method, path, _status, _title in listed]


def concrete(path: str) -> str:
    """`/api/v1/lists/:id/accounts` → `/api/v1/lists/1/accounts` (and `?url=:url` likewise)."""
    return re.sub(r":[a-z_]+", "1", path)


def call(
    node: LiveNode, method: str, path: str, token: str | None, **options: Any
) -> requests.Response:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, node.base_url + path, headers=headers, timeout=10, **options)


def test_every_documented_operation_answers_json(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice)
    walked = operations()
    assert len(walked) > 200
    failures = []
    for method, documented in walked:
        path = concrete(documented)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = call(live_node, method, path, token, json=body)
        problem = None
        if response.status_code >= 500:
            problem = f"status {response.status_code}"
        elif (method, documented) in HTML_PAGES:
            continue
        elif response.headers.get("Content-Type", "").split(";")[0] != "application/json":
            problem = f"content type {response.headers.get('Content-Type')!r}"
        else:
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            if not isinstance(parsed, list | dict):
                problem = f"body {response.text[:80]!r}"
            elif response.status_code >= 400 and not (
                isinstance(parsed, dict) and isinstance(parsed.get("error"), str)
            ):
                problem = f"error body {parsed!r}"
        if problem:
            failures.append(f"{method} {path}: {problem}")
    assert failures == []


STARTUP_PROBES = (
    "/api/v1/filters",
    "/api/v2/filters",
    "/api/v1/lists",
    "/api/v1/announcements",
    "/api/v1/followed_tags",
    "/api/v1/featured_tags",
    "/api/v1/endorsements",
    "/api/v1/scheduled_statuses",
    "/api/v1/domain_blocks",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v1/trends/links",
    "/api/v2/suggestions",
    "/api/v1/notifications/requests",
)


def test_collections_apps_probe_at_start_are_empty_lists(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"))
    for path in STARTUP_PROBES:
        response = call(live_node, "GET", path, token)
        assert response.status_code == 200, path
        assert response.json() == [], path
        assert response.headers["Content-Type"].startswith("application/json")
        anonymous = call(live_node, "GET", path, None)
        assert anonymous.status_code == 401, path
        assert anonymous.json() == {"error": "The access token is invalid"}


def test_through_mastodon_py(live_node: LiveNode) -> None:
    api = live_node.mastodon(live_node.token(live_node.member("alice")))
    assert api.filters_v2() == []
    assert api.lists() == []
    assert api.announcements() == []
    assert api.followed_tags() == []
    assert api.featured_tags() == []
    assert api.endorsements() == []
    assert api.scheduled_statuses() == []
    assert api.domain_blocks() == []
    assert api.trending_tags() == []
    assert api.suggestions() == []
    assert api.notification_requests() == []
    policy = api.notifications_policy()
    assert policy["for_private_mentions"] == "accept"
    assert policy["summary"]["pending_requests_count"] == 0
    assert api.notifications_merged() is True


def test_single_records_are_not_found_and_new_ones_not_available(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"))
    for method, path in (
        ("GET", "/api/v1/lists/1"),
        ("GET", "/api/v2/filters/1"),
        ("GET", "/api/v1/polls/1"),
        ("GET", "/api/v1/push/subscription"),
        ("DELETE", "/api/v1/scheduled_statuses/1"),
        ("GET", "/api/v1/streaming/health"),
        ("GET", "/api/v1/accounts/1/featured_tags"),
        ("GET", "/api/v1/tags/nothing-like-this"),
        ("GET", "/api/v1/no/such/thing"),
        ("POST", "/api/v3/anything"),
    ):
        response = call(live_node, method, path, token)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}, path
    for method, path in (
        ("POST", "/api/v1/lists"),
        ("POST", "/api/v2/filters"),
        ("POST", "/api/v1/push/subscription"),
        ("GET", "/api/v1/conversations"),
    ):
        response = call(live_node, method, path, token, json={"title": "x"})
        assert response.status_code == 422, path
        assert response.json() == {"error": "This feature is not available on this server yet"}
    # Undoing what cannot exist succeeds, as in Mastodon
    assert call(live_node, "DELETE", "/api/v1/push/subscription", token).json() == {}
    assert call(live_node, "DELETE", "/api/v1/domain_blocks", token).json() == {}


def test_a_known_hashtag_is_shown(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = live_node.mastodon(live_node.token(alice))
    api.status_post("hello #Rukun")
    tag = api.tag("rukun")
    assert tag["name"] == "Rukun"
    assert tag["url"] == "https://rukun.test/tags/rukun"
    assert tag["following"] is False
    assert api.tag_unfollow("rukun")["following"] is False


def test_the_admin_api_needs_admin_scopes_and_staff(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    boss = live_node.member("boss", role="admin")
    plain = live_node.token(alice)
    refused = call(live_node, "GET", "/api/v1/admin/accounts", plain)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    not_staff = call(
        live_node, "GET", "/api/v1/admin/accounts", live_node.token(alice, "admin:read")
    )
    assert not_staff.status_code == 403
    assert not_staff.json() == {"error": "This action is not allowed"}
    staff = live_node.token(boss, "admin:read admin:write")
    for method, path in (("POST", "/api/v1/admin/dimensions"), ("POST", "/api/v1/admin/measures")):
        response = call(live_node, method, path, staff, json={})
        assert response.status_code == 422
        assert response.json() == {"error": "This feature is not available on this server yet"}


async def _real(request: web.Request) -> web.Response:
    return web.json_response(["real"])


@pytest.mark.parametrize("path", ["/api/v1/lists", "/api/v1/lists/{list_id:\\d+}"])
def test_placeholders_give_way_to_real_routes(path: str) -> None:
    app = web.Application()
    app.router.add_route("GET", path, _real)
    unimplemented.setup(app)
    shape = unimplemented.path_shape(path)
    handlers = [
        route.handler
        for route in app.router.routes()
        if route.method == "GET" and unimplemented.path_shape(route.resource.canonical) == shape
    ]
    assert handlers == [_real]
