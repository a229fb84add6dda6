"""Which local actors the outside world may look up (WebFinger, actor documents), and the
accounts a profile links to."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.accounts import INSTANCE_ACTOR, Account, get_local_account, get_member
from federation.webfinger import AccountHandle


@dataclass(frozen=True, slots=True)
class AccountLink:
    """Enough of an account to link to it from a profile: local accounts get their URL from
    the Site, remote ones carry the actor id they were fetched under."""

    username: str
    domain: str | None
    display_name: str
    uri: str | None
    id: int = 0


async def get_published_member_account(conn: asyncpg.Connection, username: str) -> Account | None:
    """A member's (or a local group's) account by name, whatever the case, unless the member
    is disabled or the account suspended: those answer as if they did not exist. The instance
    actor is not a member and is never found here (see `get_instance_actor`)."""
    member = await get_member(conn, username)
    if member is None:
        # A group hosted here (`actors.groups`) is published like a member, with no user.
        account = await get_local_account(conn, username)
        if account is None or account.actor_type != "Group" or account.suspended_at:
            return None
        return account
    if member.disabled_at is not None or member.account.suspended_at:
        return None
    return member.account


async def get_instance_actor(conn: asyncpg.Connection) -> Account | None:
    return await get_local_account(conn, INSTANCE_ACTOR)


async def get_account_link(conn: asyncpg.Connection, account_id: int) -> AccountLink | None:
    """An account to link to, unless it is suspended or a disabled member's."""
    row = await conn.fetchrow(
        "SELECT a.id, a.username, a.domain, a.display_name, a.uri"
        " FROM accounts a LEFT JOIN users u ON u.account_id = a.id"
        " WHERE a.id = $1 AND a.suspended_at IS NULL AND u.disabled_at IS NULL",
        account_id,
    )
    return AccountLink(**dict(row)) if row else None


async def get_account_links(
    conn: asyncpg.Connection, account_ids: list[int]
) -> dict[int, AccountLink]:
    """`get_account_link` for many accounts in one query."""
    rows = await conn.fetch(
        "SELECT a.id, a.username, a.domain, a.display_name, a.uri"
        " FROM accounts a LEFT JOIN users u ON u.account_id = a.id"
        " WHERE a.id = ANY($1::bigint[]) AND a.suspended_at IS NULL AND u.disabled_at IS NULL",
        list(set(account_ids)),
    )
    return {row["id"]: AccountLink(**dict(row)) for row in rows}


async def find_local_actor(
    conn: asyncpg.Connection, handle: AccountHandle, local_domain: str
) -> Account | None:
    """The local actor a WebFinger handle names: a published member, or the instance actor as
    `domain@domain` (Mastodon's handle for it). None for other domains and unknown names."""
    local_domain = local_domain.lower()
    if handle.domain != local_domain:
        return None
    if handle.username.lower() == local_domain:
        return await get_instance_actor(conn)
    return await get_published_member_account(conn, handle.username)
