"""Who signs what we send: each local actor signs with its own key; fetches made for the node
itself are signed by the instance actor (Mastodon's `/actor`), which authorized-fetch peers
accept without a user behind the request."""

from __future__ import annotations

import asyncpg

from actors.accounts import INSTANCE_ACTOR, Account, ensure_instance_actor
from actors.site import Site
from federation.http_client import ClientConfig, FederationClient, RequestSigner


def signer_for(site: Site, account: Account) -> RequestSigner:
    if account.private_key_pem is None:
        raise ValueError(f"{account.username} is not a local actor and cannot sign")
    username = INSTANCE_ACTOR if account.actor_type == "Application" else account.username
    return RequestSigner.from_pem(site.key_id(username), account.private_key_pem)


async def open_federation_client(
    conn: asyncpg.Connection, site: Site, config: ClientConfig
) -> FederationClient:
    """The process's federation client, signing fetches as the instance actor."""
    instance = await ensure_instance_actor(conn)
    return FederationClient(config, signer_for(site, instance))
