"""Hashtags on statuses: one place writes them, for local posts, edits and remote posts."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def set_status_tags(conn: asyncpg.Connection, status_id: int, tags: Sequence[str]) -> None:
    """Make `tags` (names without `#`, any case) the status's hashtags, creating unknown ones;
    the first spelling seen of a tag is the one kept."""
    await conn.execute("DELETE FROM status_tags WHERE status_id = $1", status_id)
    if not tags:
        return
    await conn.execute(
        """INSERT INTO tags (name) SELECT DISTINCT ON (lower(t)) t FROM unnest($1::text[]) AS t
           ON CONFLICT (lower(name)) DO NOTHING""",
        list(tags),
    )
    await conn.execute(
        """INSERT INTO status_tags (status_id, tag_id)
           SELECT $1, id FROM tags WHERE lower(name) = ANY($2::text[]) ON CONFLICT DO NOTHING""",
        status_id,
        [t.lower() for t in tags],
    )
