"""Mastodon's Admin::DomainBlock and Admin::DomainAllow entities, and the DomainBlock entity
members see (`/api/v1/instance/domain_blocks`), from Rukun's federation domain rules."""

from __future__ import annotations

import hashlib
from typing import Any

from actors.partners import DomainPolicy
from web.mastodon.entities.dates import iso


def render_domain_block(rule: DomainPolicy) -> dict[str, Any]:
    return {
        "id": str(rule.id),
        "domain": rule.domain,
        "digest": hashlib.sha256(rule.domain.encode()).hexdigest(),
        "created_at": iso(rule.created_at),
        "severity": rule.severity,
        "reject_media": rule.reject_media,
        "reject_reports": rule.reject_reports,
        "private_comment": rule.private_comment or None,
        "public_comment": rule.public_comment or None,
        "obfuscate": rule.obfuscate,
    }


def render_domain_allow(rule: DomainPolicy) -> dict[str, Any]:
    return {"id": str(rule.id), "domain": rule.domain, "created_at": iso(rule.created_at)}


def obfuscated(domain: str) -> str:
    """Mastodon's way: the middle half of the name becomes asterisks."""
    size = len(domain)
    return domain[: size // 4] + "*" * (size // 2) + domain[size // 4 + size // 2 :]


def render_public_domain_block(rule: DomainPolicy) -> dict[str, Any]:
    return {
        "domain": obfuscated(rule.domain) if rule.obfuscate else rule.domain,
        "digest": hashlib.sha256(rule.domain.encode()).hexdigest(),
        "severity": rule.severity,
        "comment": rule.public_comment or None,
    }
