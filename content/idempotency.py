"""Idempotency keys for posting (`Idempotency-Key`): the same key from the same member within
an hour stands for the same status, so a client retrying after a lost response does not post
twice. Mastodon keeps these in Redis for an hour; here they are rows, and the claim is made in
the posting transaction so two concurrent requests with one key cannot both post."""

from __future__ import annotations

import asyncpg

KEY_LIFETIME = "1 hour"
MAX_KEY_LENGTH = 512


async def posted_with_key(conn: asyncpg.Connection, user_id: int, key: str) -> int | None:
    """The live status posted under the key within the hour, if any."""
    status_id: int | None = await conn.fetchval(
        f"""SELECT k.status_id FROM idempotency_keys k JOIN statuses s ON s.id = k.status_id
            WHERE k.user_id = $1 AND k.key = $2 AND s.deleted_at IS NULL
              AND k.created_at > now() - interval '{KEY_LIFETIME}'""",
        user_id,
        key,
    )
    return status_id


async def claim_key(conn: asyncpg.Connection, user_id: int, key: str) -> bool:
    """Take the key for a new post inside the caller's transaction; False when a live claim
    exists (a concurrent request holding it waits here until that request commits). An expired
    key is taken over; deleting a status frees its key (`release_keys`)."""
    # The conflict condition may only look at the key's own row: PostgreSQL re-checks it
    # against the row a concurrent request just committed, but a sub-select would still read
    # this statement's older snapshot and miss that request's status.
    claimed = await conn.fetchval(
        f"""INSERT INTO idempotency_keys (user_id, key) VALUES ($1, $2)
            ON CONFLICT (user_id, key) DO UPDATE SET status_id = NULL, created_at = now()
            WHERE idempotency_keys.created_at <= now() - interval '{KEY_LIFETIME}'
            RETURNING true""",
        user_id,
        key,
    )
    return bool(claimed)


async def record_key(conn: asyncpg.Connection, user_id: int, key: str, status_id: int) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET status_id = $3 WHERE user_id = $1 AND key = $2",
        user_id,
        key,
        status_id,
    )


async def release_keys(conn: asyncpg.Connection, status_id: int) -> None:
    """A deleted status no longer answers for its key: the same key may post again."""
    await conn.execute("DELETE FROM idempotency_keys WHERE status_id = $1", status_id)
