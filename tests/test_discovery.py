"""WebFinger, host-meta and NodeInfo over a real socket, and the WebFinger resource parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from actors.accounts import do_set_disabled, get_member
from actors.profiles import adjust_stats
from actors.site import Site
from federation.nodeinfo import NodeUsage, Software, nodeinfo_document
from federation.webfinger import AccountHandle, ResourceError, parse_resource
from tests.conftest import TEST_DOMAIN, MakeMember
from web.app import create_app
from web.config import WebConfig

ACTIVITY_JSON = "application/activity+json"
NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
XRD_NS = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"


# --- The resource parser -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:alice@rukun.test", ("alice", "rukun.test")),
        ("ACCT:Alice@Rukun.Test", ("Alice", "rukun.test")),
        ("alice@rukun.test", ("alice", "rukun.test")),
        ("@alice@rukun.test", ("alice", "rukun.test")),
        ("acct:@alice@rukun.test", ("alice", "rukun.test")),
        ("  acct:alice@rukun.test\n", ("alice", "rukun.test")),
        ("acct:alice@localhost:8080", ("alice", "localhost:8080")),
        ("acct:alice@[::1]:8080", ("alice", "[::1]:8080")),
        ("https://rukun.test/users/alice", ("alice", "rukun.test")),
        ("https://rukun.test/users/alice/", ("alice", "rukun.test")),
        ("https://rukun.test/@alice", ("alice", "rukun.test")),
        ("HTTP://Rukun.Test:8443/@Alice", ("Alice", "rukun.test:8443")),
        ("https://rukun.test/actor", ("rukun.test", "rukun.test")),
        ("acct:rukun.test@rukun.test", ("rukun.test", "rukun.test")),
    ],
)
def test_parse_resource_accepts_every_form_servers_send(
    resource: str, expected: tuple[str, str]
) -> None:
    assert parse_resource(resource) == AccountHandle(*expected)


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "   ",
        "alice",
        "acct:alice",
        "acct:@rukun.test",
        "acct:alice@",
        "acct:alice@rukun test",
        "acct:alice@-rukun.test",
        "acct:al ice@rukun.test",
        "acct:a/b@rukun.test",
        "https://rukun.test/",
        "https://rukun.test/users/",
        "https://rukun.test/users/alice/outbox",
        "https://rukun.test/statuses/1",
        "https://rukun.test/users/alice#main-key",
        "https://rukun.test/@alice?x=1",
        "https://eve@rukun.test/@alice",
        "ftp://rukun.test/users/alice",
        "acct:" + "a" * 2000 + "@rukun.test",
    ],
)
def test_parse_resource_refuses_garbage_with_a_clear_error(resource: str) -> None:
    with pytest.raises(ResourceError) as raised:
        parse_resource(resource)
    assert str(raised.value)


def test_nodeinfo_document_withholds_counts_but_keeps_the_required_shape() -> None:
    software = Software("rukun", "1.2.3", repository="https://example.org/rukun")
    usage = NodeUsage(3, 2, 1, 0)
    assert nodeinfo_document("2.0", software=software, node_name="n", usage=usage)["software"] == {
        "name": "rukun",
        "version": "1.2.3",
    }
    hidden = nodeinfo_document("2.1", software=software, node_name="n", usage=None)
    assert hidden["usage"] == {"users": {}}
    assert hidden["software"]["repository"] == "https://example.org/rukun"


# --- WebFinger -----------------------------------------------------------------------------


async def _webfinger(client: TestClient, resource: str | None) -> tuple[int, dict[str, Any]]:
    params = {} if resource is None else {"resource": resource}
    response = await client.get("/.well-known/webfinger", params=params)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.status, await response.json(content_type=None)


async def test_webfinger_answers_a_jrd_for_a_member(
    client: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")

    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:alice@rukun.test"}
    )

    assert response.status == 200
    assert response.content_type == "application/jrd+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    jrd = await response.json(content_type=None)
    assert jrd["subject"] == "acct:alice@rukun.test"
    assert jrd["aliases"] == ["https://rukun.test/users/alice", "https://rukun.test/@alice"]
    links = {link["rel"]: link for link in jrd["links"]}
    assert links["self"] == {
        "rel": "self",
        "type": ACTIVITY_JSON,
        "href": "https://rukun.test/users/alice",
    }
    assert links["http://webfinger.net/rel/profile-page"] == {
        "rel": "http://webfinger.net/rel/profile-page",
        "type": "text/html",
        "href": "https://rukun.test/@alice",
    }
    assert links["http://ostatus.org/schema/1.0/subscribe"]["template"] == (
        "https://rukun.test/authorize_interaction?uri={uri}"
    )


@pytest.mark.parametrize(
    "resource",
    [
        "acct:ALICE@RUKUN.TEST",
        "Alice@rukun.test",
        "@alice@rukun.test",
        "https://rukun.test/users/Alice",
        "https://rukun.test/@alice",
    ],
)
async def test_webfinger_finds_a_member_by_any_resource_form_and_case(
    client: TestClient, make_member: MakeMember, resource: str
) -> None:
    await make_member("alice")

    status, jrd = await _webfinger(client, resource)

    assert status == 200
    assert jrd["subject"] == "acct:alice@rukun.test"  # the stored name, not the one asked for


@pytest.mark.parametrize("resource", ["acct:rukun.test@rukun.test", "https://rukun.test/actor"])
async def test_webfinger_finds_the_instance_actor_like_mastodon(
    client: TestClient, resource: str
) -> None:
    status, jrd = await _webfinger(client, resource)

    assert status == 200
    assert jrd["subject"] == "acct:rukun.test@rukun.test"
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link["href"] == "https://rukun.test/actor"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@rukun.test",
        "acct:alice@elsewhere.test",
        "https://elsewhere.test/users/alice",
        "acct:instance.actor@rukun.test",
    ],
)
async def test_webfinger_answers_404_json_for_unknown_and_foreign_accounts(
    client: TestClient, make_member: MakeMember, resource: str
) -> None:
    await make_member("alice")

    status, body = await _webfinger(client, resource)

    assert status == 404
    assert body == {"error": "Record not found"}


async def test_webfinger_hides_a_disabled_member(
    client: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("alice")
    async with pool.acquire() as conn:
        await do_set_disabled(conn, "alice", True)

    status, _ = await _webfinger(client, "acct:alice@rukun.test")

    assert status == 404


@pytest.mark.parametrize("resource", [None, "", "acct:nobody", "https://rukun.test/statuses/1"])
async def test_webfinger_answers_400_json_for_a_missing_or_garbled_resource(
    client: TestClient, resource: str | None
) -> None:
    status, body = await _webfinger(client, resource)

    assert status == 400
    assert isinstance(body["error"], str) and body["error"]


# --- host-meta -----------------------------------------------------------------------------


async def test_host_meta_is_xrd_with_the_webfinger_template(client: TestClient) -> None:
    response = await client.get("/.well-known/host-meta")

    assert response.status == 200
    assert response.content_type == "application/xrd+xml"
    root = ET.fromstring(await response.text())
    assert root.tag == f"{XRD_NS}XRD"
    link = root.find(f"{XRD_NS}Link")
    assert link is not None
    assert link.get("rel") == "lrdd"
    assert link.get("template") == "https://rukun.test/.well-known/webfinger?resource={uri}"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/.well-known/host-meta?format=json", {}),
        ("/.well-known/host-meta", {"Accept": "application/json"}),
        ("/.well-known/host-meta", {"Accept": "application/jrd+json, application/xrd+xml;q=0.5"}),
        ("/.well-known/host-meta.json", {}),
    ],
)
async def test_host_meta_json(client: TestClient, path: str, headers: dict[str, str]) -> None:
    response = await client.get(path, headers=headers)

    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == {
        "links": [
            {"rel": "lrdd", "template": "https://rukun.test/.well-known/webfinger?resource={uri}"}
        ]
    }


async def test_host_meta_stays_xml_for_clients_preferring_it(client: TestClient) -> None:
    response = await client.get(
        "/.well-known/host-meta", headers={"Accept": "application/xrd+xml, application/json;q=0.5"}
    )
    assert response.content_type == "application/xrd+xml"


# --- NodeInfo ------------------------------------------------------------------------------


async def test_nodeinfo_discovery_links_both_schemas(client: TestClient) -> None:
    response = await client.get("/.well-known/nodeinfo")

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await response.json() == {
        "links": [
            {"rel": NODEINFO_20, "href": "https://rukun.test/nodeinfo/2.0"},
            {"rel": NODEINFO_21, "href": "https://rukun.test/nodeinfo/2.1"},
        ]
    }


async def _members_with_activity(make_member: MakeMember, pool: asyncpg.Pool) -> None:
    """Four members: one signed in today (with two posts), one 100 days ago, one never, one
    disabled."""
    for name in ("recent", "older", "never", "gone"):
        await make_member(name)
    async with pool.acquire() as conn:
        await conn.execute(
            """UPDATE users SET last_sign_in_at = CASE a.username
                   WHEN 'recent' THEN now() - interval '1 hour'
                   WHEN 'older' THEN now() - interval '100 days'
                   WHEN 'gone' THEN now() END
               FROM accounts a WHERE a.id = users.account_id"""
        )
        await do_set_disabled(conn, "gone", True)
        recent = await get_member(conn, "recent")
        assert recent is not None
        await adjust_stats(conn, recent.account.id, statuses=2)


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo_document_counts_members(
    client: TestClient, make_member: MakeMember, pool: asyncpg.Pool, version: str
) -> None:
    await _members_with_activity(make_member, pool)

    response = await client.get(f"/nodeinfo/{version}")

    assert response.status == 200
    assert response.headers["Content-Type"] == (
        f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    )
    document = await response.json(content_type=None)
    assert document["version"] == version
    assert document["software"]["name"] == "rukun"
    assert document["software"]["version"] == "0.1.0"
    assert document["protocols"] == ["activitypub"]
    assert document["services"] == {"inbound": [], "outbound": []}
    assert document["openRegistrations"] is False
    # The instance actor is no member, and the disabled member is not counted.
    assert document["usage"] == {
        "users": {"total": 3, "activeMonth": 1, "activeHalfyear": 2},
        "localPosts": 2,
    }
    assert document["metadata"]["nodeName"] == TEST_DOMAIN
    assert document["metadata"]["upstream"]["name"] == "mastodon"


@pytest.fixture
async def hidden_counts_client(site: Site, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    app = create_app(WebConfig(site=site, show_usage_counts=False), pool)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo_hides_counts_when_configured(
    hidden_counts_client: TestClient, make_member: MakeMember, pool: asyncpg.Pool, version: str
) -> None:
    await _members_with_activity(make_member, pool)

    response = await hidden_counts_client.get(f"/nodeinfo/{version}")

    document = await response.json(content_type=None)
    assert response.status == 200
    assert document["usage"] == {"users": {}}
    assert document["metadata"]["upstream"] == {"name": "mastodon"}
