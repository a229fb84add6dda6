"""Delivery as a protocol: the real `delivery.send` handler, a real signed HTTP client and a
real inbox on 127.0.0.1 that records what reaches it and answers what each test needs —
statuses, `Retry-After`, silence — with the rows and jobs checked in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from actors.accounts import Account, do_create_member
from actors.partners import do_allow_domain, do_block_domain
from actors.site import Site
from db.queue import Worker
from federation.http_client import ClientConfig, FederationClient
from federation.signatures import verify_request
from outbox.delivery import (
    DELIVERY_JOB,
    classify,
    delivery_job_handlers,
    queue_deliveries,
)
from outbox.delivery_policy import DeliveryPolicy
from outbox.delivery_records import (
    Delivery,
    dead_deliveries,
    deliveries_of,
    delivery_counts,
    discard_delivery,
    get_delivery,
    retry_delivery,
)

ROOT = Path(__file__).resolve().parent.parent
INBOX = "http://peer.test/inbox"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingInbox:
    """A peer's shared inbox: records every POST, answers the scripted (status, headers) in
    turn and then `default`; with `hold` set, keeps each request waiting until it is set."""

    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (202, {})
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(request.raw_path, dict(request.headers), await request.read())
        )
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status, headers = self.answers.pop(0) if self.answers else self.default
        return web.Response(status=status, headers=headers)


@dataclass
class Peer:
    inbox: RecordingInbox
    port: int


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    inbox = RecordingInbox()
    app = web.Application()
    app.router.add_post("/inbox", inbox.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Peer(inbox, port)
    finally:
        if inbox.hold is not None:
            inbox.hold.set()
        await runner.cleanup()


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Rig:
    """One node's side of the tests: its database, alice (who sends), the signed client and
    the peer's recording inbox."""

    pool: asyncpg.Pool
    conn: asyncpg.Connection
    database_url: str
    site: Site
    alice: Account
    peer: Peer
    client: FederationClient

    @property
    def inbox(self) -> RecordingInbox:
        return self.peer.inbox

    def worker(self, policy: DeliveryPolicy | None = None, **options: Any) -> Worker:
        options.setdefault("concurrency", 1)
        return Worker(self.pool, delivery_job_handlers(self.site, self.client, policy), **options)

    def activity(self, n: int = 1) -> dict[str, Any]:
        actor = self.site.actor_url("alice")
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#likes/{n}",
            "type": "Like",
            "actor": actor,
            "object": "http://peer.test/users/bob/statuses/1",
        }

    async def queue(self, n: int = 1, inbox: str = INBOX) -> int:
        assert await queue_deliveries(self.conn, self.alice.id, self.activity(n), [inbox]) == 1
        (delivery,) = await deliveries_of(self.conn, self.activity(n)["id"])
        return delivery.id

    async def delivery(self, delivery_id: int) -> Delivery:
        delivery = await get_delivery(self.conn, delivery_id)
        assert delivery is not None
        return delivery

    async def job(self, delivery_id: int) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self.conn.fetchrow(
            """SELECT state, attempts, locked_by,
                      extract(epoch FROM run_at - now())::float8 AS due_in
               FROM jobs WHERE kind = $1 AND (payload->>'delivery_id')::bigint = $2""",
            DELIVERY_JOB,
            delivery_id,
        )
        return row

    async def time_passes(self) -> None:
        """Every retry's time has come (the tests do not wait minutes for backoff)."""
        await self.conn.execute("UPDATE jobs SET run_at = now() WHERE state = 'queued'")


@pytest.fixture
async def rig(pool: asyncpg.Pool, database_url: str, site: Site, peer: Peer) -> AsyncIterator[Rig]:
    """`peer.test` and `stranger.test` reach the recording inbox, `down.test` reaches nothing;
    `peer.test` and `down.test` are partners."""
    resolve = {
        "peer.test": ("127.0.0.1", peer.port),
        "stranger.test": ("127.0.0.1", peer.port),
        "down.test": ("127.0.0.1", closed_port()),
    }
    config = ClientConfig(resolve=resolve, insecure_http=True)
    async with pool.acquire() as conn, FederationClient(config) as client:
        await do_allow_domain(conn, "peer.test")
        await do_allow_domain(conn, "down.test")
        alice = (await do_create_member(conn, "alice", "employee")).account
        yield Rig(pool, conn, database_url, site, alice, peer, client)


# -- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "done"),
        (202, "done"),
        (204, "done"),
        (410, "gone"),
        (400, "permanent"),
        (403, "permanent"),
        (404, "permanent"),
        (422, "permanent"),
        (501, "permanent"),
        (401, "retry"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (301, "retry"),
    ],
)
def test_inbox_answers_are_classified_as_mastodon_does(status: int, outcome: str) -> None:
    assert classify(status) == outcome


# -- the happy path ---------------------------------------------------------------------------


async def test_a_delivery_is_signed_by_its_actor_and_sent_once(rig: Rig) -> None:
    # Given: one activity queued twice to the same inbox, once listed twice
    sent = rig.activity()
    assert await queue_deliveries(rig.conn, rig.alice.id, sent, [INBOX, INBOX]) == 1
    assert await queue_deliveries(rig.conn, rig.alice.id, sent, [INBOX]) == 0

    # When: the worker runs
    assert await rig.worker().drain() == 1

    # Then: the inbox got it once, signed with alice's key over exactly these bytes
    (received,) = rig.inbox.received
    assert received.path == "/inbox"
    assert json.loads(received.body) == sent
    assert received.headers["Content-Type"] == "application/activity+json"

    async def alices_key(key_id: str, *, refresh: bool) -> str | None:
        return rig.alice.public_key_pem if key_id == rig.site.key_id("alice") else None

    verified = await verify_request(
        "POST", received.path, received.headers, received.body, alices_key
    )
    assert verified.key_id == rig.site.key_id("alice")
    (delivery,) = await deliveries_of(rig.conn, sent["id"])
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("done", 1, 202)
    assert delivery.finished_at is not None
    assert await rig.job(delivery.id) is None
    assert await rig.worker().drain() == 0
    assert len(rig.inbox.received) == 1


# -- permanent failures -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [410, 403, 422, 501])
async def test_a_permanent_refusal_is_a_dead_letter_at_once(rig: Rig, status: int) -> None:
    delivery_id = await rig.queue()
    rig.inbox.default = (status, {})

    assert await rig.worker().drain() == 1

    delivery = await rig.delivery(delivery_id)
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("dead", status, 1)
    assert delivery.last_error == f"status {status}"
    assert await rig.job(delivery_id) is None
    assert [d.id for d in await dead_deliveries(rig.conn)] == [delivery_id]
    assert len(rig.inbox.received) == 1


async def test_a_dead_letter_can_be_sent_again_or_discarded(rig: Rig) -> None:
    # Given: two dead letters
    first, second = await rig.queue(1), await rig.queue(2)
    rig.inbox.default = (403, {})
    assert await rig.worker().drain() == 2
    assert await retry_delivery(rig.conn, 12345) is False
    assert await discard_delivery(rig.conn, 12345) is False

    # When: the admin sends the first again (the peer now accepts) and discards the second
    rig.inbox.default = (202, {})
    assert await retry_delivery(rig.conn, first)
    assert await retry_delivery(rig.conn, first) is False  # already queued again
    assert await discard_delivery(rig.conn, second)
    assert await rig.worker().drain() == 1

    # Then
    delivery = await rig.delivery(first)
    assert delivery.state == "done" and delivery.requeued_at is not None
    assert await get_delivery(rig.conn, second) is None
    assert await delivery_counts(rig.conn) == {"queued": 0, "done": 1, "dead": 0}
    assert await discard_delivery(rig.conn, first) is False  # only dead letters are discarded


# -- retries ----------------------------------------------------------------------------------


async def test_a_failed_delivery_backs_off_then_succeeds(rig: Rig) -> None:
    policy = DeliveryPolicy(backoff_base=30.0)
    delivery_id = await rig.queue()
    rig.inbox.answers = [(503, {})]

    assert await rig.worker(policy).drain() == 1

    delivery = await rig.delivery(delivery_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("queued", 1, 503)
    job = await rig.job(delivery_id)
    assert job is not None and job["state"] == "queued"
    assert 0.75 * 30 - 1 <= job["due_in"] <= 1.25 * 30  # the first backoff step, with jitter
    assert await rig.worker(policy).drain() == 0  # not due yet

    await rig.time_passes()
    assert await rig.worker(policy).drain() == 1

    delivery = await rig.delivery(delivery_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("done", 2, 202)
    assert delivery.last_error is None
    first, second = rig.inbox.received
    assert first.body == second.body
    assert await rig.job(delivery_id) is None


def http_date(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((429, "120"), 120.0),
        ((503, "HTTP-date 600 s from now"), 600.0),
        ((429, str(10 * 86400)), 86400.0),  # capped to the policy's max_retry_after
    ],
)
async def test_retry_after_is_honoured(rig: Rig, answer: tuple[int, str], expected: float) -> None:
    delivery_id = await rig.queue()
    status, retry_after = answer
    if retry_after.startswith("HTTP-date"):
        retry_after = http_date(600)
    rig.inbox.answers = [(status, {"Retry-After": retry_after})]

    assert await rig.worker().drain() == 1

    job = await rig.job(delivery_id)
    assert job is not None and job["state"] == "queued"
    assert expected - 5 <= job["due_in"] <= expected + 1
    due = await rig.conn.fetchval(
        "SELECT extract(epoch FROM next_attempt_at - now())::float8 FROM deliveries WHERE id = $1",
        delivery_id,
    )
    assert expected - 5 <= due <= expected + 1


async def test_an_unreachable_host_is_retried(rig: Rig) -> None:
    delivery_id = await rig.queue(inbox="http://down.test/inbox")

    assert await rig.worker().drain() == 1

    delivery = await rig.delivery(delivery_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("queued", 1, None)
    assert delivery.last_error is not None and "down.test" in delivery.last_error
    failures = await rig.conn.fetchval(
        "SELECT failures FROM delivery_hosts WHERE host = 'down.test'"
    )
    assert failures == 1
    job = await rig.job(delivery_id)
    assert job is not None and job["state"] == "queued" and job["due_in"] > 10


# -- the breaker and giving up ----------------------------------------------------------------


async def test_a_failing_host_rests_then_one_probe_finds_it_back(rig: Rig) -> None:
    policy = DeliveryPolicy(breaker_threshold=2, breaker_seconds=60.0)
    ids = [await rig.queue(n) for n in range(1, 4)]
    rig.inbox.default = (503, {})

    # When: the first two fail, the breaker opens and the third waits without a request
    assert await rig.worker(policy).drain() == 3

    assert len(rig.inbox.received) == 2
    host = await rig.conn.fetchrow(
        """SELECT failures, extract(epoch FROM open_until - now())::float8 AS resting
           FROM delivery_hosts WHERE host = 'peer.test'"""
    )
    assert host["failures"] == 2 and 55 <= host["resting"] <= 60
    waiting = await rig.delivery(ids[2])
    assert (waiting.state, waiting.attempts) == ("queued", 0)
    assert waiting.last_error == "peer.test is resting after repeated failures"
    job = await rig.job(ids[2])
    assert job is not None and 55 <= job["due_in"] <= 66

    # Then: once its time is up, one delivery probes, succeeds, and the others follow
    await rig.conn.execute("UPDATE delivery_hosts SET open_until = now() - interval '1 second'")
    await rig.time_passes()
    rig.inbox.default = (202, {})
    assert await rig.worker(policy).drain() == 3

    assert len(rig.inbox.received) == 5
    assert {(await rig.delivery(i)).state for i in ids} == {"done"}
    host = await rig.conn.fetchrow(
        "SELECT failures, open_until FROM delivery_hosts WHERE host = 'peer.test'"
    )
    assert tuple(host) == (0, None)


async def test_a_probe_holds_the_breaker_for_the_others(rig: Rig) -> None:
    # Given: a resting host whose time is up, and a probe already on its way
    policy = DeliveryPolicy(breaker_threshold=1, breaker_seconds=60.0)
    first, second = await rig.queue(1), await rig.queue(2)
    await rig.conn.execute(
        """INSERT INTO delivery_hosts (host, failures, open_until)
           VALUES ('peer.test', 3, now() - interval '1 second')"""
    )
    rig.inbox.hold = asyncio.Event()
    probing = asyncio.create_task(rig.worker(policy).drain())
    async with asyncio.timeout(10):
        await rig.inbox.arrived.wait()

    # When: another worker takes the other delivery meanwhile
    assert await rig.worker(policy).drain() == 1

    # Then: it waits for the probe's verdict instead of trying too
    assert len(rig.inbox.received) == 1
    rig.inbox.hold.set()
    assert await probing >= 1
    assert {(await rig.delivery(i)).state for i in (first, second)} == {"done", "queued"}


async def test_a_delivery_gives_up_after_the_configured_days(rig: Rig) -> None:
    old, recent = await rig.queue(1), await rig.queue(2)
    await rig.conn.execute(
        "UPDATE deliveries SET created_at = now() - interval '8 days' WHERE id = $1", old
    )
    rig.inbox.default = (503, {})

    assert await rig.worker(DeliveryPolicy(give_up_after_days=7)).drain() == 2

    gave_up = await rig.delivery(old)
    assert (gave_up.state, gave_up.last_status) == ("dead", 503)
    assert gave_up.last_error == "gave up after 7 days: status 503"
    assert (await rig.delivery(recent)).state == "queued"
    assert await rig.job(old) is None


async def test_the_last_retry_is_at_the_deadline(rig: Rig) -> None:
    delivery_id = await rig.queue()
    await rig.conn.execute(
        "UPDATE deliveries SET created_at = now() - interval '1 day' + interval '20 seconds'"
    )
    rig.inbox.default = (503, {})
    policy = DeliveryPolicy(give_up_after_days=1, backoff_base=3600.0)

    assert await rig.worker(policy).drain() == 1

    job = await rig.job(delivery_id)
    assert job is not None and job["due_in"] <= 21  # not an hour later, when it is too late


# -- policy -----------------------------------------------------------------------------------


async def test_a_domain_the_policy_refuses_is_never_contacted(rig: Rig) -> None:
    # Given: one delivery to a domain never allowed, one to a partner blocked since
    stranger = await rig.queue(1, inbox="http://stranger.test/inbox")
    blocked = await rig.queue(2)
    await do_block_domain(rig.conn, "peer.test")

    assert await rig.worker().drain() == 2

    assert rig.inbox.received == []
    for delivery_id in (stranger, blocked):
        delivery = await rig.delivery(delivery_id)
        assert (delivery.state, delivery.last_error) == ("dead", "refused by federation policy")


# -- crashes ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def delivery_worker_process(rig: Rig) -> AsyncIterator[asyncio.subprocess.Process]:
    """tests/delivery_worker_process.py with a one-second lease, ready to work."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.delivery_worker_process",
        "--database-url",
        rig.database_url,
        "--domain",
        rig.site.domain,
        "--resolve",
        f"peer.test=127.0.0.1:{rig.peer.port}",
        "--lease",
        "1",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            assert await process.stdout.readline() == b"ready\n"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def test_a_worker_killed_mid_delivery_loses_nothing(rig: Rig) -> None:
    # Given: a worker process in the middle of a delivery (the inbox has not answered)
    delivery_id = await rig.queue()
    rig.inbox.hold = asyncio.Event()
    async with delivery_worker_process(rig) as process:
        async with asyncio.timeout(30):
            await rig.inbox.arrived.wait()

        # When: it is killed
        os.kill(process.pid, signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL

    # Then: the delivery and its job are still there, untouched
    delivery = await rig.delivery(delivery_id)
    assert (delivery.state, delivery.attempts) == ("queued", 0)
    job = await rig.job(delivery_id)
    assert job is not None and job["state"] == "running" and job["attempts"] == 1
    rig.inbox.hold.set()

    # And a later worker delivers it once the dead worker's lease has run out
    survivor = rig.worker(lease_seconds=1)
    async with asyncio.timeout(30):
        while (await rig.delivery(delivery_id)).state != "done":
            if not await survivor.drain():
                await asyncio.sleep(0.1)
    assert len(rig.inbox.received) == 2
    assert rig.inbox.received[0].body == rig.inbox.received[1].body
    assert await rig.job(delivery_id) is None
