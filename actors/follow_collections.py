"""An account's followers and following as other nodes read them: the actor ids, a page at a
time, newest relationship first. Suspended accounts and disabled members are left out."""

from __future__ import annotations

import asyncpg

from actors.site import Site
from db.keyset import Window, newest_first, window_sql

# collection → (the owner's column, the listed account's column) in `follows`
_SIDES = {
    "followers": ("target_account_id", "account_id"),
    "following": ("account_id", "target_account_id"),
}


async def follow_collection_page(
    conn: asyncpg.Connection,
    site: Site,
    kind: str,
    account_id: int,
    window: Window,
    *,
    hidden_roles: tuple[str, ...] = (),
) -> list[tuple[int, str | None]]:
    """(follow id, actor id) pairs of `kind` (`followers` or `following`) for the account; the
    actor id is None for a remote account cached without one. Local members whose role is in
    `hidden_roles` are left out (`content.access.peer_hidden_roles`)."""
    mine, theirs = _SIDES[kind]
    conditions, order, values = window_sql("f.id", window, 3)
    rows = await conn.fetch(
        f"""SELECT f.id, a.username, a.domain, a.uri
            FROM follows f
            JOIN accounts a ON a.id = f.{theirs} AND a.suspended_at IS NULL
            LEFT JOIN users u ON u.account_id = a.id
            WHERE f.{mine} = $1 AND u.disabled_at IS NULL
              AND (u.role IS NULL OR u.role <> ALL($2::text[])) {conditions}
            {order}""",
        account_id,
        list(hidden_roles),
        *values,
    )
    listed = [
        (row["id"], row["uri"] if row["domain"] is not None else site.actor_url(row["username"]))
        for row in rows
    ]
    return newest_first(listed, window)


async def follow_collection_size(conn: asyncpg.Connection, kind: str, account_id: int) -> int:
    column = "followers_count" if kind == "followers" else "following_count"
    count = await conn.fetchval(
        f"SELECT {column} FROM account_stats WHERE account_id = $1", account_id
    )
    return int(count or 0)
