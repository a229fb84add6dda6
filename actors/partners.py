"""The partner domains a node federates with: the admins' allow and block rules, and the one
question everything else asks — `allows_domain(conn, domain, mode=...)`.

The mode (`allowlist` by default, or `open`) is a node setting, handed down as a plain value;
the rules are rows in `federation_domains`. The decision itself is `federation.domain_policy`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from federation.domain_policy import (
    ALLOW,
    BLOCK,
    SEVERITIES,
    DomainError,
    DomainRule,
    covering_domains,
    decide,
    normalise_domain,
)

DEFAULT_MODE = "allowlist"


class PartnerError(ValueError):
    """A policy command was refused; the message is safe to show to whoever asked."""


@dataclass(frozen=True, slots=True)
class DomainPolicy:
    domain: str
    policy: str
    severity: str
    reason: str
    created_at: datetime
    updated_at: datetime


_COLUMNS = "domain, policy, severity, reason, created_at, updated_at"


def check_domain(text: str) -> str:
    """The normalised domain, or PartnerError with a message for the admin."""
    try:
        return normalise_domain(text)
    except DomainError as error:
        raise PartnerError(str(error)) from None


async def allows_domain(conn: asyncpg.Connection, domain: str, *, mode: str = DEFAULT_MODE) -> bool:
    """Whether this node may talk to `domain` (a host, optionally with a port, as in an actor
    URL). Anything that is not a valid domain is refused rather than raising."""
    try:
        domain = normalise_domain(domain)
    except DomainError:
        return False
    rows = await conn.fetch(
        "SELECT domain, policy, severity FROM federation_domains WHERE domain = ANY($1::text[])",
        covering_domains(domain),
    )
    rules = {row["domain"]: DomainRule(**dict(row)) for row in rows}
    return decide(mode, domain, rules)


async def _put(
    conn: asyncpg.Connection, domain: str, policy: str, severity: str, reason: str
) -> DomainPolicy:
    row = await conn.fetchrow(
        f"""INSERT INTO federation_domains (domain, policy, severity, reason)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (domain) DO UPDATE
               SET policy = EXCLUDED.policy, severity = EXCLUDED.severity,
                   reason = EXCLUDED.reason, updated_at = now()
            RETURNING {_COLUMNS}""",
        check_domain(domain),
        policy,
        severity,
        reason.strip(),
    )
    return DomainPolicy(**dict(row))


async def do_allow_domain(
    conn: asyncpg.Connection, domain: str, *, reason: str = ""
) -> DomainPolicy:
    """Make `domain` a partner (replacing any block on exactly that domain)."""
    return await _put(conn, domain, ALLOW, "suspend", reason)


async def do_block_domain(
    conn: asyncpg.Connection, domain: str, *, reason: str = "", severity: str = "suspend"
) -> DomainPolicy:
    """Block `domain` and its subdomains (replacing any allow on exactly that domain)."""
    if severity not in SEVERITIES:
        raise PartnerError(f"severity: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    return await _put(conn, domain, BLOCK, severity, reason)


async def do_remove_domain(conn: asyncpg.Connection, domain: str) -> bool:
    """Forget the rule for exactly `domain`; False when there was none."""
    result = await conn.execute(
        "DELETE FROM federation_domains WHERE domain = $1", check_domain(domain)
    )
    return result != "DELETE 0"


async def get_domain_policy(conn: asyncpg.Connection, domain: str) -> DomainPolicy | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM federation_domains WHERE domain = $1", check_domain(domain)
    )
    return DomainPolicy(**dict(row)) if row else None


async def list_domain_policies(conn: asyncpg.Connection) -> list[DomainPolicy]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM federation_domains ORDER BY policy, domain")
    return [DomainPolicy(**dict(row)) for row in rows]
