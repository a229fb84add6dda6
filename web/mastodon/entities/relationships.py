"""The Relationship and FamiliarFollowers entities."""

from __future__ import annotations

from typing import Any

from actors.relationships import Relationship
from web.mastodon.entities.dates import iso


def render_relationship(relationship: Relationship) -> dict[str, Any]:
    """Every field Mastodon 4.5 sends, plus 4.6's `muting_expires_at`. Domain blocks and
    endorsements do not exist on Rukun yet, so those are always false."""
    return {
        "id": str(relationship.account_id),
        "following": relationship.following,
        "showing_reblogs": relationship.showing_reblogs,
        "notifying": relationship.notifying,
        "languages": relationship.languages,
        "followed_by": relationship.followed_by,
        "blocking": relationship.blocking,
        "blocked_by": relationship.blocked_by,
        "muting": relationship.muting,
        "muting_notifications": relationship.muting_notifications,
        "muting_expires_at": iso(relationship.muting_expires_at),
        "requested": relationship.requested,
        "requested_by": relationship.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": relationship.note,
    }


def render_familiar_followers(account_id: int, accounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(account_id), "accounts": accounts}
