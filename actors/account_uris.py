"""Finding an account by the ActivityPub id other nodes know it by, without the network:
our own actors by their URL (`Site.actor_url`, the profile page too), remote ones by the
`uri` they were cached under."""

from __future__ import annotations

import re

import asyncpg

from actors.accounts import ACCOUNT_COLUMNS, INSTANCE_ACTOR, Account, account_from_row
from actors.site import Site

_LOCAL_ACTOR = re.compile(r"^/(?:users/|@)([A-Za-z0-9_]+)/?$")


def local_username(site: Site, uri: str) -> str | None:
    """The username in one of our actor URLs (`/users/{name}`, `/@{name}`, `/actor` for the
    instance actor), a fragment (`#main-key`) aside; None for anything else."""
    if not site.is_local_url(uri):
        return None
    path = uri[len(site.base_url) :].split("#", 1)[0]
    if path == "/actor":
        return INSTANCE_ACTOR
    match = _LOCAL_ACTOR.match(path)
    return match[1] if match else None


async def account_by_uri(conn: asyncpg.Connection, site: Site, uri: str) -> Account | None:
    """The account `uri` names: ours by URL, a remote one already cached. Suspended accounts
    are found too (callers decide what a suspended account may still do)."""
    username = local_username(site, uri)
    if username is not None:
        row = await conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts"
            " WHERE lower(username) = lower($1) AND domain IS NULL",
            username,
        )
    elif site.is_local_url(uri):
        return None
    else:
        row = await conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uri = $1 AND domain IS NOT NULL", uri
        )
    return account_from_row(row) if row else None


async def accounts_by_uris(
    conn: asyncpg.Connection, site: Site, uris: list[str]
) -> dict[str, Account]:
    """`account_by_uri` for several (mentions): uri → account, for those found."""
    found: dict[str, Account] = {}
    for uri in dict.fromkeys(uris):
        account = await account_by_uri(conn, site, uri)
        if account is not None:
            found[uri] = account
    return found
