"""Bookmarks named by address, as a Mastodon `bookmarks.csv` names them (one status URI a line).

Only statuses this node already has can be bookmarked: fetching unknown remote posts belongs
to the inbox, which an import does not reach."""

from __future__ import annotations

import asyncpg

from actors.site import Site
from content.access import Viewer
from content.remote_statuses import find_status_by_uri
from content.status_lookup import access_status
from content.statuses import Status


async def find_bookmarkable(
    conn: asyncpg.Connection, site: Site, viewer: Viewer, address: str
) -> Status | None:
    """The status `address` names (its id or web page, ours or another node's) if the viewer
    may see it."""
    status = await find_status_by_uri(conn, site, address)
    if status is None and not site.is_local_url(address):
        status_id = await conn.fetchval(
            "SELECT id FROM statuses WHERE url = $1 AND deleted_at IS NULL LIMIT 1", address
        )
        status = None if status_id is None else await access_status(conn, viewer, status_id)
    if status is None:
        return None
    return await access_status(conn, viewer, status.id)


async def remove_bookmarks_except(
    conn: asyncpg.Connection, site: Site, account_id: int, kept: set[str]
) -> int:
    """Drop the member's bookmarks of statuses none of whose addresses is in `kept` (an
    overwriting import, as Mastodon's compares each bookmark's URI with the file's)."""
    rows = await conn.fetch(
        """SELECT b.status_id, s.local, s.uri, s.url, a.username
           FROM bookmarks b JOIN statuses s ON s.id = b.status_id
           JOIN accounts a ON a.id = s.account_id
           WHERE b.account_id = $1""",
        account_id,
    )
    dropped = []
    for row in rows:
        if row["local"]:
            addresses = {
                site.status_uri(row["username"], row["status_id"]),
                site.status_url(row["username"], row["status_id"]),
            }
        else:
            addresses = {row["uri"], row["url"]}
        if not addresses & kept:
            dropped.append(row["status_id"])
    await conn.execute(
        "DELETE FROM bookmarks WHERE account_id = $1 AND status_id = ANY($2::bigint[])",
        account_id,
        dropped,
    )
    return len(dropped)
