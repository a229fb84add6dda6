"""Remote actors for inbox tests without a second node: an account cached as if fetched a
moment ago (so verifying its signature needs no network), its private key kept by the test,
and deliveries signed with it exactly as Mastodon signs them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from yarl import URL

from actors.keys import KeyPair, generate_key_pair
from db.queue import Worker
from federation.http_client import ClientConfig, FederationClient
from federation.origin import host_of
from federation.signatures import sign_request
from node.jobs import job_handlers
from web.config import WebConfig

CLOSED_PORT = ("127.0.0.1", 9)  # discard: nothing listens there
_KEYS: list[KeyPair] = []


def _key_pair() -> KeyPair:
    """RSA generation is slow: tests share a few key pairs (each actor still has its own
    key id, and the pairs differ between actors that must not verify each other)."""
    if len(_KEYS) < 3:
        _KEYS.append(generate_key_pair())
        return _KEYS[-1]
    _KEYS.append(_KEYS.pop(0))
    return _KEYS[-1]


@dataclass(frozen=True, slots=True)
class RemoteActor:
    id: int
    uri: str
    key_id: str
    private_pem: str


async def remote_actor(
    conn: asyncpg.Connection,
    uri: str,
    *,
    username: str | None = None,
    keys: KeyPair | None = None,
    followers_url: str | None = None,
) -> RemoteActor:
    """Cache a remote actor with a fresh `fetched_at`, as `actors.remote` would after a fetch."""
    keys = keys or _key_pair()
    key_id = f"{uri}#main-key"
    name = username or uri.rstrip("/").rsplit("/", 1)[-1] or "someone"
    account_id = await conn.fetchval(
        """INSERT INTO accounts (username, domain, uri, url, inbox_url, shared_inbox_url,
                                 followers_url, public_key_id, public_key_pem, fetched_at)
           VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, now()) RETURNING id""",
        name[:30],
        host_of(uri),
        uri,
        f"{uri}/inbox",
        f"{uri.split('/', 3)[0]}//{host_of(uri)}/inbox",
        followers_url if followers_url is not None else f"{uri}/followers",
        key_id,
        keys.public_pem,
    )
    return RemoteActor(account_id, uri, key_id, keys.private_pem)


async def deliver(
    client: TestClient,
    actor: RemoteActor,
    document: dict[str, Any] | None = None,
    *,
    path: str = "/inbox",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
    key_id: str | None = None,
    private_pem: str | None = None,
) -> tuple[int, Any]:
    """POST `document` (or raw `body`) to the node's inbox, signed by `actor` (or by the
    given key); `headers` replace signed ones afterwards (to tamper). Returns (status, JSON
    body or None)."""
    raw = body if body is not None else json.dumps(document).encode()
    url = str(client.make_url(path))
    signed = sign_request(
        "POST",
        url,
        {"Content-Type": "application/activity+json"},
        raw,
        key_id=key_id or actor.key_id,
        private_key_pem=private_pem or actor.private_pem,
        now=now,
    )
    sent = {"Content-Type": "application/activity+json", **signed, **(headers or {})}
    response = await client.post(URL(url).path, data=io.BytesIO(raw), headers=sent)
    text = await response.text()
    return response.status, json.loads(text) if text else None


def offline_config(hosts: Iterable[str]) -> ClientConfig:
    """A client configuration under which every named host (`host` or `host:port`) is a
    closed loopback port: a handler's fetch or delivery fails at once, and no DNS server is
    ever asked."""
    resolve: dict[str, tuple[str, int]] = {}
    for host in hosts:
        resolve[host.lower()] = CLOSED_PORT
        resolve[host.lower().partition(":")[0]] = CLOSED_PORT
    return ClientConfig(resolve=resolve, insecure_http=True, timeout=5)


async def drain(pool: asyncpg.Pool, config: WebConfig) -> int:
    """Run every queued job as the node's workers would (inbound processing, and deliveries,
    which fail against the closed port and wait for a retry)."""
    async with FederationClient(config.client) as client:
        worker = Worker(pool, job_handlers(config, client), concurrency=1)
        return await worker.drain()


async def inbound_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT activity_id, activity_type, state, last_error FROM inbound_activities ORDER BY id"
    )
