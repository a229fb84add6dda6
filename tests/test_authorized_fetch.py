"""Authorized fetch: actors, statuses, activities and collections go only to allowed nodes
that sign their GET; an unsigned GET of an actor gets its key document, of anything else 401;
a node we do not federate with is told nothing (key document, or 404). Single-node tests sign
as a cached remote actor; the network tests let real nodes fetch from each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from actors.accounts import Member
from actors.partners import do_block_domain, do_remove_domain
from actors.profiles import adjust_stats
from actors.relationships import FollowOptions, insert_follow
from actors.remote import resolve_actor
from actors.site import Site
from content.compose import Draft
from content.statuses import Status
from federation.http_client import FetchNotFoundError
from federation.media_types import ACTIVITY_JSON
from federation.message_signatures import sign_message
from federation.signatures import sign_request
from outbox.interactions import do_pin, do_reblog
from outbox.posting import do_post
from tests.conftest import TEST_DOMAIN, MakeMember
from tests.federation_network import Network
from tests.signed_fetches import RemoteActor, remote_actor, signed_get, signed_headers
from web.app import create_app
from web.config import WebConfig

SITE = Site(TEST_DOMAIN, "https")
BASE = SITE.base_url
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
KEY_DOCUMENT_KEYS = {
    "@context",
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "endpoints",
    "publicKey",
}


@pytest.fixture
async def bob(pool: asyncpg.Pool) -> RemoteActor:
    """An actor of b.test, a partner."""
    async with pool.acquire() as conn:
        return await remote_actor(conn, "bob", "b.test")


@pytest.fixture
async def mallory(pool: asyncpg.Pool) -> RemoteActor:
    """An actor of evil.test, which this node has not allowed."""
    async with pool.acquire() as conn:
        return await remote_actor(conn, "mallory", "evil.test", allow=False)


@pytest.fixture
async def alice(make_member: MakeMember) -> Member:
    return await make_member("alice")


async def post(pool: asyncpg.Pool, member: Member, text: str, visibility: str = "public") -> Status:
    async with pool.acquire() as conn:
        return await do_post(conn, SITE, member.account.id, Draft(text=text, visibility=visibility))


async def follow(pool: asyncpg.Pool, follower_id: int, target_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        assert await insert_follow(conn, follower_id, target_id, FollowOptions())
        await adjust_stats(conn, follower_id, following=1)
        await adjust_stats(conn, target_id, followers=1)


async def get(client: TestClient, path: str, accept: str = ACTIVITY_JSON) -> aiohttp.ClientResponse:
    return await client.get(path, headers={"Accept": accept}, allow_redirects=False)


def status_path(member: Member, status: Status, suffix: str = "") -> str:
    return f"/users/{member.username}/statuses/{status.id}{suffix}"


# --- actors ---------------------------------------------------------------------------------


async def test_unsigned_actor_fetch_gets_only_the_key_document(
    client: TestClient, alice: Member
) -> None:
    response = await get(client, "/users/alice")

    assert response.status == 200
    assert response.headers["Vary"] == "Accept, Signature"
    assert response.headers["Cache-Control"] == "public, max-age=180"
    document = await response.json(content_type=None)
    assert set(document) == KEY_DOCUMENT_KEYS
    assert document["id"] == f"{BASE}/users/alice"
    assert document["type"] == "Person"
    assert document["preferredUsername"] == "alice"
    assert document["inbox"] == f"{BASE}/users/alice/inbox"
    assert document["publicKey"] == {
        "id": f"{BASE}/users/alice#main-key",
        "owner": f"{BASE}/users/alice",
        "publicKeyPem": alice.account.public_key_pem,
    }


async def test_an_allowed_signer_gets_the_whole_actor(
    client: TestClient, alice: Member, bob: RemoteActor
) -> None:
    status, document = await signed_get(client, bob, "/users/alice")

    assert status == 200
    assert document["followers"] == f"{BASE}/users/alice/followers"
    assert document["featured"] == f"{BASE}/users/alice/featured"
    assert "attachment" in document and "summary" in document


async def test_a_signer_we_do_not_federate_with_gets_the_key_document(
    client: TestClient, alice: Member, mallory: RemoteActor
) -> None:
    status, document = await signed_get(client, mallory, "/users/alice")

    assert status == 200
    assert set(document) == KEY_DOCUMENT_KEYS


async def test_the_policy_is_checked_before_any_key_is_fetched(
    client: TestClient, alice: Member, bob: RemoteActor
) -> None:
    # A signer of a domain that is neither cached nor allowed: fetching its key would fail
    # (nothing answers for stranger.test), so a 200 shows no fetch was tried.
    stranger = RemoteActor(
        0,
        "https://stranger.test/users/x",
        "https://stranger.test/users/x#main-key",
        bob.private_key_pem,
        "stranger.test",
    )

    status, document = await signed_get(client, stranger, "/users/alice")

    assert status == 200
    assert set(document) == KEY_DOCUMENT_KEYS


async def test_a_bad_signature_is_refused(
    client: TestClient, alice: Member, bob: RemoteActor, mallory: RemoteActor
) -> None:
    # bob's key id, signed with another key
    forged = RemoteActor(bob.account_id, bob.uri, bob.key_id, mallory.private_key_pem, bob.domain)
    status, body = await signed_get(client, forged, "/users/alice")
    assert status == 401
    assert "does not verify" in str(body["error"])

    headers = {"Accept": ACTIVITY_JSON}
    headers.update(
        sign_request(
            "GET",
            str(client.make_url("/users/alice")),
            headers,
            None,
            key_id=bob.key_id,
            private_key_pem=bob.private_key_pem,
            now=datetime.now(UTC) - timedelta(hours=3),
        )
    )
    stale = await client.get("/users/alice", headers=headers)
    assert stale.status == 401
    assert set(await stale.json()) == {"error"}


async def test_the_instance_actor_is_public(client: TestClient) -> None:
    response = await get(client, "/actor")

    assert response.status == 200
    document = await response.json(content_type=None)
    assert document["type"] == "Application"
    assert document["outbox"] == f"{BASE}/actor/outbox"
    outbox = await get(client, "/actor/outbox")
    assert outbox.status == 200
    collection = await outbox.json(content_type=None)
    assert (collection["id"], collection["totalItems"]) == (f"{BASE}/actor/outbox", 0)


# --- statuses -------------------------------------------------------------------------------


async def test_a_status_needs_a_signature_from_an_allowed_node(
    client: TestClient,
    pool: asyncpg.Pool,
    alice: Member,
    bob: RemoteActor,
    mallory: RemoteActor,
) -> None:
    status = await post(pool, alice, "Hello partners")
    path = status_path(alice, status)

    unsigned = await get(client, path)
    assert unsigned.status == 401
    assert await unsigned.json() == {"error": "Request not signed"}

    assert (await signed_get(client, mallory, path)) == (404, {"error": "Record not found"})

    code, note = await signed_get(client, bob, path)
    assert code == 200
    assert note["id"] == f"{BASE}{path}"
    assert note["type"] == "Note"
    assert note["attributedTo"] == f"{BASE}/users/alice"
    assert note["to"] == [PUBLIC]
    assert note["content"] == "<p>Hello partners</p>"


async def test_rfc9421_signatures_are_accepted_too(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    status = await post(pool, alice, "Signed the new way")
    path = status_path(alice, status)
    # Signed for the URL the signer used: the node's public scheme and name.
    headers = {"Accept": ACTIVITY_JSON, "Host": SITE.domain}
    headers.update(
        sign_message(
            "GET",
            f"{BASE}{path}",
            headers,
            None,
            key_id=bob.key_id,
            private_key=bob.private_key_pem,
        )
    )

    response = await client.get(path, headers=headers)

    assert response.status == 200, await response.text()
    assert (await response.json(content_type=None))["id"] == f"{BASE}{path}"


async def test_browsers_are_sent_to_the_status_page(
    client: TestClient, pool: asyncpg.Pool, alice: Member
) -> None:
    status = await post(pool, alice, "Hello")

    response = await get(client, status_path(alice, status), accept="text/html")

    assert response.status == 302
    assert response.headers["Location"] == f"{BASE}/@alice/{status.id}"


async def test_local_statuses_never_leave_the_node(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    status = await post(pool, alice, "Internal only", "local")

    for suffix in ("", "/activity"):
        assert (await signed_get(client, bob, status_path(alice, status, suffix)))[0] == 404


async def test_followers_only_statuses_go_to_nodes_with_a_follower(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    status = await post(pool, alice, "For my followers", "private")
    path = status_path(alice, status)
    async with pool.acquire() as conn:
        carol = await remote_actor(conn, "carol", "b.test", allow=False)
        other = await remote_actor(conn, "dave", "c.test")
    # Nobody on b.test follows alice yet.
    assert (await signed_get(client, bob, path))[0] == 404

    await follow(pool, carol.account_id, alice.account.id)

    # carol follows alice: her node may read it, whichever of its actors signs.
    code, note = await signed_get(client, bob, path)
    assert code == 200
    assert note["to"] == [f"{BASE}/users/alice/followers"]
    assert (await signed_get(client, other, path))[0] == 404


async def test_direct_statuses_go_only_to_the_nodes_of_their_recipients(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    async with pool.acquire() as conn:
        other = await remote_actor(conn, "dave", "c.test")
    status = await post(pool, alice, "@bob@b.test just for you", "direct")
    path = status_path(alice, status)

    code, note = await signed_get(client, bob, path)
    assert code == 200
    assert note["to"] == [bob.uri]
    assert (await signed_get(client, other, path))[0] == 404


async def test_deleted_missing_and_misplaced_statuses_are_not_found(
    client: TestClient,
    pool: asyncpg.Pool,
    alice: Member,
    bob: RemoteActor,
    make_member: MakeMember,
) -> None:
    other = await make_member("other")
    status = await post(pool, alice, "Soon gone")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE statuses SET deleted_at = now() WHERE id = $1", status.id)
    kept = await post(pool, alice, "Kept")

    for path in (
        status_path(alice, status),
        f"/users/alice/statuses/{kept.id + 1}",
        f"/users/other/statuses/{kept.id}",
        "/users/alice/statuses/not-a-number",
        f"/users/nobody/statuses/{kept.id}",
    ):
        assert (await signed_get(client, bob, path))[0] == 404, path
    assert other.username == "other"


async def test_an_author_blocking_the_signer_hides_the_status(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    status = await post(pool, alice, "Not for bob")
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)",
            alice.account.id,
            bob.account_id,
        )

    assert (await signed_get(client, bob, status_path(alice, status)))[0] == 404


async def test_the_activity_of_a_status_and_of_a_boost(
    client: TestClient,
    pool: asyncpg.Pool,
    alice: Member,
    bob: RemoteActor,
    make_member: MakeMember,
) -> None:
    erin = await make_member("erin")
    status = await post(pool, alice, "Worth sharing")
    async with pool.acquire() as conn:
        boost = await do_reblog(
            conn, SITE, erin.account.id, status, visibility=None, default_visibility="public"
        )

    code, create = await signed_get(client, bob, status_path(alice, status, "/activity"))
    assert code == 200
    assert create["type"] == "Create"
    assert create["id"] == f"{BASE}{status_path(alice, status)}/activity"
    assert create["object"]["id"] == f"{BASE}{status_path(alice, status)}"

    for suffix in ("", "/activity"):
        code, announce = await signed_get(client, bob, status_path(erin, boost, suffix))
        assert code == 200, suffix
        assert announce["type"] == "Announce"
        assert announce["actor"] == f"{BASE}/users/erin"
        assert announce["object"] == f"{BASE}{status_path(alice, status)}"


# --- collections ----------------------------------------------------------------------------


async def test_collections_need_a_signature_from_an_allowed_node(
    client: TestClient, alice: Member, mallory: RemoteActor
) -> None:
    for name in ("outbox", "followers", "following", "featured"):
        path = f"/users/alice/{name}"
        unsigned = await get(client, path)
        assert unsigned.status == 401, path
        assert (await signed_get(client, mallory, path))[0] == 404, path
        assert (await signed_get(client, mallory, f"/users/nobody/{name}"))[0] == 404


async def test_the_outbox_lists_public_and_unlisted_posts_page_by_page(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    posted = []
    for number in range(23):
        posted.append(
            await post(pool, alice, f"post {number}", "public" if number % 2 else "unlisted")
        )
    await post(pool, alice, "followers only", "private")
    await post(pool, alice, "internal", "local")
    outbox = f"{BASE}/users/alice/outbox"

    code, collection = await signed_get(client, bob, "/users/alice/outbox")
    assert code == 200
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 23
    assert collection["first"] == f"{outbox}?page=true"

    code, first = await signed_get(client, bob, "/users/alice/outbox?page=true")
    assert code == 200
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == outbox
    assert [item["type"] for item in first["orderedItems"]] == ["Create"] * 20
    newest = [s.id for s in reversed(posted)]
    assert [item["object"]["id"].rsplit("/", 1)[1] for item in first["orderedItems"]] == [
        str(i) for i in newest[:20]
    ]
    assert "@context" not in first["orderedItems"][0]
    assert first["next"] == f"{outbox}?page=true&max_id={newest[19]}"
    assert "prev" not in first

    code, second = await signed_get(client, bob, first["next"].removeprefix(BASE))
    assert code == 200
    assert [item["object"]["content"] for item in second["orderedItems"]] == [
        "<p>post 2</p>",
        "<p>post 1</p>",
        "<p>post 0</p>",
    ]
    assert "next" not in second
    assert second["prev"] == f"{outbox}?page=true&min_id={newest[20]}"

    code, back = await signed_get(client, bob, second["prev"].removeprefix(BASE))
    assert [item["object"]["id"].rsplit("/", 1)[1] for item in back["orderedItems"]] == [
        str(i) for i in newest[:20]
    ]
    for query in ("max_id=x", "min_id=-1", f"max_id={2**63}"):
        path = f"/users/alice/outbox?{query}"
        bad = await client.get(path, headers=signed_headers(client, bob, path))
        assert bad.status == 400, query
        assert await bad.json() == {"error": f"{query.partition('=')[0]} must be an id"}


async def test_followers_and_following_list_actor_ids(
    client: TestClient,
    pool: asyncpg.Pool,
    alice: Member,
    bob: RemoteActor,
    make_member: MakeMember,
) -> None:
    frank = await make_member("frank")
    await follow(pool, bob.account_id, alice.account.id)
    await follow(pool, frank.account.id, alice.account.id)
    await follow(pool, alice.account.id, bob.account_id)

    code, collection = await signed_get(client, bob, "/users/alice/followers")
    assert code == 200
    assert collection["totalItems"] == 2
    assert collection["first"] == f"{BASE}/users/alice/followers?page=true"
    code, page = await signed_get(client, bob, "/users/alice/followers?page=true")
    assert page["orderedItems"] == [f"{BASE}/users/frank", bob.uri]

    code, collection = await signed_get(client, bob, "/users/alice/following")
    assert collection["totalItems"] == 1
    code, page = await signed_get(client, bob, "/users/alice/following?page=true")
    assert page["orderedItems"] == [bob.uri]


async def test_featured_lists_pinned_statuses_a_node_may_read(
    client: TestClient, pool: asyncpg.Pool, alice: Member, bob: RemoteActor
) -> None:
    public = await post(pool, alice, "Pinned and public")
    private = await post(pool, alice, "Pinned for followers", "private")
    await post(pool, alice, "Not pinned")
    async with pool.acquire() as conn:
        await do_pin(conn, SITE, alice.account.id, public)
        await do_pin(conn, SITE, alice.account.id, private)

    code, featured = await signed_get(client, bob, "/users/alice/featured")
    assert code == 200
    assert featured["id"] == f"{BASE}/users/alice/featured"
    assert featured["type"] == "OrderedCollection"
    assert [note["content"] for note in featured["orderedItems"]] == ["<p>Pinned and public</p>"]

    await follow(pool, bob.account_id, alice.account.id)
    code, featured = await signed_get(client, bob, "/users/alice/featured")
    assert [note["content"] for note in featured["orderedItems"]] == [
        "<p>Pinned for followers</p>",
        "<p>Pinned and public</p>",
    ]


# --- open federation --------------------------------------------------------------------------


@pytest.fixture
async def open_client(pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    app = create_app(WebConfig(site=SITE, federation_mode="open"), pool)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_open_mode_serves_every_node_but_the_blocked(
    open_client: TestClient, pool: asyncpg.Pool, alice: Member, mallory: RemoteActor
) -> None:
    status = await post(pool, alice, "For the fediverse")
    path = status_path(alice, status)
    assert (await signed_get(open_client, mallory, path))[0] == 200

    async with pool.acquire() as conn:
        await do_block_domain(conn, "evil.test")
    assert (await signed_get(open_client, mallory, path))[0] == 404
    _code, actor = await signed_get(open_client, mallory, "/users/alice")
    assert set(actor) == KEY_DOCUMENT_KEYS


# --- between live nodes ---------------------------------------------------------------------


def _fetch(network: Network, domain: str, url: str) -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        return await network[domain].federation.fetch_object(url)

    return network[domain].call(fetch)


def test_nodes_fetch_what_they_may_read_from_each_other(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice = a.member("alice")
    bob = b.member("bob")
    public = a.with_conn(lambda conn: do_post(conn, a.site, alice.account.id, Draft(text="Hi all")))
    private = a.with_conn(
        lambda conn: do_post(
            conn, a.site, alice.account.id, Draft(text="Hi team", visibility="private")
        )
    )
    public_url = a.site.status_uri("alice", public.id)
    private_url = a.site.status_uri("alice", private.id)

    # b.test's client signs as b.test's instance actor; a.test verifies it by fetching
    # b.test's public instance actor.
    note = _fetch(network, "b.test", public_url)
    assert note["content"] == "<p>Hi all</p>"
    person = _fetch(network, "b.test", "http://a.test/users/alice")
    assert person["followers"] == "http://a.test/users/alice/followers"
    outbox = _fetch(network, "b.test", "http://a.test/users/alice/outbox?page=true")
    assert [item["object"]["id"] for item in outbox["orderedItems"]] == [public_url]

    # Followers-only: not until someone on b.test follows alice.
    with pytest.raises(FetchNotFoundError):
        _fetch(network, "b.test", private_url)

    async def bob_follows_alice(conn: asyncpg.Connection) -> None:
        remote_bob = await resolve_actor(conn, a.federation, "http://b.test/users/bob")
        await insert_follow(conn, remote_bob.id, alice.account.id, FollowOptions())

    a.with_conn(bob_follows_alice)
    assert _fetch(network, "b.test", private_url)["content"] == "<p>Hi team</p>"
    with pytest.raises(FetchNotFoundError):
        _fetch(network, "c.test", private_url)
    assert bob.username == "bob"


def test_unsigned_and_unallowed_fetches_between_nodes(network: Network) -> None:
    a = network["a.test"]
    alice = a.member("alice")
    status = a.with_conn(lambda conn: do_post(conn, a.site, alice.account.id, Draft(text="Hi")))
    url = a.site.status_uri("alice", status.id)

    async def unsigned(path: str) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{a.base_url}{path}", headers={"Accept": ACTIVITY_JSON, "Host": "a.test"}
            ) as response,
        ):
            return response.status, await response.json(content_type=None)

    assert a.call(lambda: unsigned(f"/users/alice/statuses/{status.id}")) == (
        401,
        {"error": "Request not signed"},
    )
    code, key_document = a.call(lambda: unsigned("/users/alice"))
    assert code == 200 and set(key_document) == KEY_DOCUMENT_KEYS

    # a.test stops federating with c.test: c.test's signed fetch finds nothing.
    assert _fetch(network, "c.test", url)["id"] == url
    a.with_conn(lambda conn: do_remove_domain(conn, "c.test"))
    with pytest.raises(FetchNotFoundError):
        _fetch(network, "c.test", url)
    assert set(_fetch(network, "c.test", "http://a.test/users/alice")) == KEY_DOCUMENT_KEYS
