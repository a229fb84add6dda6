"""Each member's Ed25519 key: published in the actor document as a Multikey
`assertionMethod` (FEP-521a), kept once made, and the proof on the Create activities the node
sends (FEP-8b32) verifies with exactly that published key."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from pyld import jsonld  # type: ignore[import-untyped]

from actors.integrity_keys import integrity_public_key
from actors.relationships import FollowOptions, insert_follow
from actors.site import Site
from content.compose import Draft
from federation.archive_proofs import verify_items
from federation.contexts import document_loader
from outbox.posting import do_post
from tests.conftest import MakeMember
from tests.signed_fetches import remote_actor, signed_get

SEC = "https://w3id.org/security#"


async def test_the_actor_publishes_its_integrity_key(
    client: TestClient, pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    async with pool.acquire() as conn:
        partner = await remote_actor(conn)

    status, person = await signed_get(client, partner, "/users/alice")
    again = (await signed_get(client, partner, "/users/alice"))[1]

    assert status == 200
    actor = "https://rukun.test/users/alice"
    async with pool.acquire() as conn:
        stored = await integrity_public_key(conn, alice.account.id)
    assert person["assertionMethod"] == [
        {
            "id": f"{actor}#ed25519-key",
            "type": "Multikey",
            "controller": actor,
            "publicKeyMultibase": stored,
        }
    ]
    assert stored.startswith("z6Mk")
    assert again["assertionMethod"] == person["assertionMethod"]  # made once, then kept
    # The terms are inline: expanding needs no context beyond the bundled ones.
    [expanded] = jsonld.expand(person, {"documentLoader": document_loader})
    [method] = expanded[f"{SEC}assertionMethod"]
    assert method["@id"] == f"{actor}#ed25519-key"
    assert method["@type"] == [f"{SEC}Multikey"]
    assert method[f"{SEC}publicKeyMultibase"] == [{"@value": stored}]


async def test_a_sent_create_carries_a_proof_by_the_published_key(
    client: TestClient, conn: asyncpg.Connection, site: Site, make_member: MakeMember
) -> None:
    # Given alice with a follower on another node
    alice = await make_member("alice")
    partner = await remote_actor(conn)
    await insert_follow(conn, partner.account_id, alice.account.id, FollowOptions())

    # When she posts
    await do_post(conn, site, alice.account.id, Draft(text="Signed, sealed, delivered"))
    [payload] = await conn.fetch("SELECT payload FROM deliveries")
    create: dict[str, Any] = payload["payload"]

    # Then the queued Create verifies against the key her actor document publishes
    person = (await signed_get(client, partner, "/users/alice"))[1]
    assert create["proof"]["verificationMethod"] == f"{person['id']}#ed25519-key"
    assert verify_items(person, [create]).valid == 1
    tampered = {**create, "object": {**create["object"], "content": "<p>Unsigned</p>"}}
    assert verify_items(person, [tampered]).invalid == 1


async def test_callers_racing_for_a_new_key_all_get_the_one_kept(
    pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    alice = await make_member("alice")

    async def ask() -> str:
        async with pool.acquire() as conn, conn.transaction():
            key = await integrity_public_key(conn, alice.account.id)
            await asyncio.sleep(0.05)  # hold the new row uncommitted while the others ask
            return key

    keys = await asyncio.gather(*(ask() for _ in range(6)))
    assert len(set(keys)) == 1
