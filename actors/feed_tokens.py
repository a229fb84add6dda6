"""Personal feed tokens: feed readers cannot sign in, so a member's RSS/Atom URLs carry a
secret of their own (`?feed_token=…`). Only its SHA-256 digest is stored, as for OAuth
tokens, so the secret is shown once, when issued; issuing a new one revokes the old. A feed
read with it applies its owner's access rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import MEMBER_SELECT, Member, member_from_row
from actors.credentials import digest, new_secret


@dataclass(frozen=True, slots=True)
class FeedTokenInfo:
    created_at: datetime
    last_used_at: datetime | None


async def do_issue_feed_token(conn: asyncpg.Connection, user_id: int) -> str:
    """A new token for the member, replacing any earlier one; returns the secret."""
    token = new_secret()
    await conn.execute(
        """INSERT INTO feed_tokens (user_id, token_hash) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE
           SET token_hash = EXCLUDED.token_hash, created_at = now(), last_used_at = NULL""",
        user_id,
        digest(token),
    )
    return token


async def feed_token_info(conn: asyncpg.Connection, user_id: int) -> FeedTokenInfo | None:
    row = await conn.fetchrow(
        "SELECT created_at, last_used_at FROM feed_tokens WHERE user_id = $1", user_id
    )
    return FeedTokenInfo(row["created_at"], row["last_used_at"]) if row else None


async def member_for_feed_token(conn: asyncpg.Connection, token: str) -> Member | None:
    """The member owning the token, or None when unknown, or the member is disabled or not
    approved yet."""
    row = await conn.fetchrow(
        f"""{MEMBER_SELECT} JOIN feed_tokens ft ON ft.user_id = u.id
            WHERE ft.token_hash = $1 AND u.disabled_at IS NULL AND u.approved""",
        digest(token),
    )
    if row is None:
        return None
    await conn.execute(
        "UPDATE feed_tokens SET last_used_at = now() WHERE user_id = $1", row["user_id"]
    )
    return member_from_row(row)
