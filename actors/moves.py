"""Account moves, the storage side: a member's aliases (`alsoKnownAs`, the accounts they move
from), the redirect of a moved account (`moved_to_account_id`), the cooldown between moves,
and who here is affected when an account moves (its local followers, blockers and muters).

The commands that combine these with follows, notifications and deliveries are in
`outbox.moves`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from actors.accounts import Account
from actors.relationships import FollowOptions
from actors.site import Site

# More aliases than anyone moving between jobs needs; keeps the actor document small.
MAX_ALIASES = 10


class MoveError(ValueError):
    """An alias or move was refused; the message is safe to show to the member (422)."""


def actor_uri(site: Site, account: Account) -> str:
    """The ActivityPub id other servers know `account` by."""
    if account.is_local:
        return site.actor_url(account.username)
    if account.uri is None:
        raise ValueError(f"{account.username}@{account.domain} has no actor id")
    return account.uri


def lists_alias(target: Account, origin_uri: str) -> bool:
    """Whether `target` says it is also `origin_uri`: the proof of a move, which only the
    target's own actor document (or its member, here) can give."""
    return origin_uri in target.also_known_as


async def set_aliases(conn: asyncpg.Connection, account_id: int, uris: list[str]) -> None:
    if len(uris) > MAX_ALIASES:
        raise MoveError(f"An account can have at most {MAX_ALIASES} aliases")
    await conn.execute(
        "UPDATE accounts SET also_known_as = $2, updated_at = now() WHERE id = $1",
        account_id,
        list(dict.fromkeys(uris)),
    )


async def record_move(
    conn: asyncpg.Connection, account_id: int, target_id: int, *, local: bool
) -> None:
    """Redirect `account_id` to `target_id`. A member's own move (`local`) starts the cooldown
    too; a remote account's is only the redirect its Move announced."""
    await conn.execute(
        """UPDATE accounts SET moved_to_account_id = $2, updated_at = now(),
                  moved_at = CASE WHEN $3 THEN now() ELSE moved_at END
           WHERE id = $1""",
        account_id,
        target_id,
        local,
    )


async def clear_move(conn: asyncpg.Connection, account_id: int) -> bool:
    """End a redirect; the cooldown stays (Mastodon's "cancel redirect"). False when the
    account was not redirected."""
    cleared = await conn.fetchval(
        """UPDATE accounts SET moved_to_account_id = NULL, updated_at = now()
           WHERE id = $1 AND moved_to_account_id IS NOT NULL RETURNING id""",
        account_id,
    )
    return cleared is not None


def cooldown_ends(account: Account, days: int) -> datetime | None:
    """When the member may move again; None when they never moved or there is no cooldown."""
    if account.moved_at is None or days <= 0:
        return None
    return account.moved_at + timedelta(days=days)


async def moved_to_uri(conn: asyncpg.Connection, site: Site, account: Account) -> str | None:
    """The actor id of the account `account` moved to, for its actor document."""
    if account.moved_to_account_id is None:
        return None
    row = await conn.fetchrow(
        "SELECT username, domain, uri FROM accounts WHERE id = $1", account.moved_to_account_id
    )
    if row is None:
        return None
    return site.actor_url(row["username"]) if row["domain"] is None else row["uri"]


@dataclass(frozen=True, slots=True)
class LocalFollower:
    account_id: int
    options: FollowOptions


async def local_followers(conn: asyncpg.Connection, account_id: int) -> list[LocalFollower]:
    """Members of this node following `account_id`, with the options they chose, oldest
    follow first."""
    rows = await conn.fetch(
        """SELECT f.account_id, f.show_reblogs, f.notify, f.languages
           FROM follows f JOIN accounts a ON a.id = f.account_id
           WHERE f.target_account_id = $1 AND a.domain IS NULL
           ORDER BY f.id""",
        account_id,
    )
    return [
        LocalFollower(
            row["account_id"], FollowOptions(row["show_reblogs"], row["notify"], row["languages"])
        )
        for row in rows
    ]


async def local_blockers(conn: asyncpg.Connection, account_id: int) -> list[int]:
    """Members of this node blocking `account_id`."""
    rows = await conn.fetch(
        """SELECT b.account_id FROM blocks b JOIN accounts a ON a.id = b.account_id
           WHERE b.target_account_id = $1 AND a.domain IS NULL ORDER BY b.id""",
        account_id,
    )
    return [row["account_id"] for row in rows]


async def local_muters(conn: asyncpg.Connection, account_id: int) -> list[tuple[int, bool]]:
    """Members of this node muting `account_id` (mute still in force), with whether the mute
    hides notifications."""
    rows = await conn.fetch(
        """SELECT m.account_id, m.hide_notifications FROM mutes m
           JOIN accounts a ON a.id = m.account_id
           WHERE m.target_account_id = $1 AND a.domain IS NULL
             AND (m.expires_at IS NULL OR m.expires_at > now())
           ORDER BY m.id""",
        account_id,
    )
    return [(row["account_id"], row["hide_notifications"]) for row in rows]


async def is_following(conn: asyncpg.Connection, follower_id: int, target_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM follows WHERE account_id = $1 AND target_account_id = $2",
        follower_id,
        target_id,
    )
    return found is not None


async def is_muting(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM mutes WHERE account_id = $1 AND target_account_id = $2",
        account_id,
        target_id,
    )
    return found is not None
