"""A member's relationships as the rows of Mastodon's CSV exports, addresses written as
Mastodon writes them (`user@domain`, this node's domain for local accounts), so Mastodon's
importer and every tool that reads its files take them as they are."""

from __future__ import annotations

import asyncpg

# Mastodon's headers (app/models/export.rb); files without one have none in Mastodon either.
FOLLOWING_HEADER = ("Account address", "Show boosts", "Notify on new posts", "Languages")
MUTED_HEADER = ("Account address", "Hide notifications")

_ADDRESS = "a.username || '@' || coalesce(a.domain, $2)"


async def following_rows(conn: asyncpg.Connection, account_id: int, domain: str) -> list[tuple]:
    rows = await conn.fetch(
        f"""SELECT {_ADDRESS} AS address, f.show_reblogs, f.notify, f.languages
            FROM follows f JOIN accounts a ON a.id = f.target_account_id
            WHERE f.account_id = $1 ORDER BY f.id""",
        account_id,
        domain,
    )
    return [
        (
            row["address"],
            _flag(row["show_reblogs"]),
            _flag(row["notify"]),
            ", ".join(row["languages"] or ()),
        )
        for row in rows
    ]


async def follower_addresses(conn: asyncpg.Connection, account_id: int, domain: str) -> list[str]:
    rows = await conn.fetch(
        f"""SELECT {_ADDRESS} AS address FROM follows f JOIN accounts a ON a.id = f.account_id
            WHERE f.target_account_id = $1 ORDER BY f.id""",
        account_id,
        domain,
    )
    return [row["address"] for row in rows]


async def blocked_addresses(conn: asyncpg.Connection, account_id: int, domain: str) -> list[str]:
    rows = await conn.fetch(
        f"""SELECT {_ADDRESS} AS address FROM blocks b JOIN accounts a ON a.id = b.target_account_id
            WHERE b.account_id = $1 ORDER BY b.id""",
        account_id,
        domain,
    )
    return [row["address"] for row in rows]


async def muted_rows(conn: asyncpg.Connection, account_id: int, domain: str) -> list[tuple]:
    rows = await conn.fetch(
        f"""SELECT {_ADDRESS} AS address, m.hide_notifications
            FROM mutes m JOIN accounts a ON a.id = m.target_account_id
            WHERE m.account_id = $1 AND (m.expires_at IS NULL OR m.expires_at > now())
            ORDER BY m.id""",
        account_id,
        domain,
    )
    return [(row["address"], _flag(row["hide_notifications"])) for row in rows]


def _flag(value: bool) -> str:
    return "true" if value else "false"
