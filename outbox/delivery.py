"""Durable signed delivery: one `deliveries` row and one `delivery.send` job per (activity,
inbox), written in the transaction of the action that caused them, so a crash at any point
loses nothing and a repeat queues nothing twice.

The job signs the stored activity with its actor's key (fresh signature every attempt, made by
the federation client) and POSTs it. What the inbox answers decides the row's fate:
2xx done; 410 gone and other 4xx (but 401, 408, 429) or 501 permanent — a dead letter at once;
anything else, or no answer, is retried with exponential backoff honouring `Retry-After`,
until the delivery has failed for `give_up_after_days`, then it is a dead letter too. A host
that keeps failing opens its breaker: its deliveries wait instead of trying, and one probe
at a time finds out whether it is back. Dead letters stay in `deliveries` for the admin
panel (`outbox.delivery_records`); the job itself finishes."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg

from actors.partners import allows_domain
from actors.profiles import load_accounts
from actors.signers import signer_for
from actors.site import Site
from db.queue import Handler, Job, RetryLater, backoff, enqueue
from federation.http_client import FederationClient, FetchError, FetchRefusedError, RequestSigner
from federation.origin import host_of
from outbox.delivery_policy import DeliveryPolicy

log = logging.getLogger(__name__)

DELIVERY_JOB = "delivery.send"
# Deliveries give up by age (DeliveryPolicy), not by count; the job's own budget is only a
# backstop against a handler that keeps killing its worker.
JOB_ATTEMPTS = 100_000

QUEUED, DONE, DEAD = "queued", "done", "dead"
DONE_OUTCOME, GONE, PERMANENT, RETRY = "done", "gone", "permanent", "retry"


def classify(status: int) -> str:
    """What an inbox's status means for the delivery (Mastodon's rules, DeliveryWorker)."""
    if 200 <= status < 300:
        return DONE_OUTCOME
    if status == 410:
        return GONE
    # 401: the receiver may have failed to fetch our key just now (a key fetch timing out,
    # a cache being warmed); Mastodon retries it, and so do we. 408 and 429 are about timing.
    if status in (401, 408, 429):
        return RETRY
    if status == 501 or 400 <= status < 500:
        return PERMANENT
    # 5xx, and 1xx/3xx an inbox should never answer (redirects are not followed).
    return RETRY


def counts_against_host(status: int | None) -> bool:
    """Failures that say the host is struggling (no answer, 5xx, 408, 429) feed its breaker;
    a 401 or a refusal comes from a host that is up."""
    return status is None or status >= 500 or status in (408, 429)


# -- queueing ---------------------------------------------------------------------------------


async def queue_deliveries(
    conn: asyncpg.Connection, actor_id: int, activity: dict[str, Any], inboxes: Iterable[str]
) -> int:
    """Queue `activity` (rendered, with `@context` and `id`) from local actor `actor_id` to
    each distinct inbox, in the caller's transaction. An (activity, inbox) pair already queued
    is not queued again. Returns how many deliveries are new."""
    wanted = {inbox: host_of(inbox) for inbox in inboxes}
    wanted = {inbox: host for inbox, host in wanted.items() if host}
    if not wanted:
        return 0
    async with conn.transaction():
        rows = await conn.fetch(
            """INSERT INTO deliveries (activity_id, inbox_url, host, actor_id, payload)
               SELECT $1, w.inbox, w.host, $2, $3
               FROM unnest($4::text[], $5::text[]) AS w(inbox, host)
               ON CONFLICT (activity_id, inbox_url) DO NOTHING RETURNING id""",
            activity["id"],
            actor_id,
            activity,
            list(wanted),
            list(wanted.values()),
        )
        for row in rows:
            await enqueue(conn, DELIVERY_JOB, {"delivery_id": row["id"]}, max_attempts=JOB_ATTEMPTS)
    return len(rows)


async def _record(
    conn: asyncpg.Connection,
    delivery_id: int,
    state: str,
    status: int | None,
    error: str | None,
    *,
    attempted: bool = True,
    delay: float = 0.0,
    host_answered: str | None = None,
) -> None:
    """Write an attempt's outcome; `host_answered` also closes that host's breaker (in the
    same statement: one round trip per delivery is what throughput is made of)."""
    if state == DEAD:
        log.warning("delivery %s is a dead letter: %s", delivery_id, error)
    await conn.execute(
        """WITH answered AS (
               UPDATE delivery_hosts SET failures = 0, open_until = NULL
               WHERE host = $7 AND (failures > 0 OR open_until IS NOT NULL))
           UPDATE deliveries
           SET state = $2, attempts = attempts + $3::int, last_status = coalesce($4, last_status),
               last_error = $5, next_attempt_at = now() + make_interval(secs => $6),
               finished_at = CASE WHEN $2 = 'queued' THEN NULL ELSE now() END
           WHERE id = $1 AND state = 'queued'""",
        delivery_id,
        state,
        1 if attempted else 0,
        status,
        None if error is None else error[:2000],
        delay,
        host_answered,
    )


# -- the per-host breaker ---------------------------------------------------------------------


async def _take_probe(conn: asyncpg.Connection, host: str, policy: DeliveryPolicy) -> float:
    """The breaker's time is up: take the probe (0: go ahead; the breaker stays open for the
    others meanwhile), or the seconds left when another delivery took it first."""
    wait: float | None = await conn.fetchval(
        """WITH probe AS (
               UPDATE delivery_hosts SET open_until = now() + make_interval(secs => $2)
               WHERE host = $1 AND open_until <= now() RETURNING 0::float8 AS wait)
           SELECT coalesce((SELECT wait FROM probe),
                           (SELECT greatest(extract(epoch FROM open_until - now())::float8, 0)
                            FROM delivery_hosts WHERE host = $1))""",
        host,
        policy.breaker_seconds,
    )
    return wait or 0.0


async def _host_failed(conn: asyncpg.Connection, host: str, policy: DeliveryPolicy) -> None:
    await conn.execute(
        """INSERT INTO delivery_hosts AS h (host, failures, last_failure_at)
           VALUES ($1, 1, now())
           ON CONFLICT (host) DO UPDATE SET
               failures = h.failures + 1,
               last_failure_at = now(),
               open_until = CASE WHEN h.failures + 1 >= $2 THEN now() + make_interval(
                   secs => least($4, $3 * 2 ^ least(h.failures + 1 - $2, 30))) END""",
        host,
        policy.breaker_threshold,
        policy.breaker_seconds,
        policy.backoff_cap,
    )


# -- the job ----------------------------------------------------------------------------------

# The delivery with what one attempt needs: its actor's key and its host's breaker.
_LOAD = """
SELECT d.inbox_url, d.host, d.actor_id, d.payload::text AS body, d.state,
       extract(epoch FROM now() - greatest(d.created_at, d.requeued_at))::float8 AS age,
       a.private_key_pem,
       coalesce(h.failures, 0) AS failures,
       extract(epoch FROM h.open_until - now())::float8 AS resting
FROM deliveries d
JOIN accounts a ON a.id = d.actor_id
LEFT JOIN delivery_hosts h ON h.host = d.host
WHERE d.id = $1
"""
# A policy decision is reused this long: a block takes effect within seconds.
_POLICY_TTL = 5.0


@dataclass(frozen=True, slots=True)
class _Pending:
    """A queued delivery as one attempt needs it; `left`: seconds before it gives up;
    `troubled`: its host has failures on record (a success must clear them)."""

    id: int
    inbox_url: str
    host: str
    actor_id: int
    body: str
    left: float
    troubled: bool


class DeliverySender:
    """The `delivery.send` handler: one attempt at one delivery."""

    def __init__(
        self,
        site: Site,
        client: FederationClient,
        policy: DeliveryPolicy,
        federation_mode: str,
    ) -> None:
        self.site = site
        self.client = client
        self.policy = policy
        self.federation_mode = federation_mode
        # Parsing an RSA key costs more than signing with it: keep each actor's signer,
        # keyed by its key too, so a new key is picked up at once.
        self._signers: dict[tuple[int, str], RequestSigner] = {}
        self._allowed: dict[str, tuple[bool, float]] = {}

    async def _signer(
        self, conn: asyncpg.Connection, actor_id: int, pem: str | None
    ) -> RequestSigner | None:
        if pem is None:
            return None
        signer = self._signers.get((actor_id, pem))
        if signer is None:
            view = (await load_accounts(conn, [actor_id])).get(actor_id)
            if view is None or view.account.private_key_pem != pem:
                return None
            if len(self._signers) >= 4096:
                self._signers.clear()
            signer = self._signers[actor_id, pem] = signer_for(self.site, view.account)
        return signer

    async def _allows(self, conn: asyncpg.Connection, host: str) -> bool:
        now = time.monotonic()
        known = self._allowed.get(host)
        if known is not None and known[1] > now:
            return known[0]
        allowed = await allows_domain(conn, host, mode=self.federation_mode)
        if len(self._allowed) >= 4096:
            self._allowed.clear()
        self._allowed[host] = (allowed, now + _POLICY_TTL)
        return allowed

    async def __call__(self, conn: asyncpg.Connection, job: Job) -> None:
        delivery_id = int(job.payload["delivery_id"])
        row = await conn.fetchrow(_LOAD, delivery_id)
        if row is None or row["state"] != QUEUED:
            return  # done, dead or discarded meanwhile: nothing to do (jobs run at least once)
        pending = _Pending(
            delivery_id,
            row["inbox_url"],
            row["host"],
            row["actor_id"],
            row["body"],
            self.policy.give_up_after_seconds - row["age"],
            row["failures"] > 0 or row["resting"] is not None,
        )
        if not await self._allows(conn, pending.host):
            await _record(conn, pending.id, DEAD, None, "refused by federation policy")
            return
        wait = 0.0
        if row["failures"] >= self.policy.breaker_threshold and row["resting"] is not None:
            wait = (
                row["resting"]
                if row["resting"] > 0
                else await _take_probe(conn, pending.host, self.policy)
            )
        if wait > 0:
            if wait >= pending.left:
                await _record(conn, pending.id, DEAD, None, f"{pending.host} unreachable, gave up")
                return
            resting = f"{pending.host} is resting after repeated failures"
            await _record(conn, pending.id, QUEUED, None, resting, attempted=False, delay=wait)
            # Spread the waiting deliveries a little so they do not all wake together.
            raise RetryLater(resting, wait + random.uniform(0, 5))  # noqa: S311 - jitter
        signer = await self._signer(conn, pending.actor_id, row["private_key_pem"])
        if signer is None:
            await _record(conn, pending.id, DEAD, None, "the actor cannot sign any more")
            return
        await self._attempt(conn, pending, signer)

    async def _attempt(
        self, conn: asyncpg.Connection, pending: _Pending, signer: RequestSigner
    ) -> None:
        status: int | None = None
        retry_after: float | None = None
        try:
            response = await self.client.post_activity(
                pending.inbox_url, pending.body.encode(), signer=signer
            )
        except FetchRefusedError as error:
            await _record(conn, pending.id, DEAD, None, str(error))
            return
        except FetchError as error:
            outcome, message = RETRY, str(error)
        else:
            status, retry_after = response.status, response.retry_after
            outcome, message = classify(status), f"status {status}"
        answered = pending.host if pending.troubled else None
        if outcome != RETRY:
            state = DONE if outcome == DONE_OUTCOME else DEAD
            kept = None if state == DONE else message
            await _record(conn, pending.id, state, status, kept, host_answered=answered)
            return
        if counts_against_host(status):
            await _host_failed(conn, pending.host, self.policy)
            answered = None
        await self._retry_or_give_up(conn, pending, status, message, retry_after, answered=answered)

    async def _retry_or_give_up(
        self,
        conn: asyncpg.Connection,
        pending: _Pending,
        status: int | None,
        message: str,
        retry_after: float | None,
        *,
        answered: str | None,
    ) -> None:
        if pending.left <= 0:
            days = f"{self.policy.give_up_after_days:g}"
            error = f"gave up after {days} days: {message}"
            await _record(conn, pending.id, DEAD, status, error, host_answered=answered)
            return
        attempts: int = await conn.fetchval(
            "SELECT attempts + 1 FROM deliveries WHERE id = $1", pending.id
        )
        if retry_after is not None:
            delay = min(max(retry_after, 1.0), self.policy.max_retry_after)
        else:
            delay = backoff(attempts, self.policy.backoff_base, self.policy.backoff_cap)
        # One last attempt at the deadline rather than none after it.
        delay = min(delay, max(pending.left, 1.0))
        await _record(
            conn, pending.id, QUEUED, status, message, delay=delay, host_answered=answered
        )
        raise RetryLater(message, delay)


def delivery_job_handlers(
    site: Site,
    client: FederationClient,
    policy: DeliveryPolicy | None = None,
    federation_mode: str = "allowlist",
) -> dict[str, Handler]:
    return {DELIVERY_JOB: DeliverySender(site, client, policy or DeliveryPolicy(), federation_mode)}
