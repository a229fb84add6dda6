"""Accounts as others see them: the account with its counters, loaded in batches so a page of
twenty statuses costs one query for all their authors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from actors.directory import AccountLink, get_account_links
from actors.partners import PartnerLabel, partner_labels


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    role: str | None
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: datetime | None
    # The account `manager_id` names (unless suspended or disabled), and for a remote account
    # the organisation its domain's rule is labelled with.
    manager: AccountLink | None = None
    partner: PartnerLabel | None = None
    # A sign-up waiting for an admin's approval: not a member yet, so shown to nobody.
    pending: bool = False
    # The account this one moved to (Mastodon's `moved`), itself without these extras.
    moved: AccountView | None = None


_SELECT = f"""
    SELECT {", ".join("a." + c.strip() for c in ACCOUNT_COLUMNS.split(","))},
           u.role,
           NOT coalesce(u.approved, true) AS pending,
           coalesce(s.followers_count, 0) AS followers_count,
           coalesce(s.following_count, 0) AS following_count,
           coalesce(s.statuses_count, 0) AS statuses_count,
           s.last_status_at
    FROM accounts a
    LEFT JOIN users u ON u.account_id = a.id
    LEFT JOIN account_stats s ON s.account_id = a.id
"""


def _view(row: asyncpg.Record) -> AccountView:
    return AccountView(
        account=account_from_row(row),
        role=row["role"],
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        statuses_count=row["statuses_count"],
        last_status_at=row["last_status_at"],
        pending=row["pending"],
    )


async def load_accounts(conn: asyncpg.Connection, ids: Iterable[int]) -> dict[int, AccountView]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await conn.fetch(_SELECT + " WHERE a.id = ANY($1::bigint[])", wanted)
    views = [_view(row) for row in rows]
    return {view.account.id: view for view in await with_organisation(conn, views)}


async def with_organisation(
    conn: asyncpg.Connection, views: list[AccountView]
) -> list[AccountView]:
    """The views with their manager links, partner labels and the accounts they moved to,
    in three queries for all."""
    manager_ids = [v.account.manager_id for v in views if v.account.manager_id is not None]
    managers = await get_account_links(conn, manager_ids) if manager_ids else {}
    domains = [v.account.domain for v in views if v.account.domain is not None]
    labels = await partner_labels(conn, domains) if domains else {}
    moved_ids = [v.account.moved_to_account_id for v in views if v.account.moved_to_account_id]
    moved: dict[int, AccountView] = {}
    if moved_ids:
        rows = await conn.fetch(_SELECT + " WHERE a.id = ANY($1::bigint[])", moved_ids)
        moved = {row["id"]: _view(row) for row in rows}
    return [
        replace(
            view,
            manager=managers.get(view.account.manager_id or 0),
            partner=labels.get(view.account.domain) if view.account.domain else None,
            moved=moved.get(view.account.moved_to_account_id or 0),
        )
        for view in views
    ]


async def load_account(conn: asyncpg.Connection, account_id: int) -> AccountView | None:
    return (await load_accounts(conn, [account_id])).get(account_id)


async def adjust_stats(
    conn: asyncpg.Connection,
    account_id: int,
    *,
    followers: int = 0,
    following: int = 0,
    statuses: int = 0,
    status_at: datetime | None = None,
) -> None:
    """Move an account's counters; called by the commands that change what they count, inside
    their transaction."""
    await conn.execute(
        """INSERT INTO account_stats (account_id, followers_count, following_count,
                                      statuses_count, last_status_at)
           VALUES ($1, greatest($2, 0), greatest($3, 0), greatest($4, 0), $5)
           ON CONFLICT (account_id) DO UPDATE SET
               followers_count = greatest(account_stats.followers_count + $2, 0),
               following_count = greatest(account_stats.following_count + $3, 0),
               statuses_count = greatest(account_stats.statuses_count + $4, 0),
               last_status_at = greatest(account_stats.last_status_at, $5)""",
        account_id,
        followers,
        following,
        statuses,
        status_at,
    )
