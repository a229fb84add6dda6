"""What every inbox handler works with: the worker's connection, this node's `Site`, the
federation client, and the ways a handler says "nothing to do" or "try again later"."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.account_uris import account_by_uri
from actors.accounts import Account
from actors.partners import allows_domain
from actors.remote import (
    RemoteActorError,
    RemoteActorUnavailableError,
    resolve_actor,
)
from actors.site import Site
from federation.as2_objects import Activity
from federation.http_client import FederationClient
from federation.origin import host_of


class Ignored(Exception):
    """The activity is deliberately not acted on (unsupported, not for us, already undone,
    refers to nothing we know); the message says why and is kept with the activity."""


@dataclass(frozen=True, slots=True)
class InboxContext:
    conn: asyncpg.Connection
    site: Site
    client: FederationClient
    federation_mode: str = "allowlist"

    async def allows(self, uri: str) -> bool:
        """Whether objects at `uri` may be fetched and stored: its host is a partner (or, in
        open mode, not blocked)."""
        host = host_of(uri)
        return bool(host) and await allows_domain(self.conn, host, mode=self.federation_mode)

    async def actor(self, activity: Activity) -> Account:
        """The remote account that sent the activity (cached when its signature was checked).
        Raises Ignored for an actor we cannot use, RemoteActorUnavailableError (retry) when
        its server cannot be reached."""
        account = await self.remote_account(activity.actor)
        if account.suspended_at is not None:
            raise Ignored("the actor is suspended")
        return account

    async def remote_account(self, uri: str) -> Account:
        """A remote account by id, fetched when not cached. Raises Ignored or
        RemoteActorUnavailableError."""
        if self.site.is_local_url(uri):
            raise Ignored("a local actor cannot act through the inbox")
        try:
            account = await resolve_actor(
                self.conn, self.client, uri, federation_mode=self.federation_mode
            )
        except RemoteActorUnavailableError:
            raise
        except RemoteActorError as error:
            raise Ignored(f"the actor cannot be resolved: {error}") from None
        if account.is_local:
            raise Ignored("a local actor cannot act through the inbox")
        return account

    async def local_account(self, uri: str | None) -> Account:
        """One of our accounts by its actor URL; Ignored when `uri` names none."""
        account = await account_by_uri(self.conn, self.site, uri) if uri else None
        if account is None or not account.is_local:
            raise Ignored("the object is not an account on this node")
        return account
