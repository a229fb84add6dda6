"""The organisation's reporting lines: who may be someone's manager.

A manager is a local member who can sign in (not disabled, not suspended), never the member
themself, and never someone who (through any number of managers) reports to the member: the
manager chain has no cycles, so an org chart always ends at the top. Checks run inside the
writer's transaction under one advisory lock, so two edits made at once cannot close a loop
between them."""

from __future__ import annotations

import asyncpg

# Far deeper than any organisation; stops a walk over data written before these checks.
MAX_CHAIN = 64


class ManagerError(ValueError):
    """The account cannot be the member's manager; the message is Mastodon's 422 `error`."""


async def check_manager(conn: asyncpg.Connection, account_id: int, manager_id: int) -> None:
    """Raise ManagerError unless `manager_id` may manage `account_id`. Call inside the
    transaction that writes `manager_id`: it takes the org-chart lock until commit."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('rukun:org-chart'))")
    if manager_id == account_id:
        raise ManagerError("Validation failed: Manager cannot be the member themself")
    manager = await conn.fetchrow(
        """SELECT a.domain, a.suspended_at, u.disabled_at, u.id AS user_id
           FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE a.id = $1""",
        manager_id,
    )
    if manager is None:
        raise ManagerError("Validation failed: Manager is not an account on this server")
    if manager["domain"] is not None or manager["user_id"] is None:
        raise ManagerError("Validation failed: Manager must be a member of this server")
    if manager["disabled_at"] is not None or manager["suspended_at"] is not None:
        raise ManagerError("Validation failed: Manager is not an active member")
    # Walk up from the proposed manager: meeting the member means the member would end up
    # managing their own manager.
    loops = await conn.fetchval(
        """WITH RECURSIVE chain (id, depth) AS (
               SELECT manager_id, 1 FROM accounts WHERE id = $1 AND manager_id IS NOT NULL
               UNION ALL
               SELECT a.manager_id, c.depth + 1 FROM chain c JOIN accounts a ON a.id = c.id
               WHERE a.manager_id IS NOT NULL AND c.depth < $3 AND c.id <> $2
           )
           SELECT EXISTS (SELECT 1 FROM chain WHERE id = $2)""",
        manager_id,
        account_id,
        MAX_CHAIN,
    )
    if loops:
        raise ManagerError(
            "Validation failed: Manager reports to this member (directly or through others);"
            " the reporting lines would go round in a circle"
        )
