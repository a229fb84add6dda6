"""Finding the key that signed a request: key ids in the shapes servers use (Mastodon's
`#main-key`, GoToSocial's `/main-key`, separate key documents), owners that must be the actor,
key rotation through a real signature check, and where deliveries go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from actors.partners import do_block_domain
from actors.remote import (
    RemoteActorUnavailableError,
    actor_for_key,
    inbox_for,
    key_lookup,
    remote_followers_inboxes,
    resolve_actor,
)
from federation.signature_model import BadSignatureError, ResolvedKey
from federation.signatures import sign_request, verify_request
from tests.conftest import MakeMember
from tests.fake_actor_server import (  # noqa: F401 (fixtures)
    World,
    actor,
    age,
    federation_fixture,
    keys_fixture,
    peer_fixture,
    private_keys_fixture,
    world_fixture,
)

ANN = "http://evil.test/users/ann"


async def test_a_mastodon_key_id_names_the_actor_and_is_then_cached(w: World) -> None:
    w.peer.serve(ANN, actor("ann", w.keys[0]))
    lookup = key_lookup(w.conn, w.federation)

    first = await lookup(f"{ANN}#main-key", refresh=False)
    again = await lookup(f"{ANN}#main-key", refresh=False)

    assert first == again == ResolvedKey(w.keys[0], owner=ANN)
    assert w.peer.count(ANN) == 1


async def test_a_gotosocial_key_id_leads_to_its_actor(w: World) -> None:
    uri, key_id = "http://evil.test/users/gts", "http://evil.test/users/gts/main-key"
    document = actor(
        "gts", w.keys[0], publicKey={"id": key_id, "owner": uri, "publicKeyPem": w.keys[0]}
    )
    # GoToSocial answers the key id with a stub of the actor: its id, type and key.
    stub = {k: document[k] for k in ("@context", "id", "type", "preferredUsername", "publicKey")}
    w.peer.serve(key_id, stub)
    w.peer.serve(uri, document)

    assert await key_lookup(w.conn, w.federation)(key_id, refresh=False) == ResolvedKey(
        w.keys[0], owner=uri
    )


def key_document(key_id: str, owner: str, pem: str) -> dict[str, Any]:
    return {
        "@context": "https://w3id.org/security/v1",
        "id": key_id,
        "owner": owner,
        "publicKeyPem": pem,
    }


async def test_a_key_document_names_its_owner_who_must_hold_the_key(w: World) -> None:
    key_id = "http://evil.test/keys/1"
    w.peer.serve(key_id, key_document(key_id, ANN, w.keys[0]))
    w.peer.serve(
        ANN,
        actor("ann", w.keys[0], publicKey={"id": key_id, "owner": ANN, "publicKeyPem": w.keys[0]}),
    )

    account = await actor_for_key(w.conn, w.federation, key_id)

    assert account is not None and account.uri == ANN and account.public_key_id == key_id


@pytest.mark.parametrize(
    ("key_id", "serves"),
    [
        # The key document names an owner on another host.
        (
            "http://evil.test/keys/1",
            key_document("http://evil.test/keys/1", "http://other.test/users/ann", ""),
        ),
        # The owner does not list this key as its own.
        ("http://evil.test/keys/2", key_document("http://evil.test/keys/2", ANN, "")),
        # A fragment the actor does not use.
        (f"{ANN}#other-key", None),
        # Nothing there.
        ("http://evil.test/keys/404", None),
        ("not a url", None),
        ("ftp://evil.test/key", None),
    ],
)
async def test_keys_that_are_not_the_owners_are_not_found(
    w: World, key_id: str, serves: dict[str, Any] | None
) -> None:
    w.peer.serve(ANN, actor("ann", w.keys[0]))
    w.peer.serve("http://other.test/users/ann", actor("ann", w.keys[0], host="other.test"))
    if serves is not None:
        w.peer.serve(key_id, serves)

    assert await key_lookup(w.conn, w.federation)(key_id, refresh=False) is None
    assert w.peer.count("http://other.test/users/ann") == 0


async def test_made_up_key_ids_of_a_known_actor_do_not_make_us_fetch_it_again(w: World) -> None:
    w.peer.serve(ANN, actor("ann", w.keys[0]))
    lookup = key_lookup(w.conn, w.federation)
    assert await lookup(f"{ANN}#main-key", refresh=False) is not None

    for made_up in ("k1", "k2", "k3"):
        assert await lookup(f"{ANN}#{made_up}", refresh=False) is None

    assert w.peer.count(ANN) == 1


async def test_a_server_that_is_down_is_not_taken_for_a_missing_key(w: World) -> None:
    w.peer.serve(ANN, "busy", status=503, kind="text/plain")

    with pytest.raises(RemoteActorUnavailableError):
        await key_lookup(w.conn, w.federation)(f"{ANN}#main-key", refresh=False)


async def test_keys_of_blocked_domains_are_not_fetched(w: World) -> None:
    w.peer.serve(ANN, actor("ann", w.keys[0]))
    await do_block_domain(w.conn, "evil.test")

    assert await key_lookup(w.conn, w.federation)(f"{ANN}#main-key", refresh=False) is None
    assert w.peer.hits == []


def signed_get(
    key: rsa.RSAPrivateKey, url: str = "http://rukun.test/users/alice"
) -> dict[str, str]:
    headers = {"Accept": "application/activity+json"}
    headers.update(
        sign_request("GET", url, headers, None, key_id=f"{ANN}#main-key", private_key_pem=key)
    )
    return headers


async def test_a_rotated_key_is_refetched_once_the_cached_one_fails(
    w: World, private_keys: list[rsa.RSAPrivateKey]
) -> None:
    # Given ann's first key is cached
    w.peer.serve(ANN, actor("ann", w.keys[0]))
    lookup = key_lookup(w.conn, w.federation)
    verified = await verify_request("GET", "/users/alice", signed_get(private_keys[0]), b"", lookup)
    assert verified.owner == ANN

    # When ann rotates her key and signs with the new one
    w.peer.serve(ANN, actor("ann", w.keys[1]))
    rotated = signed_get(private_keys[1])

    # Then a refetch right after the last fetch is not made (a flood of bad signatures must
    # not make us fetch again and again) ...
    with pytest.raises(BadSignatureError):
        await verify_request("GET", "/users/alice", rotated, b"", lookup)
    assert w.peer.count(ANN) == 1
    # ... but once the copy is a little older, the failing signature refreshes the key.
    await age(w.conn, ANN, timedelta(minutes=1))
    assert (await verify_request("GET", "/users/alice", rotated, b"", lookup)).owner == ANN
    assert w.peer.count(ANN) == 2
    assert (await resolve_actor(w.conn, w.federation, ANN)).public_key_pem == w.keys[1]


# --- where deliveries go ------------------------------------------------------------------


async def remote(
    conn: asyncpg.Connection, name: str, inbox: str, shared: str | None, suspended: bool = False
) -> Account:
    row = await conn.fetchrow(
        f"""INSERT INTO accounts (username, domain, uri, inbox_url, shared_inbox_url,
                                  public_key_pem, suspended_at)
            VALUES ($1, $2, $3, $4, $5, 'PEM', CASE WHEN $6 THEN now() END)
            RETURNING {ACCOUNT_COLUMNS}""",
        name,
        inbox.split("/")[2],
        inbox.removesuffix("/inbox"),
        inbox,
        shared,
        suspended,
    )
    return account_from_row(row)


async def follow(conn: asyncpg.Connection, follower: Account, target: Account) -> None:
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        follower.id,
        target.id,
    )


async def test_deliveries_go_to_shared_inboxes_when_there_are_some(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    bea = await remote(conn, "bea", "http://b.test/users/bea/inbox", "http://b.test/inbox")
    cid = await remote(conn, "cid", "http://c.test/users/cid/inbox", None)
    alice = (await make_member("alice")).account

    assert inbox_for(bea) == "http://b.test/inbox"
    assert inbox_for(cid) == "http://c.test/users/cid/inbox"
    with pytest.raises(ValueError, match="not a remote account"):
        inbox_for(alice)


async def test_one_inbox_per_server_of_remote_followers(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    followers = [
        await remote(conn, "bea", "http://b.test/users/bea/inbox", "http://b.test/inbox"),
        await remote(conn, "ben", "http://b.test/users/ben/inbox", "http://b.test/inbox"),
        await remote(conn, "cid", "http://c.test/users/cid/inbox", None),
        await remote(conn, "dee", "http://d.test/users/dee/inbox", "http://d.test/inbox", True),
        bob,  # local followers are reached without delivery
    ]
    for follower in followers:
        await follow(conn, follower, alice)
    elsewhere = await remote(conn, "eve", "http://e.test/users/eve/inbox", "http://e.test/inbox")
    await follow(conn, elsewhere, bob)

    assert await remote_followers_inboxes(conn, alice.id) == [
        "http://b.test/inbox",
        "http://c.test/users/cid/inbox",
    ]
    assert await remote_followers_inboxes(conn, bob.id) == ["http://e.test/inbox"]
