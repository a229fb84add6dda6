"""Timelines as Mastodon serves them: home (the rows fan-out wrote to `home_feed`), the live
feeds (the public timeline, local or federated) and hashtag timelines.

Fan-out decides what enters a home feed when a status is written; whatever changed since (a
block, a mute, a deletion, an unfollow of a followers-only author) is filtered here, at read
time, through `content.access`. Every query walks one index newest first and stops at
`limit`: home by `home_feed`'s primary key, live feeds by the partial indexes of migration
`live_feed_indexes`, hashtags by `status_tags`' primary key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import asyncpg

from content.access import Viewer, live_sql, visible_sql
from content.status_views import StatusView, load_status_views
from db.keyset import Window, newest_first, window_sql

# Mastodon applies at most four tags from each of `any[]`, `all[]` and `none[]`.
TAGS_PER_MODE = 4


def paged(column: str, window: Window, args: list[object]) -> str:
    """`window`'s conditions on `column` and its `ORDER BY … LIMIT …`, to follow a WHERE
    clause; the values are appended to `args`."""
    conditions, order, values = window_sql(column, window, len(args) + 1)
    args.extend(values)
    return f"TRUE{conditions}{order}"


def hidden_accounts_sql(viewer: str) -> str:
    """The accounts whose statuses and notifications the viewer does not want: those they block,
    those they mute (until the mute expires), and those of domains they block (Mastodon's
    account domain blocks). An uncorrelated sub-select, so PostgreSQL computes the array once
    per query."""
    return f"""ARRAY(
        SELECT target_account_id FROM blocks WHERE account_id = {viewer}
        UNION ALL
        SELECT target_account_id FROM mutes
        WHERE account_id = {viewer} AND (expires_at IS NULL OR expires_at > now())
        UNION ALL
        SELECT a.id FROM account_domain_blocks d JOIN accounts a ON a.domain = d.domain
        WHERE d.account_id = {viewer})"""


def _live(viewer: Viewer) -> str:
    """What the live feeds show: public statuses, internal ones to whom may see them, no
    boosts (the conditions match the partial indexes' predicates, so the planner can use
    them)."""
    return f"s.deleted_at IS NULL AND {live_sql('s', viewer)} AND s.reblog_of_id IS NULL"


# Mastodon's public timeline leaves out replies to others but keeps threads (self-replies).
_NOT_A_REPLY_TO_OTHERS = """(s.in_reply_to_account_id = s.account_id
    OR (s.in_reply_to_id IS NULL AND s.in_reply_to_account_id IS NULL))"""
_HAS_MEDIA = "EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)"


async def _views(
    conn: asyncpg.Connection, rows: list[asyncpg.Record], window: Window, viewer: Viewer
) -> list[StatusView]:
    ids = newest_first([row[0] for row in rows], window)
    views = await load_status_views(conn, ids, viewer.account_id)
    return [views[i] for i in ids if i in views]


# The home query reads the feed in bounded batches: PostgreSQL then walks `home_feed`'s primary
# key for at most this many rows per round, however long the feed, instead of joining it all.
_HOME_BATCH = 200


async def home_timeline(
    conn: asyncpg.Connection, viewer: Viewer, window: Window
) -> list[StatusView]:
    """The viewer's home feed: what fan-out put there that the viewer may still see, without
    authors (or boosted authors) they have since blocked or muted."""
    shown: list[int] = []
    batch = replace(window, limit=max(window.limit * 5, _HOME_BATCH))
    while True:
        conditions, order, values = window_sql("h.status_id", batch, 2)
        rows = await conn.fetch(
            f"""WITH candidates AS MATERIALIZED (
                    SELECT h.status_id FROM home_feed h
                    WHERE h.account_id = $1{conditions}{order})
                SELECT c.status_id,
                       s.id IS NOT NULL
                       AND {visible_sql("s", "$1", viewer)}
                       AND (s.reblog_of_id IS NULL OR {visible_sql("o", "$1", viewer)})
                       AND NOT (ARRAY[s.account_id, o.account_id]
                                && {hidden_accounts_sql("$1")}) AS shown
                FROM candidates c
                LEFT JOIN statuses s ON s.id = c.status_id
                LEFT JOIN statuses o ON o.id = s.reblog_of_id""",
            viewer.account_id,
            *values,
        )
        ordered = sorted(rows, key=lambda r: r[0], reverse=window.min_id is None)
        shown.extend(row[0] for row in ordered if row[1])
        if len(shown) >= window.limit or len(rows) < batch.limit:
            break
        # Everything in this batch was hidden; read on past it.
        edge = ordered[-1][0]
        batch = (
            replace(batch, max_id=edge) if window.min_id is None else replace(batch, min_id=edge)
        )
    # `shown` runs in reading order (oldest first for min_id), as `_views` expects.
    page = shown[: window.limit]
    views = await load_status_views(conn, newest_first(page, window), viewer.account_id)
    return [views[i] for i in newest_first(page, window) if i in views]


@dataclass(frozen=True, slots=True)
class LiveFilter:
    """The options of the public and hashtag timelines."""

    local: bool = False
    remote: bool = False
    only_media: bool = False

    def sql(self) -> str:
        conditions = ["TRUE"]
        if self.local:
            conditions.append("s.local")
        if self.remote:
            conditions.append("NOT s.local")
        if self.only_media:
            conditions.append(_HAS_MEDIA)
        return " AND ".join(conditions)


async def public_timeline(
    conn: asyncpg.Connection, viewer: Viewer, window: Window, options: LiveFilter
) -> list[StatusView]:
    """The node's live feed (`local`), the remote statuses it knows (`remote`), or both.

    Unlike Mastodon, `local` (node-internal) statuses are included for those who may see them
    (`content.access`), and the API renders them as public with `local_only`, as glitch-soc
    does for its local-only posts."""
    args: list[object] = [viewer.account_id]
    rows = await conn.fetch(
        f"""SELECT s.id
            FROM statuses s
            JOIN accounts a ON a.id = s.account_id AND a.suspended_at IS NULL
            WHERE {_live(viewer)} AND {_NOT_A_REPLY_TO_OTHERS} AND {options.sql()}
              AND {visible_sql("s", "$1", viewer)}
              AND s.account_id <> ALL({hidden_accounts_sql("$1")})
              AND {paged("s.id", window, args)}""",
        *args,
    )
    return await _views(conn, rows, window, viewer)


def normalise_tag(name: str) -> str:
    return name.strip().lstrip("#").lower()


async def find_tag_ids(conn: asyncpg.Connection, names: Sequence[str]) -> list[int]:
    """Ids of the tags this node knows among `names` (case-insensitive); unknown ones are left
    out, as Mastodon does."""
    wanted = [normalise_tag(name) for name in names if normalise_tag(name)]
    if not wanted:
        return []
    rows = await conn.fetch(
        "SELECT id FROM tags WHERE lower(name) = ANY($1::text[]) ORDER BY id", wanted
    )
    return [row["id"] for row in rows]


@dataclass(frozen=True, slots=True)
class TagQuery:
    """`/timelines/tag/:hashtag` with `any[]`, `all[]` and `none[]`."""

    tag: str
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()


async def tag_timeline(
    conn: asyncpg.Connection,
    viewer: Viewer,
    window: Window,
    query: TagQuery,
    options: LiveFilter,
) -> list[StatusView]:
    """Public and node-internal statuses with the hashtag (or any of `any`), with every tag of
    `all` and none of `none`; replies included, as in Mastodon. An unknown hashtag has an
    empty timeline."""
    main = await find_tag_ids(conn, [query.tag])
    if not main:
        return []
    anyone = sorted(set(main) | set(await find_tag_ids(conn, query.any[:TAGS_PER_MODE])))
    every = await find_tag_ids(conn, query.all[:TAGS_PER_MODE])
    excluded = await find_tag_ids(conn, query.none[:TAGS_PER_MODE])
    args: list[object] = [viewer.account_id, anyone, every, excluded]
    # One tag walks `status_tags (tag_id, status_id)` in order; several need de-duplication.
    if len(anyone) == 1:
        tag_match, distinct = "st.tag_id = ($2::bigint[])[1]", ""
    else:
        tag_match, distinct = "st.tag_id = ANY($2::bigint[])", "DISTINCT"
    rows = await conn.fetch(
        f"""SELECT {distinct} st.status_id
            FROM status_tags st
            JOIN statuses s ON s.id = st.status_id
            JOIN accounts a ON a.id = s.account_id AND a.suspended_at IS NULL
            WHERE {tag_match} AND {_live(viewer)} AND {options.sql()}
              AND (cardinality($3::bigint[]) = 0 OR (
                   SELECT count(*) FROM status_tags x
                   WHERE x.status_id = s.id AND x.tag_id = ANY($3::bigint[])
                  ) = cardinality($3::bigint[]))
              AND (cardinality($4::bigint[]) = 0 OR NOT EXISTS (
                   SELECT 1 FROM status_tags x
                   WHERE x.status_id = s.id AND x.tag_id = ANY($4::bigint[])))
              AND {visible_sql("s", "$1", viewer)}
              AND s.account_id <> ALL({hidden_accounts_sql("$1")})
              AND {paged("st.status_id", window, args)}""",
        *args,
    )
    return await _views(conn, rows, window, viewer)
