"""The accepting side's shortcuts keep its promises: an activity is answered only once its row
and job are committed, one bad activity in a batch fails alone, a block takes effect within
the cache bound, and a burst of deliveries signed by one key looks that key up once."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg

from actors.partners import do_allow_domain, do_block_domain
from federation.http_client import FederationClient
from federation.signature_model import ResolvedKey
from inbox.inbound_writer import InboundWriter
from inbox.intake import CACHE_SECONDS, InboxIntake
from inbox.receive import INBOX_JOB
from tests.inbox_helpers import offline_config, remote_actor


def activity(number: int, **extra: Any) -> dict[str, Any]:
    actor = "https://remote.test/users/ann"
    return {"id": f"{actor}/activities/{number}", "type": "Like", "actor": actor, **extra}


async def store(writer: InboundWriter, number: int, **extra: Any) -> bool:
    document = activity(number, **extra)
    return await writer.store(document["id"], "Like", document["actor"], document)


async def stored_ids(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT a.activity_id FROM inbound_activities a
           JOIN jobs j ON j.kind = $1 AND (j.payload->>'id')::bigint = a.id
           ORDER BY a.activity_id""",
        INBOX_JOB,
    )
    return [row["activity_id"] for row in rows]


async def test_an_activity_is_answered_only_once_its_row_and_job_are_committed(
    pool: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    writer = InboundWriter(pool, INBOX_JOB)
    # Given: another session holds the table, so no insert can finish
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("LOCK TABLE inbound_activities IN EXCLUSIVE MODE")
        # When: an activity is stored meanwhile
        waiting = asyncio.create_task(store(writer, 1))
        await asyncio.sleep(0.3)
        # Then: its sender is still waiting
        assert not waiting.done()
    # ... and once the table is free, it is answered with the row and its job in place
    assert await asyncio.wait_for(waiting, 10) is True
    assert await stored_ids(conn) == [activity(1)["id"]]


async def test_deliveries_arriving_together_are_stored_once_each(
    pool: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    writer = InboundWriter(pool, INBOX_JOB)
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("LOCK TABLE inbound_activities IN EXCLUSIVE MODE")
        first = asyncio.create_task(store(writer, 0))
        await asyncio.sleep(0.1)
        # Five activities gather behind the first batch, one of them sent twice
        later = [asyncio.create_task(store(writer, n)) for n in (1, 2, 2, 3, 4)]
        await asyncio.sleep(0.1)
    answers = await asyncio.wait_for(asyncio.gather(first, *later), 10)
    assert answers == [True, True, True, False, True, True]
    assert await stored_ids(conn) == sorted(activity(n)["id"] for n in range(5))
    # A redelivery later is a duplicate too
    assert await store(writer, 3) is False


async def test_an_activity_the_database_refuses_fails_alone(
    pool: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    writer = InboundWriter(pool, INBOX_JOB)
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("LOCK TABLE inbound_activities IN EXCLUSIVE MODE")
        first = asyncio.create_task(store(writer, 0))
        await asyncio.sleep(0.1)
        # jsonb refuses the NUL character: this one cannot be stored, its batch-mates can
        bad = asyncio.create_task(store(writer, 1, content="nul \u0000 inside"))
        good = asyncio.create_task(store(writer, 2))
        await asyncio.sleep(0.1)
    assert await asyncio.wait_for(first, 10) is True
    assert await asyncio.wait_for(good, 10) is True
    refused = await asyncio.gather(bad, return_exceptions=True)
    assert isinstance(refused[0], asyncpg.PostgresError)
    assert await stored_ids(conn) == [activity(0)["id"], activity(2)["id"]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_block_takes_effect_within_the_cache_bound(
    pool: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    # Given: a partner, looked up once by the intake
    await do_allow_domain(conn, "partner.test")
    clock = Clock()
    async with FederationClient(offline_config(["partner.test"])) as client:
        intake = InboxIntake(
            pool,
            client,
            InboundWriter(pool, INBOX_JOB),
            federation_mode="allowlist",
            clock=clock,
        )
        assert await intake.allows("partner.test")
        # When: the admins block it
        await do_block_domain(conn, "partner.test", reason="breach")
        # Then: the earlier answer stands for at most CACHE_SECONDS, and not a moment longer
        clock.now += CACHE_SECONDS - 0.1
        assert await intake.allows("partner.test")
        clock.now += 0.2
        assert not await intake.allows("partner.test")


class CountingPool:
    """The real pool, counting how often a connection is taken from it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.acquired = 0

    def acquire(self) -> Any:
        self.acquired += 1
        return self.pool.acquire()


async def test_a_burst_signed_by_one_key_looks_it_up_once_and_a_refresh_looks_again(
    pool: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    await do_allow_domain(conn, "remote.test")
    ann = await remote_actor(conn, "https://remote.test/users/ann")
    counting = CountingPool(pool)
    async with FederationClient(offline_config(["remote.test"])) as client:
        intake = InboxIntake(
            cast(asyncpg.Pool, counting),
            client,
            InboundWriter(pool, INBOX_JOB),
            federation_mode="allowlist",
        )
        lookup = intake.key_lookup()
        # When: twenty deliveries signed by ann's key arrive at once, then one more
        found = await asyncio.gather(*(lookup(ann.key_id, refresh=False) for _ in range(20)))
        again = await lookup(ann.key_id, refresh=False)
        assert counting.acquired == 1
        # Then: one lookup answered them all; a refresh (a signature that did not verify)
        # is never answered from the cache
        expected = ResolvedKey(
            await conn.fetchval("SELECT public_key_pem FROM accounts WHERE id = $1", ann.id),
            owner=ann.uri,
        )
        assert set(found) == {expected} and again == expected
        await lookup(ann.key_id, refresh=True)
        assert counting.acquired == 2
