"""Followed hashtags (Mastodon 4.x): a member follows a tag, and public posts carrying it enter
their home feed as they arrive (`content.feeds`), whoever wrote them, local or remote."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from content.search import Tag, get_tag, is_tag_name
from db.keyset import Window, newest_first, window_sql


@dataclass(frozen=True, slots=True)
class FollowedTag:
    """One row of `followed_tags`: `id` is the follow's, which pages the list."""

    id: int
    tag: Tag


async def is_following_tag(conn: asyncpg.Connection, account_id: int, tag_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM tag_follows WHERE account_id = $1 AND tag_id = $2", account_id, tag_id
    )
    return found is not None


async def do_follow_tag(conn: asyncpg.Connection, account_id: int, name: str) -> Tag | None:
    """Follow the tag, creating it when this node has not seen it yet (as Mastodon does);
    None for a name that is not a hashtag. Following again changes nothing."""
    name = name.strip().lstrip("#")
    if not is_tag_name(name):
        return None
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO tags (name) VALUES ($1) ON CONFLICT (lower(name)) DO NOTHING", name
        )
        tag = await get_tag(conn, name)
        assert tag is not None
        await conn.execute(
            """INSERT INTO tag_follows (account_id, tag_id) VALUES ($1, $2)
               ON CONFLICT (account_id, tag_id) DO NOTHING""",
            account_id,
            tag.id,
        )
    return tag


async def do_unfollow_tag(conn: asyncpg.Connection, account_id: int, tag: Tag) -> None:
    """Stop following; the posts the tag brought leave the home feed, except those the member
    still gets otherwise: their own, their followees', or carrying another tag they follow
    (Mastodon's `FeedManager#unmerge_tag_from_home`)."""
    async with conn.transaction():
        removed = await conn.fetchval(
            "DELETE FROM tag_follows WHERE account_id = $1 AND tag_id = $2 RETURNING id",
            account_id,
            tag.id,
        )
        if removed is None:
            return
        await conn.execute(
            """DELETE FROM home_feed h USING status_tags st, statuses s
               WHERE h.account_id = $1 AND st.tag_id = $2 AND h.status_id = st.status_id
                 AND s.id = st.status_id AND s.account_id <> $1
                 AND NOT EXISTS (SELECT 1 FROM follows f
                                 WHERE f.account_id = $1 AND f.target_account_id = s.account_id)
                 AND NOT EXISTS (SELECT 1 FROM mentions m
                                 WHERE m.status_id = s.id AND m.account_id = $1)
                 AND NOT EXISTS (SELECT 1 FROM status_tags other
                                 JOIN tag_follows tf ON tf.tag_id = other.tag_id
                                 WHERE other.status_id = s.id AND tf.account_id = $1)""",
            account_id,
            tag.id,
        )


async def followed_tags(
    conn: asyncpg.Connection, account_id: int, window: Window
) -> list[FollowedTag]:
    """A page of the member's followed tags, newest follow first."""
    conditions, order, values = window_sql("tf.id", window, 2)
    rows = await conn.fetch(
        f"""SELECT tf.id, t.id AS tag_id, t.name FROM tag_follows tf
            JOIN tags t ON t.id = tf.tag_id
            WHERE tf.account_id = $1{conditions}{order}""",
        account_id,
        *values,
    )
    found = [FollowedTag(row["id"], Tag(row["tag_id"], row["name"])) for row in rows]
    return newest_first(found, window)
