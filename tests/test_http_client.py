"""The federation HTTP client against a real aiohttp server on 127.0.0.1: the resolve map,
the SSRF guard on the address actually connected, redirects, content checks, size and time
limits, and a fresh signature on every attempt — checked by the server with our verifier."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.address_guard import AddressGuard, AddressRefusedError
from federation.http_client import (
    ClientConfig,
    FederationClient,
    FetchBadContentError,
    FetchError,
    FetchGoneError,
    FetchHttpError,
    FetchNotFoundError,
    FetchRefusedError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchUnreachableError,
    RequestSigner,
)
from federation.media_types import ACTIVITY_JSON, LD_JSON_ACTIVITYSTREAMS
from federation.signature_model import SignatureError, VerifiedSignature
from federation.signatures import verify_request
from federation.signing_keys import public_key_pem

KEY_ID = "https://rukun.test/actor#main-key"
ACTOR = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a.test/actor"}


@dataclass
class Seen:
    """One request as the server received it, and what our verifier made of its signature."""

    method: str
    path: str
    headers: dict[str, str]
    lines: dict[str, int]  # how many lines of each header arrived
    verified: VerifiedSignature | None
    error: str | None


@dataclass
class Peer:
    port: int
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ticking_clock() -> Iterator[datetime]:
    moment = datetime.now(UTC)
    while True:
        yield moment
        moment += timedelta(seconds=1)


def signer_for(key: rsa.RSAPrivateKey) -> RequestSigner:
    """A signer whose clock moves a second per signature, as retries minutes apart would."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ticks = ticking_clock()
    return replace(RequestSigner.from_pem(KEY_ID, pem), clock=lambda: next(ticks))


def _app(peer: Peer, public_pem: str) -> web.Application:
    async def lookup(key_id: str, *, refresh: bool) -> str | None:
        return public_pem if key_id == KEY_ID else None

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        try:
            verified, error = (
                await verify_request(
                    request.method, request.raw_path, request.headers, body, lookup
                ),
                None,
            )
        except SignatureError as failure:
            verified, error = None, f"{type(failure).__name__}: {failure}"
        headers = {name: ", ".join(request.headers.getall(name)) for name in request.headers}
        lines = {name: len(request.headers.getall(name)) for name in request.headers}
        peer.seen.append(Seen(request.method, request.raw_path, headers, lines, verified, error))
        return await handler(request)

    def activity(document: Any, content_type: str = ACTIVITY_JSON) -> web.Response:
        return web.Response(
            body=json.dumps(document).encode(),
            content_type=None,
            headers={"Content-Type": content_type},
        )

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": ACTIVITY_JSON})
        await response.prepare(request)
        for _ in range(10):
            await response.write(b" " * 500)
        return response

    async def slow(request: web.Request) -> web.Response:
        await peer.release.wait()
        return activity(ACTOR)

    async def flaky(request: web.Request) -> web.Response:
        peer.attempts["flaky"] = peer.attempts.get("flaky", 0) + 1
        return web.Response(status=503 if peer.attempts["flaky"] == 1 else 202)

    routes = {
        "/actor": lambda r: activity(ACTOR),
        "/ld": lambda r: activity(ACTOR, LD_JSON_ACTIVITYSTREAMS),
        "/html": lambda r: web.Response(text="<html></html>", content_type="text/html"),
        "/plain-json": lambda r: activity(ACTOR, "application/json"),
        "/array": lambda r: activity([ACTOR]),
        "/not-json": lambda r: web.Response(body=b"{nope", headers={"Content-Type": ACTIVITY_JSON}),
        "/big": lambda r: activity({**ACTOR, "padding": "x" * 5000}),
        "/missing": lambda r: web.Response(status=404),
        "/gone": lambda r: web.Response(status=410),
        "/broken": lambda r: web.Response(status=500),
        "/to-actor": lambda r: web.HTTPFound("/actor"),
        "/loop": lambda r: web.HTTPFound("/loop"),
        "/to-b": lambda r: web.HTTPFound(f"http://b.test:{peer.port}/actor"),
    }

    async def get(request: web.Request) -> web.StreamResponse:
        handler = routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        response = handler(request)
        if isinstance(response, web.HTTPException):
            raise response
        return response

    app = web.Application(middlewares=[record])
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/slow", slow)
    app.router.add_get("/{tail:.*}", get)
    app.router.add_post("/inbox", accepted)
    app.router.add_post("/busy", busy)
    app.router.add_post("/flaky", flaky)
    return app


async def accepted(request: web.Request) -> web.Response:
    return web.Response(status=202)


async def busy(request: web.Request) -> web.Response:
    return web.Response(status=429, headers={"Retry-After": "120"})


@pytest.fixture
async def peer(key: rsa.RSAPrivateKey) -> AsyncIterator[Peer]:
    state = Peer(port=0)
    runner = web.AppRunner(_app(state, public_key_pem(key)), handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    state.port = runner.addresses[0][1]
    yield state
    state.release.set()
    await runner.cleanup()


def mapped(peer: Peer, **options: Any) -> ClientConfig:
    resolve = {"a.test": ("127.0.0.1", peer.port), "b.test": ("127.0.0.1", peer.port)}
    return ClientConfig(resolve=resolve, insecure_http=True, user_agent="Rukun-test", **options)


async def test_resolve_map_routes_a_domain_to_the_loopback_port(
    peer: Peer, key: rsa.RSAPrivateKey
) -> None:
    async with FederationClient(mapped(peer), signer_for(key)) as client:
        # `http://a.test/…` means port 80: only the resolver's port can take it to the peer
        document = await client.fetch_object("http://a.test/actor")

    assert document == ACTOR
    [request] = peer.seen
    assert request.headers["Host"] == "a.test"
    assert request.headers["Accept"] == f"{ACTIVITY_JSON}, {LD_JSON_ACTIVITYSTREAMS}"
    assert request.headers["User-Agent"] == "Rukun-test"
    assert request.error is None and request.verified is not None
    assert request.verified.key_id == KEY_ID
    assert request.verified.covered == ("(request-target)", "host", "date", "accept")


async def test_ld_json_with_the_activitystreams_profile_is_accepted(peer: Peer) -> None:
    async with FederationClient(mapped(peer)) as client:
        assert await client.fetch_object("http://a.test/ld") == ACTOR
    assert "Signature" not in peer.seen[0].headers  # no signer, no signature


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/html", FetchBadContentError),
        ("/plain-json", FetchBadContentError),
        ("/array", FetchBadContentError),
        ("/not-json", FetchBadContentError),
        ("/missing", FetchNotFoundError),
        ("/gone", FetchGoneError),
        ("/broken", FetchHttpError),
    ],
)
async def test_answers_that_are_not_an_object(
    peer: Peer, path: str, error: type[FetchError]
) -> None:
    async with FederationClient(mapped(peer)) as client:
        with pytest.raises(error) as caught:
            await client.fetch_object(f"http://a.test{path}")
    assert caught.value.url == f"http://a.test{path}"
    if isinstance(caught.value, FetchHttpError):
        assert caught.value.status == 500


async def test_gone_is_a_kind_of_not_found(peer: Peer) -> None:
    async with FederationClient(mapped(peer)) as client:
        with pytest.raises(FetchNotFoundError):
            await client.fetch_object("http://a.test/gone")


async def test_oversized_bodies_are_refused(peer: Peer) -> None:
    async with FederationClient(mapped(peer, max_bytes=1000)) as client:
        with pytest.raises(FetchTooLargeError):
            await client.fetch_object("http://a.test/big")  # Content-Length says so
        with pytest.raises(FetchTooLargeError):
            await client.fetch_object("http://a.test/chunked")  # no length: counted while read
        assert await client.fetch_object("http://a.test/actor") == ACTOR


async def test_a_slow_peer_times_out(peer: Peer) -> None:
    async with FederationClient(mapped(peer, timeout=0.3)) as client:
        with pytest.raises(FetchTimeoutError):
            await client.fetch_object("http://a.test/slow")


async def test_same_host_redirects_are_followed_up_to_three(
    peer: Peer, key: rsa.RSAPrivateKey
) -> None:
    async with FederationClient(mapped(peer), signer_for(key)) as client:
        assert await client.fetch_object("http://a.test/to-actor") == ACTOR
        assert [seen.path for seen in peer.seen] == ["/to-actor", "/actor"]
        assert all(seen.verified is not None for seen in peer.seen)  # each hop signed
        with pytest.raises(FetchHttpError, match="redirects") as caught:
            await client.fetch_object("http://a.test/loop")
    assert caught.value.status == 302
    assert [seen.path for seen in peer.seen[2:]] == ["/loop"] * 4


async def test_redirect_to_another_host_is_refused(peer: Peer) -> None:
    async with FederationClient(mapped(peer)) as client:
        with pytest.raises(FetchRefusedError, match="another host"):
            await client.fetch_object("http://a.test/to-b")
    assert [seen.path for seen in peer.seen] == ["/to-b"]


async def test_loopback_addresses_are_refused_unless_allowed(peer: Peer) -> None:
    urls = [
        f"http://127.0.0.1:{peer.port}/actor",
        f"http://[::ffff:127.0.0.1]:{peer.port}/actor",
        f"http://localhost:{peer.port}/actor",  # a DNS name resolving to 127.0.0.1
    ]
    async with FederationClient(ClientConfig(insecure_http=True)) as client:
        for url in urls:
            with pytest.raises(FetchRefusedError, match="non-public"):
                await client.fetch_object(url)
    assert peer.seen == []
    # The same URLs work when private addresses are allowed: the refusal was the guard's.
    allowed = ClientConfig(insecure_http=True, allow_private_addresses=True)
    async with FederationClient(allowed) as client:
        assert await client.fetch_object(urls[0]) == ACTOR
        assert await client.fetch_object(urls[2]) == ACTOR


async def test_plain_http_needs_insecure_http(peer: Peer) -> None:
    config = ClientConfig(resolve={"a.test": ("127.0.0.1", peer.port)})
    async with FederationClient(config) as client:
        with pytest.raises(FetchRefusedError, match="http://"):
            await client.fetch_object("http://a.test/actor")
        with pytest.raises(FetchRefusedError, match="ftp://"):
            await client.fetch_object("ftp://a.test/actor")
    assert peer.seen == []


async def test_unreachable_host() -> None:
    # Port 1 on loopback: mapped, so trusted, but nothing listens there.
    config = ClientConfig(resolve={"a.test": ("127.0.0.1", 1)}, insecure_http=True)
    async with FederationClient(config) as client:
        with pytest.raises(FetchUnreachableError):
            await client.fetch_object("http://a.test/actor")


def test_socket_factory_judges_the_connected_address() -> None:
    guard = AddressGuard({"a.test": ("127.0.0.1", 8081)}, allow_private_addresses=False)
    trusted = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 8081))
    guard.socket_factory(trusted).close()
    for address in (("127.0.0.1", 8082), ("10.0.0.5", 443), ("169.254.169.254", 80)):
        with pytest.raises(AddressRefusedError):
            guard.socket_factory(
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)
            )
    v6 = (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::1", 443, 0, 0))
    with pytest.raises(AddressRefusedError):
        guard.socket_factory(v6)


async def test_post_activity_is_signed_and_reports_retry_after(
    peer: Peer, key: rsa.RSAPrivateKey
) -> None:
    body = json.dumps({"type": "Follow", "actor": "https://rukun.test/actor"}).encode()
    async with FederationClient(mapped(peer)) as client:
        accepted = await client.post_activity("http://a.test/inbox", body, signer=signer_for(key))
        busy = await client.post_activity("http://a.test/busy", body, signer=signer_for(key))

    assert (accepted.status, accepted.retry_after) == (202, None)
    assert (busy.status, busy.retry_after) == (429, 120.0)
    for seen in peer.seen:
        assert seen.error is None and seen.verified is not None
        assert seen.verified.covered == ("(request-target)", "host", "date", "digest")
        assert seen.headers["Content-Type"] == ACTIVITY_JSON


async def test_every_attempt_carries_a_fresh_date_and_signature(
    peer: Peer, key: rsa.RSAPrivateKey
) -> None:
    signer = signer_for(key)

    async def retry_once_on_503(
        request: ClientRequest, handler: ClientHandlerType
    ) -> ClientResponse:
        response = await handler(request)
        if response.status == 503:
            response.release()
            response = await handler(request)
        return response

    # Given a session where a retrying middleware wraps our signer
    # When the first attempt fails and the same request is sent again
    async with (
        aiohttp.ClientSession(middlewares=(retry_once_on_503, signer)) as session,
        session.post(f"http://127.0.0.1:{peer.port}/flaky", data=b"{}") as response,
    ):
        assert response.status == 202
    # And when a delivery is retried later through the federation client
    async with FederationClient(mapped(peer)) as client:
        await client.post_activity("http://a.test/inbox", b"{}", signer=signer)
        await client.post_activity("http://a.test/inbox", b"{}", signer=signer)

    # Then every attempt was verified, with its own Date and signature, and no stale copies
    assert len(peer.seen) == 4
    assert all(seen.error is None for seen in peer.seen), [seen.error for seen in peer.seen]
    assert len({seen.headers["Date"] for seen in peer.seen}) == 4
    assert len({seen.headers["Signature"] for seen in peer.seen}) == 4
    for seen in peer.seen:
        assert seen.lines["Date"] == seen.lines["Signature"] == seen.lines["Digest"] == 1


async def test_post_to_a_refused_address(peer: Peer, key: rsa.RSAPrivateKey) -> None:
    async with FederationClient(ClientConfig(insecure_http=True)) as client:
        with pytest.raises(FetchRefusedError):
            await client.post_activity(
                f"http://127.0.0.1:{peer.port}/inbox", b"{}", signer=signer_for(key)
            )
    assert peer.seen == []
