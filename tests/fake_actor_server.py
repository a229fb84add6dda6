"""A fake fediverse server for actor tests: one loopback socket answering as `evil.test` and
`other.test` (told apart by Host) with whatever a test tells it to serve, counting requests;
our real federation client routed to it; RSA keys; actor and JRD documents to serve.
Test modules import the `*_fixture` functions; the fixtures are named without the suffix."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

import asyncpg
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.http_client import ClientConfig, FederationClient
from federation.media_types import ACTIVITY_JSON
from federation.signing_keys import public_key_pem

Body = dict[str, Any] | str
WEBFINGER = "http://evil.test/.well-known/webfinger?resource=acct:ann@evil.test"


@dataclass
class Peer:
    """What the fake server answers: (host, path) → (status, content type, body)."""

    port: int = 0
    routes: dict[tuple[str, str], tuple[int, str, Body]] = field(default_factory=dict)
    hits: list[tuple[str, str]] = field(default_factory=list)

    def serve(self, url: str, body: Body, status: int = 200, kind: str = ACTIVITY_JSON) -> None:
        host, _, path = url.removeprefix("http://").partition("/")
        self.routes[(host, "/" + path)] = (status, kind, body)

    def count(self, url: str) -> int:
        host, _, path = url.removeprefix("http://").partition("/")
        return self.hits.count((host, "/" + path))


def _app(peer: Peer) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        key = (request.host.split(":")[0], request.path_qs)
        peer.hits.append(key)
        if key not in peer.routes:
            return web.Response(status=404)
        status, kind, body = peer.routes[key]
        if 300 <= status < 400:
            assert isinstance(body, str)
            return web.Response(status=status, headers={"Location": body})
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(status=status, text=text, content_type=kind)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    return app


@pytest.fixture(name="peer")
async def peer_fixture() -> AsyncIterator[Peer]:
    state = Peer()
    runner = web.AppRunner(_app(state))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    state.port = runner.addresses[0][1]
    yield state
    await runner.cleanup()


@pytest.fixture(name="federation")
async def federation_fixture(peer: Peer) -> AsyncIterator[FederationClient]:
    where = ("127.0.0.1", peer.port)
    config = ClientConfig(resolve={"evil.test": where, "other.test": where}, insecure_http=True)
    async with FederationClient(config) as client:
        yield client


@pytest.fixture(name="private_keys", scope="session")
def private_keys_fixture() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]


@pytest.fixture(name="keys")
def keys_fixture(private_keys: list[rsa.RSAPrivateKey]) -> list[str]:
    """Two public keys (PEM), for actors and for rotations."""
    return [public_key_pem(key) for key in private_keys]


class World(NamedTuple):
    conn: asyncpg.Connection
    federation: FederationClient
    peer: Peer
    keys: list[str]


@pytest.fixture(name="w")
def world_fixture(
    conn: asyncpg.Connection, federation: FederationClient, peer: Peer, keys: list[str]
) -> World:
    return World(conn, federation, peer, keys)


def actor(username: str, pem: str, host: str = "evil.test", **changes: Any) -> dict[str, Any]:
    uri = f"http://{host}/users/{username}"
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": username,
        "name": username.title(),
        "inbox": f"{uri}/inbox",
        "endpoints": {"sharedInbox": f"http://{host}/inbox"},
        "url": f"http://{host}/@{username}",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem},
    }
    document.update(changes)
    return document


def jrd(subject: str, href: str) -> dict[str, Any]:
    return {
        "subject": f"acct:{subject}",
        "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": href}],
    }


async def remote_count(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM accounts WHERE domain IS NOT NULL")
    return count


async def age(conn: asyncpg.Connection, uri: str, by: timedelta) -> None:
    await conn.execute(
        "UPDATE accounts SET fetched_at = now() - $2::interval WHERE uri = $1", uri, by
    )
