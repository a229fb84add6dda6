"""Activities carrying their author's integrity proof (FEP-8b32, `eddsa-jcs-2022`), signed
with the key the actor document publishes as `assertionMethod`. A receiver that checks proofs
(Mitra does) can then trust a copy of the activity however it got it; others ignore `proof`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actors.integrity_keys import IntegrityKey
from actors.site import Site
from federation.integrity_proofs import INTEGRITY_TERMS, sign_document
from outbox.actor_document import integrity_key_id


def with_integrity_terms(context: Any, extra: dict[str, Any] | None = None) -> list[Any]:
    """The activity's context with the Data Integrity terms inline (never a URL to fetch)."""
    entries = context if isinstance(context, list) else [context]
    return [*entries, {**INTEGRITY_TERMS, **(extra or {})}]


def with_proof(
    activity: dict[str, Any],
    site: Site,
    username: str,
    key: IntegrityKey,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The activity (already carrying the integrity terms in its `@context`) with a proof."""
    return sign_document(activity, key.private_key, integrity_key_id(site, username), created=now)
