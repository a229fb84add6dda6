"""Signed GETs from a made-up remote actor, for tests of authorized fetch on one node: the
actor is cached in `accounts` as freshly fetched (so verifying its signature needs no
network), its domain allowed unless a test says otherwise, and requests are signed with its
key exactly as another node signs them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiohttp.test_utils import TestClient

from actors.keys import generate_key_pair
from actors.partners import do_allow_domain
from federation.media_types import ACTIVITY_JSON
from federation.signatures import sign_request


@dataclass(frozen=True, slots=True)
class RemoteActor:
    account_id: int
    uri: str
    key_id: str
    private_key_pem: str
    domain: str


async def remote_actor(
    conn: asyncpg.Connection, username: str = "bob", domain: str = "b.test", *, allow: bool = True
) -> RemoteActor:
    keys = generate_key_pair()
    uri = f"https://{domain}/users/{username}"
    account_id = await conn.fetchval(
        """INSERT INTO accounts (username, domain, uri, inbox_url, shared_inbox_url,
                                 public_key_id, public_key_pem, fetched_at)
           VALUES ($1, $2, $3, $3 || '/inbox', $4, $3 || '#main-key', $5, now())
           RETURNING id""",
        username,
        domain,
        uri,
        f"https://{domain}/inbox",
        keys.public_pem,
    )
    if allow:
        await do_allow_domain(conn, domain)
    return RemoteActor(account_id, uri, f"{uri}#main-key", keys.private_pem, domain)


def signed_headers(
    client: TestClient, actor: RemoteActor, path: str, accept: str = ACTIVITY_JSON
) -> dict[str, str]:
    """Accept plus a draft-cavage signature for `GET path` on the test server."""
    headers = {"Accept": accept}
    url = str(client.make_url(path))
    headers.update(
        sign_request(
            "GET", url, headers, None, key_id=actor.key_id, private_key_pem=actor.private_key_pem
        )
    )
    return headers


async def signed_get(
    client: TestClient, actor: RemoteActor, path: str, accept: str = ACTIVITY_JSON
) -> tuple[int, dict[str, object]]:
    """The status and JSON body of a GET signed by `actor`."""
    response = await client.get(
        path, headers=signed_headers(client, actor, path, accept), allow_redirects=False
    )
    return response.status, await response.json(content_type=None)
