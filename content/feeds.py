"""Home feeds, filled on write: when a status is stored, one `home_feed` row per local reader
is written in the same transaction (Mastodon's FanOutOnWriteService, minus the Redis)."""

from __future__ import annotations

import asyncpg

from actors.node_policy import load_policy
from content.access import STAFF_ROLES, Viewer, visible_sql
from content.notifications import notify
from content.statuses import Status

# Mastodon sends to hashtag followers only what is public (`broadcastable?`); here `local`
# (internal) posts too, to those who may read them.
_TAG_FANOUT_VISIBILITIES = ("public", "local")


async def fan_out(conn: asyncpg.Connection, status: Status, mentioned: list[int]) -> None:
    """Put a new status (or boost) in the home feeds it belongs to, and notify.

    - a local author always sees their own;
    - public, unlisted, private and local statuses go to local followers (boosts only to those
      who show boosts, and not when the reader already has the original);
    - direct statuses go to mentioned local accounts that follow the author, as in Mastodon;
    - public and local statuses (not boosts) go to local members following one of their
      hashtags, when `content.access` lets them see the status;
    - readers who block or mute the author are skipped."""
    # Only members here read a home feed: a remote author gets no row (nor a query).
    if status.local:
        await conn.execute(
            """INSERT INTO home_feed (account_id, status_id)
               SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM users WHERE account_id = $1)
               ON CONFLICT DO NOTHING""",
            status.account_id,
            status.id,
        )
    is_boost = status.reblog_of_id is not None
    await conn.execute(
        """INSERT INTO home_feed (account_id, status_id)
           SELECT f.account_id, $2
           FROM follows f
           JOIN users u ON u.account_id = f.account_id AND u.disabled_at IS NULL
           WHERE f.target_account_id = $1
             AND ($3 <> 'direct' OR f.account_id = ANY($4::bigint[]))
             AND (NOT $5 OR f.show_reblogs)
             AND (NOT $5 OR NOT EXISTS (SELECT 1 FROM home_feed h
                                        WHERE h.account_id = f.account_id AND h.status_id = $6))
             AND NOT EXISTS (SELECT 1 FROM blocks b
                             WHERE b.account_id = f.account_id AND b.target_account_id = $1)
             AND NOT EXISTS (SELECT 1 FROM mutes m
                             WHERE m.account_id = f.account_id AND m.target_account_id = $1
                               AND (m.expires_at IS NULL OR m.expires_at > now()))
           ON CONFLICT DO NOTHING""",
        status.account_id,
        status.id,
        status.visibility,
        mentioned,
        is_boost,
        status.reblog_of_id or 0,
    )
    if is_boost:
        return
    if status.visibility in _TAG_FANOUT_VISIBILITIES:
        await _fan_out_to_tag_followers(conn, status)
    for account_id in mentioned:
        await notify(conn, account_id, status.account_id, "mention", status.id)
    if status.visibility != "direct":
        subscribers = await conn.fetch(
            "SELECT account_id FROM follows WHERE target_account_id = $1 AND notify",
            status.account_id,
        )
        for row in subscribers:
            if row["account_id"] not in mentioned:
                await notify(conn, row["account_id"], status.account_id, "status", status.id)


async def _fan_out_to_tag_followers(conn: asyncpg.Connection, status: Status) -> None:
    """Members following a tag of the status get it, each within what their role may see
    (`content.access`): one insert per kind of reader, the rule written by `visible_sql` with
    the follower's id as the viewer. A reader who already has it (a followee's post) keeps
    one row."""
    followed = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM status_tags st JOIN tag_follows tf ON tf.tag_id = st.tag_id
                          WHERE st.status_id = $1)""",
        status.id,
    )
    if not followed:
        return
    policy = await load_policy(conn)
    readers = (
        (STAFF_ROLES, Viewer(0, "employee")),
        (
            ("customer",),
            Viewer(
                0,
                "customer",
                customers_see_local=policy.customers_see_local,
                customers_see_customers=policy.customers_see_customers,
            ),
        ),
    )
    for roles, viewer in readers:
        await conn.execute(
            f"""INSERT INTO home_feed (account_id, status_id)
                SELECT DISTINCT tf.account_id, s.id
                FROM status_tags st
                JOIN tag_follows tf ON tf.tag_id = st.tag_id
                JOIN users u ON u.account_id = tf.account_id
                JOIN statuses s ON s.id = st.status_id
                WHERE st.status_id = $1 AND u.role = ANY($2::text[])
                  AND u.disabled_at IS NULL AND u.approved
                  AND {visible_sql("s", "tf.account_id", viewer)}
                  AND NOT EXISTS (SELECT 1 FROM blocks b
                                  WHERE b.account_id = tf.account_id
                                    AND b.target_account_id = s.account_id)
                  AND NOT EXISTS (SELECT 1 FROM mutes m
                                  WHERE m.account_id = tf.account_id
                                    AND m.target_account_id = s.account_id
                                    AND (m.expires_at IS NULL OR m.expires_at > now()))
                ON CONFLICT DO NOTHING""",
            status.id,
            list(roles),
        )


async def remove_from_feeds(conn: asyncpg.Connection, status_id: int) -> None:
    await conn.execute("DELETE FROM home_feed WHERE status_id = $1", status_id)


async def drop_author_from_feed(conn: asyncpg.Connection, reader_id: int, author_id: int) -> None:
    """After an unfollow, block or mute: the author's statuses leave the reader's feed."""
    await conn.execute(
        """DELETE FROM home_feed h USING statuses s
           WHERE h.account_id = $1 AND h.status_id = s.id AND s.account_id = $2""",
        reader_id,
        author_id,
    )
