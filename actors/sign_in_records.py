"""Pruning what signing in leaves behind: tokens that no longer work, authorization codes past
their few minutes, browser sessions idle past `SESSION_IDLE_DAYS` (refused already, see
`session_for`), and the sign-in attempts the rate limits read (they look back minutes, the
admins' audit a few weeks). Each function removes one bounded batch (db/retention.py)."""

from __future__ import annotations

import asyncpg

from actors.credentials import SESSION_IDLE_DAYS
from db.retention import BATCH, prune

# Revoked or expired more than `$1` days ago: a token refused that long is no one's anymore.
_ENDED = """(revoked_at IS NOT NULL OR expires_at IS NOT NULL)
    AND coalesce(revoked_at, expires_at) < now() - make_interval(days => $1)"""


async def prune_ended_tokens(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Tokens revoked or expired more than `older_than_days` ago; authorization codes that
    named them keep their row with `token_id` NULL (ON DELETE SET NULL) until pruned below."""
    return await prune(
        conn, "oauth_tokens", "id", _ENDED, older_than_days, limit=limit, dry_run=dry_run
    )


async def prune_expired_codes(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Authorization codes expired more than `older_than_days` ago (used or not: a code is
    good once, for minutes; a late replay finds no row and is refused as unknown)."""
    return await prune(
        conn,
        "oauth_authorization_codes",
        "code_hash",
        "expires_at < now() - make_interval(days => $1)",
        older_than_days,
        limit=limit,
        dry_run=dry_run,
    )


async def prune_idle_sessions(
    conn: asyncpg.Connection, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Browser sessions idle longer than `SESSION_IDLE_DAYS`: `session_for` refuses them."""
    return await prune(
        conn,
        "web_sessions",
        "token_hash",
        "last_seen_at < now() - make_interval(days => $1)",
        SESSION_IDLE_DAYS,
        limit=limit,
        dry_run=dry_run,
    )


async def prune_sign_in_attempts(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    return await prune(
        conn,
        "sign_in_attempts",
        "id",
        "created_at < now() - make_interval(days => $1)",
        older_than_days,
        limit=limit,
        dry_run=dry_run,
    )
