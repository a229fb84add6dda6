"""Bearer tokens and browser sessions. Only SHA-256 hashes of the secrets are stored: a
database leak does not hand out live credentials. (A fast hash is right here: the secrets are
256-bit random values, not guessable passwords.)"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from actors.accounts import (
    MEMBER_SELECT,
    Member,
    do_set_password,
    get_member_by_user_id,
    member_from_row,
)
from actors.scopes import ScopeError, parse_scopes

SESSION_IDLE_DAYS = 30


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_scopes(scopes: str) -> str:
    """Normalise a space-separated scope string; raises ScopeError (a ValueError) on unknown."""
    if not scopes.split():
        raise ScopeError("at least one scope is required")
    return parse_scopes(scopes)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    token_id: int
    member: Member | None
    application_id: int | None
    scopes: frozenset[str]


async def do_create_token(
    conn: asyncpg.Connection,
    user_id: int | None,
    scopes: str,
    application_id: int | None = None,
) -> str:
    """Issue a bearer token; the plain value is returned once and never stored."""
    token = new_secret()
    await conn.execute(
        """INSERT INTO oauth_tokens (token_hash, user_id, application_id, scopes)
           VALUES ($1, $2, $3, $4)""",
        digest(token),
        user_id,
        application_id,
        check_scopes(scopes),
    )
    return token


# Recording when a token was last used makes every API read a write; as in Mastodon, the time
# is kept to the hour, so most requests only read.
_LAST_USED_GRANULARITY = "1 hour"


async def authenticate_token(conn: asyncpg.Connection, token: str) -> TokenGrant | None:
    """The grant behind a bearer token, or None when unknown, revoked, expired or its member
    disabled or suspended. One query in the usual case."""
    row = await conn.fetchrow(
        f"""SELECT t.id AS token_id, t.application_id, t.scopes, t.user_id AS token_user_id,
                   (t.last_used_at IS NULL
                    OR t.last_used_at < now() - interval '{_LAST_USED_GRANULARITY}') AS stale,
                   m.*
            FROM oauth_tokens t
            LEFT JOIN LATERAL ({MEMBER_SELECT} WHERE u.id = t.user_id) m ON true
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL
              AND (t.expires_at IS NULL OR t.expires_at > now())""",
        digest(token),
    )
    if row is None:
        return None
    member = None
    if row["token_user_id"] is not None:
        if row["user_id"] is None:
            return None
        member = member_from_row(row)
        if member.locked_out(datetime.now(UTC)):
            return None
    if row["stale"]:
        await conn.execute(
            "UPDATE oauth_tokens SET last_used_at = now() WHERE id = $1", row["token_id"]
        )
    return TokenGrant(
        row["token_id"], member, row["application_id"], frozenset(row["scopes"].split())
    )


@dataclass(frozen=True, slots=True)
class WebSession:
    member: Member
    csrf_token: str


async def do_open_session(
    conn: asyncpg.Connection, user_id: int, ip: str | None, user_agent: str
) -> str:
    """Start a browser session; returns the cookie value."""
    token = new_secret()
    await conn.execute(
        """INSERT INTO web_sessions (token_hash, user_id, csrf_token, ip, user_agent)
           VALUES ($1, $2, $3, $4, $5)""",
        digest(token),
        user_id,
        new_secret(),
        ip,
        user_agent[:500],
    )
    await conn.execute("UPDATE users SET last_sign_in_at = now() WHERE id = $1", user_id)
    return token


async def session_for(conn: asyncpg.Connection, token: str) -> WebSession | None:
    row = await conn.fetchrow(
        """UPDATE web_sessions SET last_seen_at = now()
           WHERE token_hash = $1 AND last_seen_at > now() - make_interval(days => $2)
           RETURNING user_id, csrf_token""",
        digest(token),
        SESSION_IDLE_DAYS,
    )
    if row is None:
        return None
    member = await get_member_by_user_id(conn, row["user_id"])
    if member is None or member.locked_out(datetime.now(UTC)) or not member.approved:
        return None
    return WebSession(member, row["csrf_token"])


async def do_close_session(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE token_hash = $1", digest(token))


async def record_sign_in_attempt(
    conn: asyncpg.Connection, ip: str | None, login: str, succeeded: bool
) -> None:
    await conn.execute(
        "INSERT INTO sign_in_attempts (ip, login, succeeded) VALUES ($1, $2, $3)",
        ip,
        login.lower()[:320],
        succeeded,
    )


async def recent_failed_sign_ins(conn: asyncpg.Connection, ip: str | None, login: str) -> int:
    """Failures in the last 5 minutes from this address or for this name (whichever is more)."""
    count: int = await conn.fetchval(
        """SELECT greatest(
               count(*) FILTER (WHERE ip = $1),
               count(*) FILTER (WHERE login = $2))
           FROM sign_in_attempts
           WHERE NOT succeeded AND created_at > now() - interval '5 minutes'""",
        ip,
        login.lower()[:320],
    )
    return count


async def do_change_password(
    conn: asyncpg.Connection, user_id: int, password: str, keep_session: str
) -> None:
    """A member's own password change: whoever else held a session or an app token (perhaps
    the reason for the change) is signed out; only the browser session `keep_session` (its
    cookie value) stays. Raises WeakPassword before anything changes."""
    async with conn.transaction():
        await do_set_password(conn, user_id, password)
        await conn.execute(
            "DELETE FROM web_sessions WHERE user_id = $1 AND token_hash <> $2",
            user_id,
            digest(keep_session),
        )
        await conn.execute(
            "UPDATE oauth_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
        )


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """A browser session as its member sees it; `key` names it without revealing it."""

    key: str
    ip: str | None
    user_agent: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


@dataclass(frozen=True, slots=True)
class TokenEntry:
    id: int
    application: str
    scopes: str
    created_at: datetime
    last_used_at: datetime | None


async def list_sessions(
    conn: asyncpg.Connection, user_id: int, current_token: str
) -> list[SessionEntry]:
    rows = await conn.fetch(
        """SELECT encode(token_hash, 'hex') AS key, host(ip) AS ip, user_agent, created_at,
                  last_seen_at, token_hash = $2 AS current
           FROM web_sessions
           WHERE user_id = $1 AND last_seen_at > now() - make_interval(days => $3)
           ORDER BY last_seen_at DESC""",
        user_id,
        digest(current_token),
        SESSION_IDLE_DAYS,
    )
    return [SessionEntry(**dict(row)) for row in rows]


async def do_end_session(conn: asyncpg.Connection, user_id: int, key: str) -> bool:
    """End one of the member's own sessions, named by its `key`."""
    result = await conn.execute(
        "DELETE FROM web_sessions WHERE user_id = $1 AND encode(token_hash, 'hex') = $2",
        user_id,
        key,
    )
    return result != "DELETE 0"


async def list_app_tokens(conn: asyncpg.Connection, user_id: int) -> list[TokenEntry]:
    """The member's live app tokens with the apps' names, newest use first."""
    rows = await conn.fetch(
        """SELECT t.id, coalesce(a.name, 'Unnamed app') AS application, t.scopes,
                  t.created_at, t.last_used_at
           FROM oauth_tokens t LEFT JOIN oauth_applications a ON a.id = t.application_id
           WHERE t.user_id = $1 AND t.revoked_at IS NULL
             AND (t.expires_at IS NULL OR t.expires_at > now())
           ORDER BY t.last_used_at DESC NULLS LAST, t.created_at DESC""",
        user_id,
    )
    return [TokenEntry(**dict(row)) for row in rows]


async def do_revoke_token(conn: asyncpg.Connection, user_id: int, token_id: int) -> bool:
    result = await conn.execute(
        """UPDATE oauth_tokens SET revoked_at = now()
           WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL""",
        token_id,
        user_id,
    )
    return result != "UPDATE 0"
