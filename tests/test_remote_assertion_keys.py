"""Remote actors' `assertionMethod` keys (FEP-8b32), cached with the actor: only Ed25519
Multikeys the actor controls on its own origin are kept, and a key the cached copy lacks
makes us fetch the actor again (keys are added and rotated), not more often than allowed."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from actors.remote import assertion_key
from federation.multikeys import public_key_multibase
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

URI = "http://evil.test/users/ann"


def multikey(key_id: str, controller: str = URI) -> dict[str, str]:
    encoded = public_key_multibase(Ed25519PrivateKey.generate().public_key())
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": encoded,
    }


async def test_only_the_actors_own_keys_are_kept(w: World) -> None:
    conn, federation, peer, keys = w
    own = multikey(f"{URI}#ed25519-key")
    others = multikey(f"{URI}#borrowed", controller="http://evil.test/users/bob")
    elsewhere = multikey("http://other.test/keys/1")
    unreadable = {**multikey(f"{URI}#broken"), "publicKeyMultibase": "zNotAKey"}
    methods = [own, others, elsewhere, unreadable]
    peer.serve(URI, actor("ann", keys[0], assertionMethod=methods))

    assert await assertion_key(conn, federation, URI, own["id"]) == own["publicKeyMultibase"]
    for method in methods[1:]:
        assert await assertion_key(conn, federation, URI, method["id"]) is None
    stored = await conn.fetchval("SELECT count(*) FROM remote_assertion_keys")
    assert stored == 1


async def test_a_key_the_cache_lacks_fetches_the_actor_again(w: World) -> None:
    conn, federation, peer, keys = w
    first = multikey(f"{URI}#key-1")
    peer.serve(URI, actor("ann", keys[0], assertionMethod=[first]))
    assert await assertion_key(conn, federation, URI, first["id"]) is not None

    # When: the actor now publishes a new key, and a document signed with it arrives
    second = multikey(f"{URI}#key-2")
    peer.serve(URI, actor("ann", keys[0], assertionMethod=[second]))
    # right after the last fetch, the cache answers
    assert await assertion_key(conn, federation, URI, second["id"]) is None
    assert peer.count(URI) == 1
    await age(conn, URI, timedelta(minutes=1))

    # Then: the actor is fetched again; the new key is found and the old one dropped
    assert await assertion_key(conn, federation, URI, second["id"]) == second["publicKeyMultibase"]
    assert await assertion_key(conn, federation, URI, first["id"]) is None
    assert peer.count(URI) == 2
