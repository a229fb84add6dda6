"""Members' archives as rows: one per export, with its progress, and the time-limited links
that download one without a session. Building the archive is `outbox.archive_export`; this
module owns the `exports` and `export_download_links` tables.

Whoever owns an export may read it; to anyone else it does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from actors.credentials import digest, new_secret
from actors.node_policy import load_policy
from db.queue import enqueue
from db.retention import BATCH, count_matching, delete_batch

BUILD_JOB = "export.build"
BUILD_ATTEMPTS = 3


class ExportInProgress(Exception):
    """The member already has an export being prepared."""


@dataclass(frozen=True, slots=True)
class Export:
    id: int
    account_id: int
    state: str  # queued, running, done, failed
    includes_internal: bool
    items_done: int
    items_total: int
    file_name: str | None
    file_size: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        if self.items_total <= 0:
            return 0
        return min(99, self.items_done * 100 // self.items_total)


_COLUMNS = (
    "id, account_id, state, includes_internal, items_done, items_total, file_name, file_size, "
    "error, created_at, finished_at"
)


def exports_directory(media_root: Path) -> Path:
    """Archives live beside the media directory, in the node's data directory, never under
    the media root that is served as static files."""
    return media_root.parent / "exports"


def archive_path(media_root: Path, export: Export) -> Path | None:
    if export.state != "done" or not export.file_name:
        return None
    path = exports_directory(media_root) / export.file_name
    return path if path.is_file() else None


async def do_start_export(
    conn: asyncpg.Connection, account_id: int, *, includes_internal: bool
) -> Export:
    """Record the export and queue its build, in one transaction. Raises ExportInProgress."""
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO exports (account_id, includes_internal) VALUES ($1, $2)
                    RETURNING {_COLUMNS}""",
                account_id,
                includes_internal,
            )
        except asyncpg.UniqueViolationError:
            raise ExportInProgress from None
        await enqueue(conn, BUILD_JOB, {"export_id": row["id"]}, max_attempts=BUILD_ATTEMPTS)
    return Export(**dict(row))


async def do_request_export(conn: asyncpg.Connection, account_id: int) -> Export:
    """A member asks for their archive; what it may hold is the node's policy now.
    Raises ExportInProgress while another of theirs is being prepared."""
    policy = await load_policy(conn)
    return await do_start_export(
        conn, account_id, includes_internal=policy.export_includes_internal
    )


async def get_export(conn: asyncpg.Connection, export_id: int) -> Export | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM exports WHERE id = $1", export_id)
    return Export(**dict(row)) if row else None


async def get_own_export(
    conn: asyncpg.Connection, account_id: int, export_id: int
) -> Export | None:
    export = await get_export(conn, export_id)
    return export if export is not None and export.account_id == account_id else None


async def list_exports(conn: asyncpg.Connection, account_id: int, limit: int = 20) -> list[Export]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM exports WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        account_id,
        limit,
    )
    return [Export(**dict(row)) for row in rows]


async def mark_running(conn: asyncpg.Connection, export_id: int, items_total: int) -> None:
    await conn.execute(
        """UPDATE exports SET state = 'running', items_done = 0, items_total = $2,
                              error = NULL, updated_at = now()
           WHERE id = $1""",
        export_id,
        items_total,
    )


async def record_progress(conn: asyncpg.Connection, export_id: int, items_done: int) -> None:
    await conn.execute(
        "UPDATE exports SET items_done = $2, updated_at = now() WHERE id = $1",
        export_id,
        items_done,
    )


async def mark_done(
    conn: asyncpg.Connection, export_id: int, file_name: str, file_size: int
) -> None:
    await conn.execute(
        """UPDATE exports SET state = 'done', items_done = items_total, file_name = $2,
                              file_size = $3, updated_at = now(), finished_at = now()
           WHERE id = $1""",
        export_id,
        file_name,
        file_size,
    )


async def mark_failed(conn: asyncpg.Connection, export_id: int, error: str) -> None:
    await conn.execute(
        """UPDATE exports SET state = 'failed', error = $2, updated_at = now(),
                              finished_at = now()
           WHERE id = $1""",
        export_id,
        error[:500],
    )


async def create_download_link(
    conn: asyncpg.Connection, export_id: int, valid_for: timedelta
) -> str:
    """A secret token for `/exports/{export_id}/{token}`, which downloads the archive without
    signing in until `valid_for` has passed (for offboarding, when the account is closing).
    Only its hash is stored; the token is shown once, here."""
    if valid_for <= timedelta(0):
        raise ValueError("a download link must be valid for some time")
    token = new_secret()
    await conn.execute(
        """INSERT INTO export_download_links (token_hash, export_id, expires_at)
           VALUES ($1, $2, now() + $3::interval)""",
        digest(token),
        export_id,
        valid_for,
    )
    return token


async def export_for_link(conn: asyncpg.Connection, export_id: int, token: str) -> Export | None:
    """The export a link names, while the link is valid; None for any wrong or old link."""
    found = await conn.fetchval(
        """SELECT 1 FROM export_download_links
           WHERE token_hash = $1 AND export_id = $2 AND expires_at > now()""",
        digest(token),
        export_id,
    )
    return await get_export(conn, export_id) if found else None


# Finished (or failed) long enough ago, and no download link still valid (offboarding mail).
_OLD_EXPORT = """state IN ('done', 'failed') AND created_at < now() - make_interval(days => $1)
    AND NOT EXISTS (SELECT 1 FROM export_download_links AS link
                    WHERE link.export_id = exports.id AND link.expires_at > now())"""


async def prune_exports(
    conn: asyncpg.Connection,
    media_root: Path,
    older_than_days: float,
    *,
    limit: int = BATCH,
    dry_run: bool = False,
) -> int:
    """Remove up to `limit` old exports with their archive files (an archive is a whole
    account's posts: kept a week for the member to download, not for ever). Their expired
    download links go with them (ON DELETE CASCADE)."""
    if dry_run:
        return await count_matching(conn, "exports", _OLD_EXPORT, older_than_days)
    rows = await delete_batch(
        conn, "exports", "id", _OLD_EXPORT, older_than_days, limit=limit, returning="file_name"
    )
    directory = exports_directory(media_root)
    for row in rows:
        if row["file_name"]:
            (directory / row["file_name"]).unlink(missing_ok=True)
    return len(rows)
