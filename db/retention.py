"""Bounded deletes for the housekeeping pass (node/housekeeping.py): each call removes at
most `limit` rows in the caller's transaction, so pruning a year's backlog never holds a
long lock. Rows another transaction holds are skipped (`SKIP LOCKED`): the next pass gets them.

Table, key and condition are the callers' own SQL constants, never input."""

from __future__ import annotations

import asyncpg

BATCH = 1000


async def delete_batch(
    conn: asyncpg.Connection,
    table: str,
    key: str,
    condition: str,
    *args: object,
    limit: int = BATCH,
    returning: str | None = None,
) -> list[asyncpg.Record]:
    """Delete up to `limit` rows of `table` matching `condition`; the deleted rows' `returning`
    columns (by default their key)."""
    return list(
        await conn.fetch(
            f"""DELETE FROM {table} WHERE {key} IN (
                    SELECT {key} FROM {table} WHERE {condition}
                    LIMIT {int(limit)} FOR UPDATE SKIP LOCKED)
                RETURNING {returning or key}""",
            *args,
        )
    )


async def count_matching(
    conn: asyncpg.Connection, table: str, condition: str, *args: object
) -> int:
    """How many rows a prune would remove (`--dry-run`)."""
    found: int = await conn.fetchval(
        f"SELECT count(*) FROM {table} WHERE {condition}",
        *args,
    )
    return found


async def prune(
    conn: asyncpg.Connection,
    table: str,
    key: str,
    condition: str,
    *args: object,
    limit: int = BATCH,
    dry_run: bool = False,
) -> int:
    """One batch deleted (its size), or with `dry_run` the count of everything that matches."""
    if dry_run:
        return await count_matching(conn, table, condition, *args)
    return len(await delete_batch(conn, table, key, condition, *args, limit=limit))
