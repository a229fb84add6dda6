"""Who may see a status: the one place these rules live. Every read path (single status,
context, timelines, notifications, search) asks here, through `visible_sql` in queries or
`may_see` for a loaded status.

- `public`, `unlisted`: every member of the node (and, later, allowed partners).
- `local`: members of the author's own node only; never leaves it.
- `private`: the author, their followers, and accounts mentioned.
- `direct`: the author and accounts mentioned.
An author who blocks the viewer hides all their statuses from that viewer. Deleted statuses are
gone for everyone. What a viewer may not see is reported as "not found", never "forbidden"."""

from __future__ import annotations

import asyncpg

VISIBILITIES = ("public", "unlisted", "private", "direct", "local")
# Mastodon orders visibilities from widest to narrowest; a reply or boost may not widen.
_RANK = {"public": 0, "unlisted": 1, "local": 2, "private": 3, "direct": 4}


def narrower(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def visible_sql(alias: str, viewer: str) -> str:
    """A SQL condition true when the status `alias` is visible to account id `viewer` (a `$n`
    parameter or column). Reblogs are checked through their own row and the original's."""
    return f"""(
        {alias}.deleted_at IS NULL
        AND (
            {alias}.visibility IN ('public', 'unlisted', 'local')
            OR {alias}.account_id = {viewer}
            OR ({alias}.visibility = 'private' AND EXISTS (
                SELECT 1 FROM follows vf
                WHERE vf.account_id = {viewer} AND vf.target_account_id = {alias}.account_id))
            OR EXISTS (
                SELECT 1 FROM mentions vm
                WHERE vm.status_id = {alias}.id AND vm.account_id = {viewer})
        )
        AND NOT EXISTS (
            SELECT 1 FROM blocks vb
            WHERE vb.account_id = {alias}.account_id AND vb.target_account_id = {viewer})
    )"""


async def may_see(conn: asyncpg.Connection, viewer_id: int, status_id: int) -> bool:
    """True when the viewer may see the status (and, for a boost, the boosted status)."""
    visible: bool | None = await conn.fetchval(
        f"""SELECT {visible_sql("s", "$1")}
                   AND (s.reblog_of_id IS NULL OR EXISTS (
                        SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id
                        AND {visible_sql("o", "$1")}))
            FROM statuses s WHERE s.id = $2""",
        viewer_id,
        status_id,
    )
    return bool(visible)
