"""Everything needed to show statuses to one viewer, loaded in a fixed number of queries per
page (authors, boosted originals, media, mentions, tags, the viewer's own marks)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from actors.profiles import AccountView, load_accounts
from content.statuses import STATUS_COLUMNS, Status, status_from_row


@dataclass(frozen=True, slots=True)
class MentionRef:
    account_id: int
    username: str
    domain: str | None
    url: str | None


@dataclass(slots=True)
class StatusView:
    status: Status
    account: AccountView
    reblog: StatusView | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[MentionRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    application: dict[str, str | None] | None = None
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    muted: bool = False
    pinned: bool = False
    # Where an imported post came from: {uri, published, origin} (None for others).
    imported_from: dict[str, Any] | None = None


MEDIA_COLUMNS = (
    "id, status_id, type, state, file_key, preview_key, remote_url, meta, description, "
    "focus_x, focus_y, blurhash"
)


async def _viewer_marks(
    conn: asyncpg.Connection, viewer_id: int, ids: list[int], threads: list[int]
) -> dict[str, set[int]]:
    row = await conn.fetchrow(
        """SELECT
             ARRAY(SELECT status_id FROM favourites
                   WHERE account_id = $1 AND status_id = ANY($2::bigint[])) AS favourited,
             ARRAY(SELECT reblog_of_id FROM statuses
                   WHERE account_id = $1 AND reblog_of_id = ANY($2::bigint[])
                     AND deleted_at IS NULL) AS reblogged,
             ARRAY(SELECT status_id FROM bookmarks
                   WHERE account_id = $1 AND status_id = ANY($2::bigint[])) AS bookmarked,
             ARRAY(SELECT status_id FROM status_pins
                   WHERE account_id = $1 AND status_id = ANY($2::bigint[])) AS pinned,
             ARRAY(SELECT thread_id FROM conversation_mutes
                   WHERE account_id = $1 AND thread_id = ANY($3::bigint[])) AS muted""",
        viewer_id,
        ids,
        threads,
    )
    return {name: set(row[name]) for name in row.keys()}  # noqa: SIM118 - Record has no iter


# A status row with everything shown beside it, in one round trip: its media, the accounts it
# mentions, its hashtags and the app it was posted from, aggregated per status.
_WITH_EXTRAS = f"""
    SELECT {", ".join("s." + c.strip() for c in STATUS_COLUMNS.split(","))},
        (SELECT coalesce(json_agg(json_build_object(
                    'id', m.id, 'status_id', m.status_id, 'type', m.type, 'state', m.state,
                    'file_key', m.file_key, 'preview_key', m.preview_key,
                    'remote_url', m.remote_url, 'meta', m.meta, 'description', m.description,
                    'focus_x', m.focus_x, 'focus_y', m.focus_y, 'blurhash', m.blurhash)
                ORDER BY m.id), '[]')
         FROM media_attachments m WHERE m.status_id = s.id) AS extra_media,
        (SELECT coalesce(json_agg(json_build_array(a.id, a.username, a.domain, a.url)
                ORDER BY a.username), '[]')
         FROM mentions mn JOIN accounts a ON a.id = mn.account_id
         WHERE mn.status_id = s.id AND NOT mn.silent) AS extra_mentions,
        ARRAY(SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id
              WHERE st.status_id = s.id ORDER BY t.name) AS extra_tags,
        (SELECT json_build_object('name', app.name, 'website', app.website)
         FROM oauth_applications app WHERE app.id = s.application_id) AS extra_application,
        (SELECT json_build_object('uri', i.original_uri, 'origin', i.origin,
                    'published', to_char(i.published AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'verified', i.proof_verified)
         FROM status_imports i WHERE i.status_id = s.id) AS extra_imported_from
    FROM statuses s
    WHERE s.id = ANY($1::bigint[]) AND s.deleted_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class _Loaded:
    status: Status
    media: list[dict[str, Any]]
    mentions: list[MentionRef]
    tags: list[str]
    application: dict[str, str | None] | None
    imported_from: dict[str, Any] | None


async def _load(conn: asyncpg.Connection, ids: list[int]) -> dict[int, _Loaded]:
    loaded = {}
    for row in await conn.fetch(_WITH_EXTRAS, ids):
        loaded[row["id"]] = _Loaded(
            status=status_from_row(row),
            media=row["extra_media"],
            mentions=[MentionRef(*item) for item in row["extra_mentions"]],
            tags=list(row["extra_tags"]),
            application=row["extra_application"],
            imported_from=row["extra_imported_from"],
        )
    return loaded


async def load_status_views(
    conn: asyncpg.Connection, ids: list[int], viewer_id: int | None
) -> dict[int, StatusView]:
    """Views of the given statuses (deleted ones are left out); boosts carry their original.
    Three or four queries whatever the page size: statuses with their extras, the boosted
    originals (when there are boosts), their authors, and the viewer's own marks."""
    loaded = await _load(conn, list(set(ids)))
    missing = [
        item.status.reblog_of_id
        for item in loaded.values()
        if item.status.reblog_of_id and item.status.reblog_of_id not in loaded
    ]
    if missing:
        loaded.update(await _load(conn, missing))
    statuses = {status_id: item.status for status_id, item in loaded.items()}
    all_ids = list(statuses)
    accounts = await load_accounts(conn, {s.account_id for s in statuses.values()})
    marks: dict[str, set[int]] = defaultdict(set)
    if viewer_id is not None:
        threads = [s.thread_id for s in statuses.values() if s.thread_id]
        marks.update(await _viewer_marks(conn, viewer_id, all_ids, threads))

    def view(status: Status) -> StatusView | None:
        author = accounts.get(status.account_id)
        if author is None:
            return None
        return StatusView(
            status=status,
            account=author,
            media=loaded[status.id].media,
            mentions=loaded[status.id].mentions,
            tags=loaded[status.id].tags,
            application=loaded[status.id].application,
            imported_from=loaded[status.id].imported_from,
            favourited=status.id in marks["favourited"],
            reblogged=status.id in marks["reblogged"],
            bookmarked=status.id in marks["bookmarked"],
            pinned=status.id in marks["pinned"],
            muted=status.thread_id in marks["muted"],
        )

    views: dict[int, StatusView] = {}
    for status_id in ids:
        status = statuses.get(status_id)
        if status is None:
            continue
        outer = view(status)
        if outer is None:
            continue
        if status.reblog_of_id is not None:
            original = statuses.get(status.reblog_of_id)
            inner = view(original) if original else None
            if inner is None:
                continue
            outer.reblog = inner
        views[status_id] = outer
    return views
