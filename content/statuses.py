"""Statuses as stored: the row, reading it, and the counters that move with replies, boosts
and favourites. Creating one goes through `content.compose`; who may see one is
`content.access`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

STATUS_COLUMNS = (
    "id, account_id, uri, url, local, visibility, text, content, content_type, spoiler_text, "
    "sensitive, language, in_reply_to_id, in_reply_to_account_id, reblog_of_id, thread_id, "
    "application_id, replies_count, reblogs_count, favourites_count, edited_at, deleted_at, "
    "created_at, kind, title, summary"
)


@dataclass(frozen=True, slots=True)
class Status:
    id: int
    account_id: int
    uri: str | None
    url: str | None
    local: bool
    visibility: str
    text: str
    content: str
    content_type: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    reblog_of_id: int | None
    thread_id: int | None
    application_id: int | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    edited_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime
    # `note`, or `article` (a long-form post: `title` and `summary` are its own, not a
    # content warning; `content` is the whole body).
    kind: str = "note"
    title: str = ""
    summary: str = ""

    @property
    def is_article(self) -> bool:
        return self.kind == "article"


def status_from_row(row: asyncpg.Record) -> Status:
    return Status(**{name: row[name] for name in Status.__slots__})


async def get_status(conn: asyncpg.Connection, status_id: int) -> Status | None:
    """A status that is not deleted, whoever may see it (callers check access)."""
    row = await conn.fetchrow(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id = $1 AND deleted_at IS NULL", status_id
    )
    return status_from_row(row) if row else None


async def get_statuses(conn: asyncpg.Connection, ids: list[int]) -> dict[int, Status]:
    rows = await conn.fetch(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id = ANY($1::bigint[])", list(set(ids))
    )
    return {row["id"]: status_from_row(row) for row in rows}


async def adjust_counter(
    conn: asyncpg.Connection, status_id: int, counter: str, delta: int
) -> None:
    if counter not in ("replies_count", "reblogs_count", "favourites_count"):
        raise ValueError(counter)
    await conn.execute(
        f"UPDATE statuses SET {counter} = greatest({counter} + $2, 0) WHERE id = $1",
        status_id,
        delta,
    )
