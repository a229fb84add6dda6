"""The member's imports: one row each, with what is left to do, progress and per-row errors.

An import is accepted whole (its file already checked) and run by the `import.run` job. The job
moves `processed_items` forward in the same transaction as each row's effect, so a job run
again after a crash resumes where it stopped instead of counting twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from db.queue import enqueue
from db.retention import BATCH, prune

RUN_JOB = "import.run"
MAX_KEPT_ERRORS = 1000  # messages kept per import; the counters stay exact beyond that
MODES = ("merge", "overwrite")


@dataclass(frozen=True, slots=True)
class Import:
    id: int
    account_id: int
    type: str
    mode: str
    state: str
    filename: str
    total_items: int
    processed_items: int
    failed_items: int
    skipped_items: int
    errors: list[str]
    created_at: datetime
    finished_at: datetime | None


_COLUMNS = (
    "id, account_id, type, mode, state, filename, total_items, processed_items, failed_items, "
    "skipped_items, errors, created_at, finished_at"
)


def _from_row(row: asyncpg.Record) -> Import:
    return Import(**dict(row))


async def do_start_import(
    conn: asyncpg.Connection,
    account_id: int,
    kind: str,
    mode: str,
    *,
    filename: str = "",
    rows: list[dict[str, Any]] | None = None,
    archive: bytes | None = None,
    total: int = 0,
) -> Import:
    """Store a checked import and queue its job, together."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""INSERT INTO imports (account_id, type, mode, filename, rows, archive, total_items)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
            account_id,
            kind,
            mode,
            filename[:255],
            rows or [],
            archive,
            total,
        )
        await enqueue(conn, RUN_JOB, {"import_id": row["id"]})
    return _from_row(row)


async def get_import(conn: asyncpg.Connection, account_id: int, import_id: int) -> Import | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM imports WHERE id = $1 AND account_id = $2",
        import_id,
        account_id,
    )
    return _from_row(row) if row else None


async def list_imports(conn: asyncpg.Connection, account_id: int, limit: int = 40) -> list[Import]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM imports WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        account_id,
        limit,
    )
    return [_from_row(row) for row in rows]


async def claim_import(conn: asyncpg.Connection, import_id: int) -> Import | None:
    """Mark the import running and return it; None when it is gone or already finished."""
    row = await conn.fetchrow(
        f"""UPDATE imports SET state = 'running'
            WHERE id = $1 AND state <> 'finished' RETURNING {_COLUMNS}""",
        import_id,
    )
    return _from_row(row) if row else None


async def import_rows(conn: asyncpg.Connection, import_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await conn.fetchval(
        "SELECT rows FROM imports WHERE id = $1", import_id
    )
    return rows


async def import_archive(conn: asyncpg.Connection, import_id: int) -> bytes | None:
    data: bytes | None = await conn.fetchval("SELECT archive FROM imports WHERE id = $1", import_id)
    return data


async def record_item(
    conn: asyncpg.Connection,
    import_id: int,
    *,
    error: str | None = None,
    skipped: bool = False,
    note: str | None = None,
) -> None:
    """One item done: failed with `error`, skipped (with a `note` why), or imported (a `note`
    may still say what was left out of it). Call in the item's own transaction."""
    message = error or note
    await conn.execute(
        """UPDATE imports SET
               processed_items = processed_items + 1,
               failed_items = failed_items + $2::int,
               skipped_items = skipped_items + $3::int,
               errors = CASE WHEN $4::text IS NULL OR jsonb_array_length(errors) >= $5
                             THEN errors ELSE errors || jsonb_build_array($4::text) END
           WHERE id = $1""",
        import_id,
        int(error is not None),
        int(skipped),
        message,
        MAX_KEPT_ERRORS,
    )


async def finish_import(conn: asyncpg.Connection, import_id: int) -> None:
    """Done: the rows and the archive are dropped, the counters and messages stay."""
    await conn.execute(
        """UPDATE imports SET state = 'finished', finished_at = now(), rows = '[]',
               archive = NULL
           WHERE id = $1""",
        import_id,
    )


# What an overwriting import replaces, by type: the relationships it compares with the file.
_RELATED = {
    "following": ("follows", "follow_requests"),
    "blocking": ("blocks",),
    "muting": ("mutes",),
}


def handle_key(username: str, domain: str | None) -> str:
    """How an account is compared with an address in a file: `user` here, `user@domain`
    elsewhere, whatever the case."""
    return (username if domain is None else f"{username}@{domain}").lower()


async def related_accounts(conn: asyncpg.Connection, account_id: int, kind: str) -> list[Account]:
    """The accounts the member follows (or has asked to), blocks or mutes, for `kind`."""
    tables = _RELATED[kind]
    union = " UNION ".join(
        f"SELECT target_account_id FROM {table} WHERE account_id = $1" for table in tables
    )
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN ({union})", account_id
    )
    return [account_from_row(row) for row in rows]


async def prune_imports(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Remove up to `limit` finished imports started long ago: their uploaded rows and archives
    were applied and the member has read the outcome. Unfinished ones stay, whatever their age."""
    return await prune(
        conn,
        "imports",
        "id",
        "state = 'finished' AND created_at < now() - make_interval(days => $1)",
        older_than_days,
        limit=limit,
        dry_run=dry_run,
    )
