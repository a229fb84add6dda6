"""What an account's RSS/Atom feed holds for one reader: its recent posts that are readable
without following — public, unlisted, and `local` for who may read internal posts — minus
boosts and replies to others (as Mastodon's feed), under `content.access`'s rules."""

from __future__ import annotations

import asyncpg

from content.access import Viewer, open_visibilities, visible_sql
from content.status_views import StatusView, load_status_views

FEED_LENGTH = 20


async def account_feed(
    conn: asyncpg.Connection, viewer: Viewer, account_id: int, *, limit: int = FEED_LENGTH
) -> list[StatusView]:
    rows = await conn.fetch(
        f"""SELECT s.id FROM statuses s
            WHERE s.account_id = $1 AND s.reblog_of_id IS NULL
              AND s.visibility = ANY($3::text[])
              AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)
              AND {visible_sql("s", "$2", viewer)}
            ORDER BY s.id DESC LIMIT $4""",
        account_id,
        viewer.account_id,
        list(open_visibilities(viewer)),
        limit,
    )
    ids = [row["id"] for row in rows]
    views = await load_status_views(conn, ids, viewer.account_id)
    return [views[i] for i in ids if i in views]
