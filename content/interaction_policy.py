"""What a viewer may do with a status they can see (Mastodon's StatusPolicy): favouriting
needs only that they do not block the author; boosting also rules out direct statuses and
other people's followers-only ones. Callers have already checked visibility."""

from __future__ import annotations

import asyncpg

from content.statuses import Status


async def blocks_author(conn: asyncpg.Connection, account_id: int, status: Status) -> bool:
    blocked: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2)",
        account_id,
        status.account_id,
    )
    return blocked


async def may_favourite(conn: asyncpg.Connection, account_id: int, status: Status) -> bool:
    return not await blocks_author(conn, account_id, status)


async def may_reblog(conn: asyncpg.Connection, account_id: int, status: Status) -> bool:
    if status.reblog_of_id is not None or status.visibility == "direct":
        return False
    if status.visibility == "private" and status.account_id != account_id:
        return False
    return not await blocks_author(conn, account_id, status)


REBLOG_VISIBILITIES = ("public", "unlisted", "private", "local")


def reblog_visibility(original: Status, requested: str | None, default: str) -> str:
    """A boost of a followers-only status stays followers-only (only its author may boost it);
    otherwise the booster chooses (default: their posting default), as in Mastodon's
    ReblogService. A boost is never direct, and a boost of an internal (`local`) status stays
    internal. Raises ValueError for a visibility a boost cannot have."""
    if original.visibility in ("private", "direct"):
        return original.visibility
    if requested is not None and requested not in REBLOG_VISIBILITIES:
        raise ValueError(requested)
    visibility = requested or ("private" if default == "direct" else default)
    if original.visibility == "local" and visibility in ("public", "unlisted"):
        return "local"
    return visibility
