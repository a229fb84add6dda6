"""Lists of people a member may browse: the directory and the org chart (a member's managers
up to the top, and their direct reports).

Every query that lists accounts for these views lives here, so a rule about who may see whom
(e.g. customers not seeing other customers) is applied in this one module. Each function
answers account views in display order; suspended accounts, disabled members and the
instance actor are never listed, nor members whose role is in the caller's `hidden_roles`
(who sees whom is `content.access`'s decision: customers do not see other customers)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.account_lookup import find_accounts
from actors.accounts import INSTANCE_ACTOR
from actors.organisation import MAX_CHAIN
from actors.profiles import AccountView

ORDERS = ("active", "new")


def _listed(hidden_roles: str) -> str:
    """Who is listed at all: not suspended, not a disabled member, not the instance actor,
    not a member whose role is in the `text[]` parameter `hidden_roles`."""
    return f"""a.suspended_at IS NULL
    AND NOT (a.domain IS NULL AND a.username = '{INSTANCE_ACTOR}')
    AND NOT EXISTS (SELECT 1 FROM users u
                    WHERE u.account_id = a.id
                      AND (u.disabled_at IS NOT NULL OR u.role = ANY({hidden_roles}::text[])))"""


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    """Mastodon's `GET /api/v1/directory` parameters, plus Rukun's filters. `department` and
    `skill` match whole values, case aside."""

    offset: int = 0
    limit: int = 40
    order: str = "active"
    local: bool = False
    department: str | None = None
    skill: str | None = None


async def directory_page(
    conn: asyncpg.Connection, query: DirectoryQuery, *, hidden_roles: tuple[str, ...] = ()
) -> list[AccountView]:
    """Discoverable accounts, as Mastodon's directory lists them: most recently active first
    (`active`), or newest first (`new`); `local` keeps this node's members only. Accounts
    that moved away are left out, as Mastodon does."""
    if query.order not in ORDERS:
        raise ValueError(f"order: expected one of {', '.join(ORDERS)}")
    order = (
        "s.last_status_at DESC NULLS LAST, a.id DESC"
        if query.order == "active"
        else "a.created_at DESC, a.id DESC"
    )
    rows = await conn.fetch(
        f"""SELECT a.id FROM accounts a LEFT JOIN account_stats s ON s.account_id = a.id
            WHERE {_listed("$6")} AND a.discoverable AND a.moved_to_account_id IS NULL
              AND a.actor_type IN ('Person', 'Service', 'Organization')
              AND (NOT $1 OR a.domain IS NULL)
              AND ($2::text IS NULL OR lower(a.department) = lower($2))
              AND ($3::text IS NULL OR EXISTS (
                    SELECT 1 FROM unnest(a.skills) AS skill WHERE lower(skill) = lower($3)))
            ORDER BY {order}
            LIMIT $4 OFFSET $5""",
        query.local,
        query.department,
        query.skill,
        query.limit,
        query.offset,
        list(hidden_roles),
    )
    return await find_accounts(conn, [row["id"] for row in rows])


async def manager_chain(
    conn: asyncpg.Connection, account_id: int, *, hidden_roles: tuple[str, ...] = ()
) -> list[AccountView]:
    """The account's manager, their manager, and so on up to the top. The chain stops at
    an account that is not listed (suspended, disabled), and never loops."""
    rows = await conn.fetch(
        f"""WITH RECURSIVE chain (id, depth, path) AS (
                SELECT manager_id, 1, ARRAY[id, manager_id] FROM accounts
                WHERE id = $1 AND manager_id IS NOT NULL
                UNION ALL
                SELECT a.manager_id, c.depth + 1, c.path || a.manager_id
                FROM chain c JOIN accounts a ON a.id = c.id
                WHERE a.manager_id IS NOT NULL AND c.depth < $2
                  AND NOT a.manager_id = ANY(c.path)
            )
            SELECT c.id, c.depth, ({_listed("$3")}) AS listed
            FROM chain c JOIN accounts a ON a.id = c.id
            ORDER BY c.depth""",
        account_id,
        MAX_CHAIN,
        list(hidden_roles),
    )
    ids: list[int] = []
    for row in rows:
        if not row["listed"]:
            break
        ids.append(row["id"])
    return await find_accounts(conn, ids)


async def direct_reports(
    conn: asyncpg.Connection, account_id: int, *, hidden_roles: tuple[str, ...] = ()
) -> list[AccountView]:
    """The accounts whose manager is `account_id`, by display name."""
    rows = await conn.fetch(
        f"""SELECT a.id FROM accounts a
            WHERE a.manager_id = $1 AND {_listed("$2")}
            ORDER BY lower(coalesce(nullif(a.display_name, ''), a.username)), a.id""",
        account_id,
        list(hidden_roles),
    )
    return await find_accounts(conn, [row["id"] for row in rows])
