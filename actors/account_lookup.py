"""Finding accounts for the client API: by id, by handle (`lookup`) and by name (`search`).

Suspended accounts and sign-ups still waiting for approval answer as unknown, and the
instance actor — the node's own Application actor, which only signs fetches — is never shown
to apps."""

from __future__ import annotations

import re
from collections.abc import Sequence

import asyncpg

from actors.accounts import INSTANCE_ACTOR, Account
from actors.profiles import AccountView, load_accounts

_LIKE_SPECIAL = re.compile(r"([\\%_])")


def is_shown(account: Account) -> bool:
    return account.suspended_at is None and not (
        account.domain is None and account.username == INSTANCE_ACTOR
    )


async def find_accounts(conn: asyncpg.Connection, ids: Sequence[int]) -> list[AccountView]:
    """The shown accounts among `ids`, in the order asked, each once."""
    views = await load_accounts(conn, ids)
    found: list[AccountView] = []
    for account_id in dict.fromkeys(ids):
        view = views.get(account_id)
        if view is not None and is_shown(view.account) and not view.pending:
            found.append(view)
    return found


async def find_account(conn: asyncpg.Connection, account_id: int) -> AccountView | None:
    found = await find_accounts(conn, [account_id])
    return found[0] if found else None


def split_handle(text: str, local_domain: str) -> tuple[str, str | None]:
    """`user`, `@user`, `user@domain`, `@user@domain` → (username, domain or None for this
    node)."""
    username, _, domain = text.strip().removeprefix("@").partition("@")
    domain = domain.strip().lower()
    return username.strip(), None if domain in ("", local_domain.lower()) else domain


async def lookup_account(
    conn: asyncpg.Connection, handle: str, local_domain: str
) -> AccountView | None:
    """The account a handle names, among accounts this node knows (no WebFinger: Mastodon's
    lookup skips it too)."""
    username, domain = split_handle(handle, local_domain)
    if not username:
        return None
    account_id = await conn.fetchval(
        """SELECT id FROM accounts
           WHERE lower(username) = lower($1) AND coalesce(lower(domain), '') = $2""",
        username,
        domain or "",
    )
    return None if account_id is None else await find_account(conn, account_id)


async def search_accounts(
    conn: asyncpg.Connection,
    viewer_id: int,
    query: str,
    local_domain: str,
    *,
    limit: int,
    offset: int = 0,
    following: bool = False,
    hidden_roles: tuple[str, ...] = (),
) -> list[AccountView]:
    """Accounts whose username, or a word of whose display name, starts with the query
    (case-insensitive). `user@domain` narrows to that domain. Exact username matches come
    first, then accounts the viewer follows, then local ones. Accounts that block the viewer
    are left out, as are suspended accounts, the instance actor, and other members whose role
    is in `hidden_roles` (who sees whom is `content.access`'s decision)."""
    username, domain = split_handle(query, local_domain)
    if not username:
        return []
    has_domain = "@" in query.strip().removeprefix("@")
    prefix = _LIKE_SPECIAL.sub(r"\\\1", username.lower()) + "%"
    rows = await conn.fetch(
        f"""SELECT a.id FROM accounts a
            WHERE a.suspended_at IS NULL
              AND NOT (a.domain IS NULL AND a.username = '{INSTANCE_ACTOR}')
              AND (lower(a.username) LIKE $2
                   OR (NOT $5 AND (lower(a.display_name) LIKE $2
                                   OR lower(a.display_name) LIKE '% ' || $2)))
              AND (NOT $5 OR coalesce(lower(a.domain), '') = $6)
              AND (NOT $7 OR EXISTS (
                    SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_account_id = a.id))
              AND NOT EXISTS (SELECT 1 FROM blocks b
                              WHERE b.account_id = a.id AND b.target_account_id = $1)
              AND (a.id = $1 OR cardinality($9::text[]) = 0 OR NOT EXISTS (
                    SELECT 1 FROM users u WHERE u.account_id = a.id AND u.role = ANY($9::text[])))
            ORDER BY lower(a.username) = $3 DESC,
                     EXISTS (SELECT 1 FROM follows f
                             WHERE f.account_id = $1 AND f.target_account_id = a.id) DESC,
                     a.domain IS NULL DESC, lower(a.username), a.domain NULLS FIRST
            LIMIT $4 OFFSET $8""",
        viewer_id,
        prefix,
        username.lower(),
        limit,
        has_domain,
        domain or "",
        following,
        offset,
        list(hidden_roles),
    )
    return await find_accounts(conn, [row["id"] for row in rows])
