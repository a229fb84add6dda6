"""Read markers: where a member stopped reading their home timeline and their notifications,
so every app they use resumes there. The notifications marker also defines what is unread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg

TIMELINES = ("home", "notifications")


@dataclass(frozen=True, slots=True)
class Marker:
    timeline: str
    last_read_id: int
    version: int
    updated_at: datetime


def _marker(row: asyncpg.Record) -> Marker:
    return Marker(row["timeline"], row["last_read_id"], row["version"], row["updated_at"])


async def get_markers(
    conn: asyncpg.Connection, user_id: int, timelines: Iterable[str]
) -> dict[str, Marker]:
    """The member's markers for the named timelines that have one (unknown names are ignored)."""
    wanted = [t for t in dict.fromkeys(timelines) if t in TIMELINES]
    rows = await conn.fetch(
        """SELECT timeline, last_read_id, version, updated_at FROM markers
           WHERE user_id = $1 AND timeline = ANY($2::text[])""",
        user_id,
        wanted,
    )
    found = {row["timeline"]: _marker(row) for row in rows}
    return {t: found[t] for t in wanted if t in found}


async def do_save_markers(
    conn: asyncpg.Connection, user_id: int, positions: Mapping[str, int]
) -> dict[str, Marker]:
    """Move markers. As in Mastodon, `version` counts changes: saving the same position again
    leaves it as it was."""
    saved: dict[str, Marker] = {}
    async with conn.transaction():
        for timeline, last_read_id in positions.items():
            if timeline not in TIMELINES:
                raise ValueError(f"unknown timeline {timeline!r}")
            row = await conn.fetchrow(
                """INSERT INTO markers (user_id, timeline, last_read_id) VALUES ($1, $2, $3)
                   ON CONFLICT (user_id, timeline) DO UPDATE
                       SET last_read_id = excluded.last_read_id,
                           version = markers.version + 1,
                           updated_at = now()
                       WHERE markers.last_read_id <> excluded.last_read_id
                   RETURNING timeline, last_read_id, version, updated_at""",
                user_id,
                timeline,
                last_read_id,
            )
            if row is None:
                row = await conn.fetchrow(
                    """SELECT timeline, last_read_id, version, updated_at FROM markers
                       WHERE user_id = $1 AND timeline = $2""",
                    user_id,
                    timeline,
                )
            saved[timeline] = _marker(row)
    return saved
