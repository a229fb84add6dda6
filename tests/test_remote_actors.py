"""Resolving remote actors against servers that behave badly: a real aiohttp server answering
as `evil.test` and `other.test` (one socket, told apart by Host), our real client and a real
database. Each test says what the server serves, then what we cached and what it cost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from actors.partners import do_allow_domain, do_block_domain
from actors.remote import (
    RemoteActorError,
    RemoteActorGoneError,
    RemoteActorRefusedError,
    RemoteActorUnavailableError,
    resolve_actor,
    resolve_handle,
    update_actor,
)
from federation.http_client import FederationClient
from federation.media_types import ACTIVITY_JSON
from tests.conftest import MakeMember
from tests.fake_actor_server import (  # noqa: F401 (fixtures)
    WEBFINGER,
    Body,
    Peer,
    World,
    actor,
    age,
    federation_fixture,
    jrd,
    keys_fixture,
    peer_fixture,
    private_keys_fixture,
    remote_count,
    world_fixture,
)

# --- caching ------------------------------------------------------------------------------


async def test_an_actor_is_fetched_once_then_served_from_the_cache(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))

    ann = await resolve_actor(conn, federation, uri)
    again = await resolve_actor(conn, federation, uri + "#main-key")

    assert (ann.username, ann.domain, ann.uri, ann.display_name) == ("ann", "evil.test", uri, "Ann")
    assert ann.inbox_url == uri + "/inbox" and ann.shared_inbox_url == "http://evil.test/inbox"
    assert ann.public_key_id == uri + "#main-key" and ann.public_key_pem == keys[0]
    assert ann.private_key_pem is None and ann.url == "http://evil.test/@ann"
    assert again == ann and peer.count(uri) == 1


async def test_a_stale_actor_is_fetched_again_and_updated_in_place(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    first = await resolve_actor(conn, federation, uri)
    peer.serve(uri, actor("ann", keys[0], name="Ann Renamed", manuallyApprovesFollowers=True))

    await age(conn, uri, timedelta(hours=25))
    second = await resolve_actor(conn, federation, uri)

    assert second.id == first.id and second.display_name == "Ann Renamed" and second.locked
    assert peer.count(uri) == 2 and await remote_count(conn) == 1


async def test_a_refresh_always_fetches(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    await resolve_actor(conn, federation, uri)
    peer.serve(uri, actor("ann", keys[1]))

    refreshed = await resolve_actor(conn, federation, uri, refresh=True)

    assert refreshed.public_key_pem == keys[1] and peer.count(uri) == 2


async def test_when_a_stale_actors_server_is_down_the_cached_copy_serves(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    cached = await resolve_actor(conn, federation, uri)
    peer.serve(uri, "down for maintenance", status=503, kind="text/plain")
    await age(conn, uri, timedelta(days=2))

    assert (await resolve_actor(conn, federation, uri)).id == cached.id
    with pytest.raises(RemoteActorUnavailableError):
        await resolve_actor(conn, federation, uri, refresh=True)


async def test_concurrent_resolutions_of_a_new_actor_store_one_account(
    pool: asyncpg.Pool, federation: FederationClient, peer: Peer, keys: list[str]
) -> None:
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))

    async def resolve() -> int:
        async with pool.acquire() as conn:
            return (await resolve_actor(conn, federation, uri)).id

    ids = await asyncio.gather(*(resolve() for _ in range(4)))

    assert len(set(ids)) == 1
    async with pool.acquire() as conn:
        assert await remote_count(conn) == 1


# --- whose document is it -----------------------------------------------------------------


async def test_an_alias_is_followed_to_the_actors_own_id_on_the_same_host(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve("http://evil.test/@ann", actor("ann", keys[0]))
    peer.serve(uri, actor("ann", keys[0]))

    ann = await resolve_actor(conn, federation, "http://evil.test/@ann")

    assert ann.uri == uri and peer.count(uri) == 1


@pytest.mark.parametrize(
    ("served_id", "then_serves", "reason"),
    [
        # A server vouching for an id on another host: never fetched, never cached.
        ("http://other.test/users/ann", None, "another host"),
        # The id it names does not name itself when fetched.
        ("http://evil.test/users/ann", "http://evil.test/users/someone-else", "its own id"),
        (None, None, "no http"),
    ],
)
async def test_a_document_that_is_not_what_was_asked_for_is_refused(
    w: World,
    served_id: str | None,
    then_serves: str | None,
    reason: str,
) -> None:
    conn = w.conn
    federation = w.federation
    peer = w.peer
    keys = w.keys
    peer.serve("http://evil.test/@ann", actor("ann", keys[0], id=served_id))
    peer.serve("http://evil.test/users/ann", actor("ann", keys[0], id=then_serves))
    peer.serve("http://other.test/users/ann", actor("ann", keys[0], host="other.test"))

    with pytest.raises(RemoteActorError, match=reason):
        await resolve_actor(conn, federation, "http://evil.test/@ann")

    assert await remote_count(conn) == 0 and peer.count("http://other.test/users/ann") == 0


async def test_an_actor_without_a_key_of_its_own_is_refused(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    owner = "http://other.test/users/bob"
    stolen = {"id": f"{uri}#main-key", "owner": owner, "publicKeyPem": keys[0]}
    peer.serve(uri, actor("ann", keys[0], publicKey=stolen))

    with pytest.raises(RemoteActorError, match="no public key of its own"):
        await resolve_actor(conn, federation, uri)
    assert await remote_count(conn) == 0


@pytest.mark.parametrize(
    ("status", "kind", "error"),
    [
        (404, ACTIVITY_JSON, RemoteActorGoneError),
        (410, ACTIVITY_JSON, RemoteActorGoneError),
        (500, ACTIVITY_JSON, RemoteActorUnavailableError),
        (429, ACTIVITY_JSON, RemoteActorUnavailableError),
        (200, "text/html", RemoteActorError),
        (200, "application/json", RemoteActorError),
    ],
)
async def test_failures_say_whether_to_try_again(
    w: World,
    status: int,
    kind: str,
    error: type[RemoteActorError],
) -> None:
    conn = w.conn
    federation = w.federation
    peer = w.peer
    keys = w.keys
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]), status=status, kind=kind)

    with pytest.raises(error) as raised:
        await resolve_actor(conn, federation, uri)

    transient = isinstance(raised.value, RemoteActorUnavailableError)
    assert transient == (status >= 429) and await remote_count(conn) == 0


async def test_a_redirect_to_another_host_is_not_followed(w: World) -> None:
    conn, federation, peer, keys = w
    peer.serve("http://evil.test/users/ann", "http://other.test/users/ann", status=302)
    peer.serve("http://other.test/users/ann", actor("ann", keys[0], host="other.test"))

    with pytest.raises(RemoteActorError, match="another host"):
        await resolve_actor(conn, federation, "http://evil.test/users/ann")
    assert peer.count("http://other.test/users/ann") == 0


async def test_a_new_id_for_a_known_handle_takes_over_its_account(w: World) -> None:
    conn, federation, peer, keys = w
    old = await resolve_after_serving(peer, conn, federation, actor("ann", keys[0]))
    moved = actor("ann", keys[1], id="http://evil.test/people/ann")
    moved["publicKey"] = {
        "id": "http://evil.test/people/ann#main-key",
        "owner": "http://evil.test/people/ann",
        "publicKeyPem": keys[1],
    }

    new = await resolve_after_serving(peer, conn, federation, moved)

    assert new.id == old.id and new.uri == "http://evil.test/people/ann"
    assert await remote_count(conn) == 1


async def resolve_after_serving(
    peer: Peer, conn: asyncpg.Connection, federation: FederationClient, document: dict[str, Any]
) -> Any:
    peer.serve(document["id"], document)
    return await resolve_actor(conn, federation, document["id"])


async def test_our_own_member_is_never_cached_as_a_remote_account(
    w: World,
    make_member: MakeMember,
) -> None:
    conn = w.conn
    federation = w.federation
    peer = w.peer
    alice = await make_member("alice")
    uri = "http://evil.test/users/alice"
    peer.serve(uri, actor("alice", alice.account.public_key_pem))

    found = await resolve_actor(conn, federation, uri)

    assert found.id == alice.account.id and found.is_local
    assert await remote_count(conn) == 0


# --- policy -------------------------------------------------------------------------------


async def test_domains_the_node_does_not_federate_with_are_never_asked(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    peer.serve(WEBFINGER, jrd("ann@evil.test", uri), kind="application/jrd+json")

    with pytest.raises(RemoteActorRefusedError):
        await resolve_actor(conn, federation, uri, federation_mode="allowlist")
    with pytest.raises(RemoteActorRefusedError):
        await resolve_handle(conn, federation, "ann", "evil.test", federation_mode="allowlist")
    await do_block_domain(conn, "evil.test")
    with pytest.raises(RemoteActorRefusedError):
        await resolve_actor(conn, federation, uri)  # without a mode, blocks still apply
    assert peer.hits == []

    await do_allow_domain(conn, "evil.test")
    ann = await resolve_handle(conn, federation, "ann", "evil.test", federation_mode="allowlist")
    assert ann.uri == uri


# --- handles ------------------------------------------------------------------------------


async def test_a_handle_is_found_through_webfinger_then_from_the_cache(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    peer.serve(WEBFINGER, jrd("ann@evil.test", uri), kind="application/jrd+json")

    ann = await resolve_handle(conn, federation, "ann", "EVIL.test")
    again = await resolve_handle(conn, federation, "ANN", "evil.test")

    assert ann.uri == uri and again.id == ann.id
    assert peer.count(WEBFINGER) == 1 and peer.count(uri) == 1


async def test_a_stale_handle_serves_from_the_cache_while_its_server_is_down(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    peer.serve(WEBFINGER, jrd("ann@evil.test", uri), kind="application/jrd+json")
    ann = await resolve_handle(conn, federation, "ann", "evil.test")
    await age(conn, uri, timedelta(days=3))
    peer.serve(WEBFINGER, "", status=503, kind="text/plain")

    assert (await resolve_handle(conn, federation, "ann", "evil.test")).id == ann.id
    assert peer.count(WEBFINGER) == 2


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        # WebFinger on evil.test claiming other.test's actor: not ann@evil.test.
        ("http://other.test/users/ann", "another actor"),
        # An actor of the same server with another name.
        ("http://evil.test/users/bob", "another actor"),
    ],
)
async def test_webfinger_cannot_hand_out_someone_elses_actor(
    w: World,
    href: str,
    reason: str,
) -> None:
    conn = w.conn
    federation = w.federation
    peer = w.peer
    keys = w.keys
    peer.serve("http://other.test/users/ann", actor("ann", keys[0], host="other.test"))
    peer.serve("http://evil.test/users/bob", actor("bob", keys[1]))
    peer.serve(WEBFINGER, jrd("ann@evil.test", href), kind="application/jrd+json")

    with pytest.raises(RemoteActorError, match=reason):
        await resolve_handle(conn, federation, "ann", "evil.test")


@pytest.mark.parametrize(
    ("status", "body", "kind", "error"),
    [
        (404, {}, "application/jrd+json", RemoteActorGoneError),
        (200, {"links": []}, "application/jrd+json", RemoteActorError),
        (200, "<html></html>", "text/html", RemoteActorError),
        (200, "[1, 2]", "application/json", RemoteActorError),
        (502, "", "text/plain", RemoteActorUnavailableError),
    ],
)
async def test_webfinger_failures(
    w: World,
    status: int,
    body: Body,
    kind: str,
    error: type[RemoteActorError],
) -> None:
    conn = w.conn
    federation = w.federation
    peer = w.peer
    peer.serve(WEBFINGER, body, status=status, kind=kind)

    with pytest.raises(error):
        await resolve_handle(conn, federation, "ann", "evil.test")
    assert await remote_count(conn) == 0


# --- pushed updates -----------------------------------------------------------------------


async def test_a_pushed_profile_update_is_taken_without_fetching(w: World) -> None:
    conn, federation, peer, keys = w
    uri = "http://evil.test/users/ann"
    peer.serve(uri, actor("ann", keys[0]))
    before = await resolve_actor(conn, federation, uri)

    after = await update_actor(conn, actor("ann", keys[1], name="Ann (away)", summary="<p>x</p>"))

    assert after.id == before.id and after.display_name == "Ann (away)" and after.note == "<p>x</p>"
    assert after.public_key_pem == keys[1] and peer.count(uri) == 1


async def test_pushed_updates_cannot_overwrite_our_members_or_drop_the_key(
    w: World, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    with pytest.raises(RemoteActorError, match="local member"):
        await update_actor(w.conn, actor("alice", alice.account.public_key_pem))
    with pytest.raises(RemoteActorError, match="no public key"):
        await update_actor(w.conn, actor("ann", w.keys[0], publicKey=None))
    with pytest.raises(RemoteActorError, match="not an actor"):
        await update_actor(w.conn, actor("ann", w.keys[0], type="Note"))
    assert await remote_count(w.conn) == 0
