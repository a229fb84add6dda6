"""A group elsewhere passes on a member's post from a third server embedded in the author's
signed Create (FEP-1b12 with FEP-8b32 proofs): taken when the proof holds with the key the
author publishes, refused — nothing stored — when the copy was altered after signing, and
never taken on the group's word alone."""

from __future__ import annotations

import copy
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from actors.site import Site
from content.access import load_viewer, may_see
from federation.integrity_proofs import INTEGRITY_TERMS, sign_document
from federation.multikeys import public_key_multibase
from tests.conftest import MakeMember
from tests.inbox_helpers import RemoteActor, offline_config, remote_actor
from tests.test_groups_inbox import home_boosts, processed, remote_group
from web.config import WebConfig

GROUP = "https://groups.example/users/board"
AUTHOR = "https://author.example/users/carl"
KEY_ID = f"{AUTHOR}#ed25519-key"
NOTE_ID = f"{AUTHOR}/statuses/1"


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    hosts = ["groups.example", "author.example"]
    return WebConfig(
        site=site, max_body_bytes=1024 * 1024, client=offline_config(hosts), federation_mode="open"
    )


async def author_with_key(conn: asyncpg.Connection) -> tuple[RemoteActor, Ed25519PrivateKey]:
    """The author, cached as fetched a moment ago with the assertionMethod key it publishes."""
    author = await remote_actor(conn, AUTHOR, username="carl")
    key = Ed25519PrivateKey.generate()
    await conn.execute(
        """INSERT INTO remote_assertion_keys (key_id, account_id, public_key_multibase)
           VALUES ($1, $2, $3)""",
        KEY_ID,
        author.id,
        public_key_multibase(key.public_key()),
    )
    return author, key


def signed_create(key: Ed25519PrivateKey, content: str = "<p>Budget draft attached</p>") -> Any:
    create = {
        "@context": ["https://www.w3.org/ns/activitystreams", INTEGRITY_TERMS],
        "id": f"{NOTE_ID}/activity",
        "type": "Create",
        "actor": AUTHOR,
        "to": [GROUP],
        "object": {
            "id": NOTE_ID,
            "type": "Note",
            "attributedTo": AUTHOR,
            "to": [GROUP],
            "audience": GROUP,
            "content": content,
            "published": "2026-11-27T10:00:00Z",
        },
    }
    return sign_document(create, key, KEY_ID)


def announce(number: int, create: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{GROUP}/statuses/{number}/activity",
        "type": "Announce",
        "actor": GROUP,
        "to": [f"{GROUP}/followers"],
        "object": create,
    }


async def stored(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM statuses WHERE uri = $1", NOTE_ID)
    return count


async def test_a_signed_create_from_a_third_server_is_taken_on_its_proof(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given: a member here belongs to a members-only group elsewhere; its member carl is on
    # a third server, which would not let us fetch the post
    member = await make_member("member")
    group = await remote_group(conn, GROUP, member.account.id)
    _, key = await author_with_key(conn)

    # When: the group announces carl's Create as he signed it
    outcome = await processed(client, pool, web_config, group, announce(1, signed_create(key)))

    # Then: the member reads it, as a boost by the group; someone outside the group does not
    assert outcome == "done"
    assert await home_boosts(conn, member.account.id) == [(GROUP, NOTE_ID)]
    status_id = await conn.fetchval("SELECT id FROM statuses WHERE uri = $1", NOTE_ID)
    assert await may_see(conn, await load_viewer(conn, member.account.id), status_id)
    outsider = await make_member("outsider")
    assert not await may_see(conn, await load_viewer(conn, outsider.account.id), status_id)


async def test_an_embedded_create_altered_after_signing_is_refused(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    member = await make_member("member")
    group = await remote_group(conn, GROUP, member.account.id)
    _, key = await author_with_key(conn)
    # Given: carl's signed Create, its content changed afterwards
    tampered = copy.deepcopy(signed_create(key))
    tampered["object"]["content"] = "<p>Everyone gets a raise</p>"

    # When: the group (or whoever holds its key) announces it
    outcome = await processed(client, pool, web_config, group, announce(2, tampered))

    # Then: it is refused and nothing is stored
    assert outcome.startswith("ignored: the signed Create's integrity proof does not hold")
    assert await stored(conn) == 0
    assert await home_boosts(conn, member.account.id) == []


async def test_an_embedded_create_signed_by_someone_else_than_its_author_is_refused(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    member = await make_member("member")
    group = await remote_group(conn, GROUP, member.account.id)
    _, key = await author_with_key(conn)
    # Given: a Create carl signed, whose post claims to be someone else's
    create = signed_create(key)
    create["object"]["attributedTo"] = "https://author.example/users/cleo"
    forged = sign_document(create, key, KEY_ID)

    outcome = await processed(client, pool, web_config, group, announce(3, forged))

    assert outcome.startswith("ignored: the signed Create's actor is not its post's author")
    assert await stored(conn) == 0


async def test_an_unsigned_create_from_another_server_is_not_taken_on_the_groups_word(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    member = await make_member("member")
    group = await remote_group(conn, GROUP, member.account.id)
    await author_with_key(conn)
    # Given: carl's Create without any proof, embedded by the group
    unsigned = {k: v for k, v in signed_create(Ed25519PrivateKey.generate()).items()}
    del unsigned["proof"]

    # When: the group announces it; its author's server cannot be reached to fetch it
    outcome = await processed(client, pool, web_config, group, announce(4, unsigned))

    # Then: the embedded copy is not trusted, and nothing is stored
    assert outcome == "ignored: the boosted status could not be had"
    assert await stored(conn) == 0
