"""What a process accepting deliveries keeps between requests: the partner decisions and the
signers' public keys it looked up a moment ago, and the writer that stores accepted activities
in batches. Accepting a delivery then needs no database round trip of its own but the write.

The bound: a decision or a key is reused for at most `cache_seconds` (5 s by default). A rule
change is also announced when it commits (`actors.partners.POLICY_CHANGED`, LISTEN/NOTIFY), and
every process watching forgets its decisions then, so a block takes effect at once; the time
bound only matters if that notice is lost with a dropped connection. An actor's key replaced on
our side (an `Update`, a refetch) is picked up within the bound. A key
that does not verify is never answered from the cache: verification asks again with
`refresh=True`, which goes to the database (and to the actor's server), as before."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg

from actors.accounts import get_local_account
from actors.partners import POLICY_CHANGED, allows_domain
from actors.remote import key_lookup
from federation.http_client import FederationClient
from federation.signature_model import KeyLookup, ResolvedKey
from inbox.inbound_writer import InboundWriter

CACHE_SECONDS = 5.0
_MAX_ENTRIES = 4096


T = TypeVar("T")


@dataclass(slots=True)
class _Entry(Generic[T]):
    value: T
    until: float


class _TimedCache(Generic[T]):
    """Answers younger than `seconds`; forgets everything when it grows past a bound."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[str, _Entry[T]] = {}

    def get(self, key: str) -> _Entry[T] | None:
        entry = self._entries.get(key)
        if entry is None or entry.until <= self.clock():
            return None
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: str, value: T) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = _Entry(value, self.clock() + self.seconds)


class InboxIntake:
    """One per process: the pool, the federation client and mode, the caches and the writer."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: FederationClient,
        writer: InboundWriter,
        *,
        federation_mode: str,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.client = client
        self.writer = writer
        self.federation_mode = federation_mode
        self._allowed: _TimedCache[bool] = _TimedCache(cache_seconds, clock)
        self._keys: _TimedCache[ResolvedKey] = _TimedCache(cache_seconds, clock)
        self._members: _TimedCache[bool] = _TimedCache(cache_seconds, clock)
        self._lookups: dict[tuple[str, bool], asyncio.Future[ResolvedKey | None]] = {}
        self._listener: asyncpg.pool.PoolConnectionProxy | None = None
        # Counts the rule changes heard, so a caller can tell one has been applied.
        self.policy_changes = 0

    async def watch_policy(self) -> None:
        """Hold one pooled connection listening for rule changes, for the process's life."""
        self._listener = await self.pool.acquire()
        await self._listener.add_listener(POLICY_CHANGED, self._policy_changed)

    async def stop_watching(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.remove_listener(POLICY_CHANGED, self._policy_changed)
            await self.pool.release(listener)

    def _policy_changed(self, *_: object) -> None:
        self._allowed.clear()
        self.policy_changes += 1

    async def allows(self, domain: str) -> bool:
        """`actors.partners.allows_domain` under this node's mode, at most `cache_seconds` old."""
        known = self._allowed.get(domain)
        if known is not None:
            return known.value
        async with self.pool.acquire() as conn:
            allowed = await allows_domain(conn, domain, mode=self.federation_mode)
        self._allowed.put(domain, allowed)
        return allowed

    async def has_member(self, username: str) -> bool:
        """Whether a personal inbox's owner exists (a member removed stops receiving within
        `cache_seconds`; what is stored for them is dropped by the handlers anyway)."""
        known = self._members.get(username)
        if known is not None:
            return known.value
        async with self.pool.acquire() as conn:
            found = await get_local_account(conn, username) is not None
        self._members.put(username, found)
        return found

    def key_lookup(self) -> KeyLookup:
        """`actors.remote.key_lookup` behind the cache; a refresh always looks again."""

        async def lookup(key_id: str, *, refresh: bool) -> ResolvedKey | None:
            if not refresh and (known := self._keys.get(key_id)) is not None:
                return known.value
            # Deliveries signed by one new actor arrive together: one lookup (one pooled
            # connection, one fetch of the actor) answers them all.
            flight = self._lookups.get((key_id, refresh))
            if flight is None:
                flight = asyncio.ensure_future(self._look_up(key_id, refresh))
                self._lookups[key_id, refresh] = flight
                flight.add_done_callback(lambda _: self._lookups.pop((key_id, refresh), None))
            return await asyncio.shield(flight)

        return lookup

    async def _look_up(self, key_id: str, refresh: bool) -> ResolvedKey | None:
        async with self.pool.acquire() as conn:
            found = await key_lookup(conn, self.client)(key_id, refresh=refresh)
        if isinstance(found, str):
            found = ResolvedKey(found)
        if found is not None:
            self._keys.put(key_id, found)
        return found
