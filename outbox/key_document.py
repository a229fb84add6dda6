"""The minimal actor document anyone may fetch without a signature: just enough to verify a
signature by this actor (its key) and to reach it (its inbox). Under authorized fetch every
other node must be able to check our signatures before it has been allowed to read anything
else — Mastodon's and GoToSocial's answer to the same chicken-and-egg problem."""

from __future__ import annotations

from typing import Any

from actors.accounts import INSTANCE_ACTOR, Account
from actors.site import Site
from outbox.actor_document import ACTOR_CONTEXT


def key_document(account: Account, site: Site) -> dict[str, Any]:
    """id, type, preferredUsername, inbox, shared inbox and public key — nothing about the
    person (no name, summary, fields, collections)."""
    name = account.username
    actor_type = "Service" if account.bot and account.actor_type == "Person" else account.actor_type
    return {
        "@context": ACTOR_CONTEXT,
        "id": site.actor_url(name),
        "type": actor_type,
        "preferredUsername": site.domain if name == INSTANCE_ACTOR else name,
        "inbox": site.inbox_url(name),
        "endpoints": {"sharedInbox": site.shared_inbox_url},
        "publicKey": {
            "id": site.key_id(name),
            "owner": site.actor_url(name),
            "publicKeyPem": account.public_key_pem,
        },
    }
