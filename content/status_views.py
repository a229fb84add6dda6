"""Everything needed to show statuses to one viewer, loaded in a fixed number of queries per
page (authors, boosted originals, media, mentions, tags, the viewer's own marks)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from actors.profiles import AccountView, load_accounts
from content.statuses import Status, get_statuses


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


async def load_status_views(
    conn: asyncpg.Connection, ids: list[int], viewer_id: int | None
) -> dict[int, StatusView]:
    """Views of the given statuses (deleted ones are left out); boosts carry their original."""
    statuses = await get_statuses(conn, ids)
    originals = [s.reblog_of_id for s in statuses.values() if s.reblog_of_id]
    missing = [i for i in originals if i not in statuses]
    if missing:
        statuses.update(await get_statuses(conn, missing))
    statuses = {i: s for i, s in statuses.items() if s.deleted_at is None}
    all_ids = list(statuses)
    accounts = await load_accounts(conn, {s.account_id for s in statuses.values()})

    media: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await conn.fetch(
        f"SELECT {MEDIA_COLUMNS} FROM media_attachments WHERE status_id = ANY($1::bigint[])"
        " ORDER BY id",
        all_ids,
    ):
        media[row["status_id"]].append(dict(row))
    mentions: dict[int, list[MentionRef]] = defaultdict(list)
    for row in await conn.fetch(
        """SELECT m.status_id, a.id, a.username, a.domain, a.url FROM mentions m
           JOIN accounts a ON a.id = m.account_id
           WHERE m.status_id = ANY($1::bigint[]) AND NOT m.silent ORDER BY a.username""",
        all_ids,
    ):
        mentions[row["status_id"]].append(
            MentionRef(row["id"], row["username"], row["domain"], row["url"])
        )
    tags: dict[int, list[str]] = defaultdict(list)
    for row in await conn.fetch(
        """SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id
           WHERE st.status_id = ANY($1::bigint[]) ORDER BY t.name""",
        all_ids,
    ):
        tags[row["status_id"]].append(row["name"])
    app_ids = [s.application_id for s in statuses.values() if s.application_id]
    apps = {
        row["id"]: {"name": row["name"], "website": row["website"]}
        for row in await conn.fetch(
            "SELECT id, name, website FROM oauth_applications WHERE id = ANY($1::bigint[])",
            app_ids,
        )
    }
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
            media=media.get(status.id, []),
            mentions=mentions.get(status.id, []),
            tags=tags.get(status.id, []),
            application=apps.get(status.application_id) if status.application_id else None,
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
