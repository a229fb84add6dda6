"""Pinned statuses (the profile's "featured" collection): up to five of one's own statuses,
never a boost or a direct status. The messages are Mastodon's."""

from __future__ import annotations

import asyncpg

from content.statuses import Status

PIN_LIMIT = 5


class PinError(ValueError):
    """The status cannot be pinned; the message is Mastodon's 422 `error`."""


def check_pinnable(account_id: int, status: Status) -> None:
    if status.reblog_of_id is not None:
        raise PinError("Validation failed: A boost cannot be pinned")
    if status.account_id != account_id:
        raise PinError("Validation failed: Someone else's post cannot be pinned")
    if status.visibility == "direct":
        raise PinError(
            "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
        )


async def add_pin(conn: asyncpg.Connection, account_id: int, status: Status) -> bool:
    """Pin inside the caller's transaction; True when newly pinned, False when it already was.
    The limit is counted under a per-account lock so two requests cannot both take the fifth."""
    check_pinnable(account_id, status)
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('rukun:pins:' || $1, 0))", str(account_id)
    )
    pinned = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM status_pins WHERE account_id = $1 AND status_id = $2)",
        account_id,
        status.id,
    )
    if pinned:
        return False
    count: int = await conn.fetchval(
        """SELECT count(*) FROM status_pins p JOIN statuses s ON s.id = p.status_id
           WHERE p.account_id = $1 AND s.deleted_at IS NULL""",
        account_id,
    )
    if count >= PIN_LIMIT:
        raise PinError("Validation failed: You have already pinned the maximum number of posts")
    await conn.execute(
        "INSERT INTO status_pins (account_id, status_id) VALUES ($1, $2)", account_id, status.id
    )
    return True


async def remove_pin(conn: asyncpg.Connection, account_id: int, status_id: int) -> bool:
    removed = await conn.fetchval(
        "DELETE FROM status_pins WHERE account_id = $1 AND status_id = $2 RETURNING id",
        account_id,
        status_id,
    )
    return removed is not None
