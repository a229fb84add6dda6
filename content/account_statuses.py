"""An account's statuses as one viewer may see them: the profile timeline
(`GET /api/v1/accounts/:id/statuses`), and the recent ones merged into a new follower's home
feed (Mastodon's MergeWorker), both under `content.access`'s rules."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from content.access import Viewer, visible_sql
from db.keyset import Window, newest_first, window_sql

MERGE_LIMIT = 40


@dataclass(frozen=True, slots=True)
class ProfileFilter:
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    exclude_direct: bool = False
    pinned: bool = False
    tagged: str | None = None


# A boost shows only when its original is visible too, and (as Mastodon's account timeline
# does) not when the viewer blocks or mutes the original's author.
def _boost_visible(viewer: Viewer) -> str:
    return f"""(s.reblog_of_id IS NULL OR EXISTS (
    SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {visible_sql("o", "$2", viewer)}
      AND NOT EXISTS (SELECT 1 FROM blocks ob
                      WHERE ob.account_id = $2 AND ob.target_account_id = o.account_id)
      AND NOT EXISTS (SELECT 1 FROM mutes om
                      WHERE om.account_id = $2 AND om.target_account_id = o.account_id
                        AND (om.expires_at IS NULL OR om.expires_at > now()))))"""


async def profile_status_ids(
    conn: asyncpg.Connection,
    viewer: Viewer,
    account_id: int,
    window: Window,
    options: ProfileFilter,
) -> list[int]:
    """Ids of the account's statuses the viewer may see, newest first."""
    args: list[object] = [account_id, viewer.account_id]
    filters = []
    if options.exclude_reblogs:
        filters.append("s.reblog_of_id IS NULL")
    if options.exclude_replies:
        # Mastodon keeps self-replies (threads) when replies are excluded.
        filters.append("(s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)")
    if options.exclude_direct:
        filters.append("s.visibility <> 'direct'")
    if options.only_media:
        filters.append("EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)")
    if options.pinned:
        filters.append(
            "EXISTS (SELECT 1 FROM status_pins p"
            " WHERE p.status_id = s.id AND p.account_id = s.account_id)"
        )
    if options.tagged is not None:
        args.append(options.tagged.removeprefix("#").lower())
        filters.append(
            "EXISTS (SELECT 1 FROM status_tags st JOIN tags t ON t.id = st.tag_id"
            f" WHERE st.status_id = s.id AND lower(t.name) = ${len(args)})"
        )
    conditions, order, values = window_sql("s.id", window, len(args) + 1)
    rows = await conn.fetch(
        f"""SELECT s.id FROM statuses s
            WHERE s.account_id = $1 AND {visible_sql("s", "$2", viewer)}
              AND {_boost_visible(viewer)} AND {" AND ".join(filters) or "TRUE"} {conditions}
            {order}""",
        *args,
        *values,
    )
    return newest_first([row["id"] for row in rows], window)


async def merge_into_home_feed(
    conn: asyncpg.Connection, reader: Viewer, author_id: int, *, limit: int = MERGE_LIMIT
) -> None:
    """After a follow: the author's most recent statuses the reader may now see go into the
    reader's home feed, so it is not empty until the next post. Direct messages stay out (they
    reach feeds only when written); boosts only when the follow shows boosts."""
    await conn.execute(
        f"""INSERT INTO home_feed (account_id, status_id)
            SELECT $2, s.id FROM statuses s
            WHERE s.account_id = $1 AND s.visibility <> 'direct'
              AND {visible_sql("s", "$2", reader)} AND {_boost_visible(reader)}
              AND (s.reblog_of_id IS NULL OR EXISTS (
                    SELECT 1 FROM follows f WHERE f.account_id = $2 AND f.target_account_id = $1
                      AND f.show_reblogs))
            ORDER BY s.id DESC LIMIT $3
            ON CONFLICT DO NOTHING""",
        author_id,
        reader.account_id,
        limit,
    )
