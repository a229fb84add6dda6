"""A member's defaults for writing and reading, which apps read to preset their composers."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class Preferences:
    default_visibility: str
    default_sensitive: bool
    default_language: str | None
    expand_media: str  # "default", "show_all" or "hide_all"
    expand_spoilers: bool


async def get_preferences(conn: asyncpg.Connection, user_id: int) -> Preferences:
    row = await conn.fetchrow(
        """SELECT default_visibility, default_sensitive, default_language, expand_media,
                  expand_spoilers
           FROM users WHERE id = $1""",
        user_id,
    )
    if row is None:
        raise LookupError(f"no user {user_id}")
    return Preferences(**dict(row))
