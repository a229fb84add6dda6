"""Storing accepted activities in batches: each accepted delivery waits until its own row and
its job are committed, but the rows of deliveries arriving together are written in one
transaction (two statements), not one transaction each.

There is no timer: while one batch is being written, the next one gathers, so a lone delivery
is written at once and a busy inbox writes hundreds per commit. A batch that fails (one
activity PostgreSQL refuses, say a `\\u0000` inside its JSON) is written again one activity at
a time, so only the delivery at fault fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from db.queue import enqueue_many

log = logging.getLogger(__name__)
MAX_BATCH = 256

_INSERT = """
INSERT INTO inbound_activities (activity_id, activity_type, actor_uri, payload)
SELECT key, kind, actor, payload::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS row(key, kind, actor, payload)
WHERE NOT EXISTS (SELECT 1 FROM inbound_activity_ids
                  WHERE key_hash = sha256(convert_to(row.key, 'UTF8')))
ON CONFLICT (activity_id) DO NOTHING
RETURNING id, activity_id
"""


def _future() -> asyncio.Future[bool]:
    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    # The sender may have hung up: its error is then nobody's to read.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


@dataclass(slots=True)
class _Pending:
    key: str
    kind: str
    actor: str
    payload: str
    stored: asyncio.Future[bool] = field(default_factory=_future)


class InboundWriter:
    """Writes accepted activities and their `job_kind` jobs; `store` returns once committed."""

    def __init__(self, pool: asyncpg.Pool, job_kind: str, *, max_batch: int = MAX_BATCH) -> None:
        self.pool = pool
        self.job_kind = job_kind
        self.max_batch = max_batch
        self._waiting: list[_Pending] = []
        self._writing: asyncio.Task[None] | None = None

    async def store(self, key: str, kind: str, actor: str, document: dict[str, Any]) -> bool:
        """Store the activity under its idempotency `key` with its processing job; True once
        committed, False when that key was stored before (its row may since have been pruned:
        see inbox/retention.py). Raises what the database raised."""
        pending = _Pending(key, kind[:100], actor, orjson.dumps(document).decode())
        self._waiting.append(pending)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_all(), name="inbound-writer")
        # Shielded: a client hanging up does not cancel the write others share.
        return await asyncio.shield(pending.stored)

    async def close(self) -> None:
        """Let the batch being written finish (its senders are waiting for it)."""
        if self._writing is not None:
            with contextlib.suppress(Exception):
                await self._writing

    async def _write_all(self) -> None:
        batch: list[_Pending] = []
        try:
            await self._write_waiting(batch)
        except BaseException as error:  # cancelled at shutdown: nobody may wait forever
            for pending in batch + self._waiting:
                _fail(pending, RuntimeError(f"the inbox writer stopped: {error!r}"))
            raise

    async def _write_waiting(self, batch: list[_Pending]) -> None:
        while self._waiting:
            batch[:] = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            try:
                await self._write(batch)
            except Exception as error:
                if len(batch) == 1:
                    _fail(batch[0], error)
                    continue
                log.warning("a batch of %s inbound activities failed: one at a time", len(batch))
                for pending in batch:
                    try:
                        await self._write([pending])
                    except Exception as alone:
                        _fail(pending, alone)

    async def _write(self, batch: list[_Pending]) -> None:
        # One row per key; a key delivered twice in one batch is a duplicate like any other.
        first: dict[str, _Pending] = {}
        for pending in batch:
            first.setdefault(pending.key, pending)
        rows = list(first.values())
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await conn.fetch(
                _INSERT,
                [p.key for p in rows],
                [p.kind for p in rows],
                [p.actor for p in rows],
                [p.payload for p in rows],
            )
            await enqueue_many(conn, self.job_kind, [{"id": row["id"]} for row in stored])
        new = {row["activity_id"] for row in stored}
        for pending in batch:
            if not pending.stored.done():
                pending.stored.set_result(pending.key in new and first[pending.key] is pending)


def _fail(pending: _Pending, error: Exception) -> None:
    if not pending.stored.done():
        pending.stored.set_exception(error)
