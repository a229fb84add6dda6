"""The partner domains a node federates with: the admins' allow and block rules, and the one
question everything else asks — `allows_domain(conn, domain, mode=...)`.

The mode (`allowlist` by default, or `open`) is a node setting, handed down as a plain value;
the rules are rows in `federation_domains`. The decision itself is `federation.domain_policy`.

A rule may be labelled with the organisation behind the domain and how it relates to ours
(`department`, `customer`, `supplier`, `partner`); profiles of that domain's accounts show it.
A label outlives a change of policy (a partner blocked for a while is still that partner)."""

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
RELATIONSHIPS = ("department", "customer", "supplier", "partner")
MAX_ORGANISATION_NAME = 100


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
    organisation: str = ""
    relationship: str = ""


@dataclass(frozen=True, slots=True)
class PartnerLabel:
    """A domain's organisation, as profiles of its accounts show it."""

    name: str
    relationship: str
    domain: str


_COLUMNS = "domain, policy, severity, reason, created_at, updated_at, organisation, relationship"


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


def check_label(
    organisation: str | None, relationship: str | None
) -> tuple[str | None, str | None]:
    """The label's parts, trimmed; None leaves a part as it is, "" clears it. Raises
    PartnerError."""
    if organisation is not None:
        organisation = organisation.strip()
        if len(organisation) > MAX_ORGANISATION_NAME:
            raise PartnerError(
                f"organisation: at most {MAX_ORGANISATION_NAME} characters, got {len(organisation)}"
            )
    if relationship is not None:
        relationship = relationship.strip().lower()
        if relationship and relationship not in RELATIONSHIPS:
            raise PartnerError(
                f"relationship: expected one of {', '.join(RELATIONSHIPS)}, got {relationship!r}"
            )
    return organisation, relationship


async def _put(
    conn: asyncpg.Connection,
    domain: str,
    policy: str,
    severity: str,
    reason: str,
    *,
    organisation: str | None = None,
    relationship: str | None = None,
) -> DomainPolicy:
    domain = check_domain(domain)
    organisation, relationship = check_label(organisation, relationship)
    row = await conn.fetchrow(
        f"""INSERT INTO federation_domains (domain, policy, severity, reason, organisation,
                                            relationship)
            VALUES ($1, $2, $3, $4, coalesce($5, ''), coalesce($6, ''))
            ON CONFLICT (domain) DO UPDATE
               SET policy = EXCLUDED.policy, severity = EXCLUDED.severity,
                   reason = EXCLUDED.reason,
                   organisation = coalesce($5, federation_domains.organisation),
                   relationship = coalesce($6, federation_domains.relationship),
                   updated_at = now()
            RETURNING {_COLUMNS}""",
        domain,
        policy,
        severity,
        reason.strip(),
        organisation,
        relationship,
    )
    return DomainPolicy(**dict(row))


async def do_allow_domain(
    conn: asyncpg.Connection,
    domain: str,
    *,
    reason: str = "",
    organisation: str | None = None,
    relationship: str | None = None,
) -> DomainPolicy:
    """Make `domain` a partner (replacing any block on exactly that domain), optionally
    labelled (None keeps an existing label part)."""
    return await _put(
        conn,
        domain,
        ALLOW,
        "suspend",
        reason,
        organisation=organisation,
        relationship=relationship,
    )


async def do_label_domain(
    conn: asyncpg.Connection,
    domain: str,
    *,
    organisation: str | None = None,
    relationship: str | None = None,
) -> DomainPolicy:
    """Label the existing rule for exactly `domain`. Raises PartnerError when there is none."""
    organisation, relationship = check_label(organisation, relationship)
    row = await conn.fetchrow(
        f"""UPDATE federation_domains
               SET organisation = coalesce($2, organisation),
                   relationship = coalesce($3, relationship), updated_at = now()
             WHERE domain = $1
            RETURNING {_COLUMNS}""",
        check_domain(domain),
        organisation,
        relationship,
    )
    if row is None:
        raise PartnerError(f"no rule for {domain.strip().lower()!r}: allow or block it first")
    return DomainPolicy(**dict(row))


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


async def partner_labels(conn: asyncpg.Connection, domains: list[str]) -> dict[str, PartnerLabel]:
    """The label for each of `domains` that has one: the nearest labelled rule covering it
    (a label on `b.test` names `social.b.test`'s accounts too). One query for all."""
    covering: dict[str, list[str]] = {}
    for domain in set(domains):
        try:
            covering[domain] = covering_domains(normalise_domain(domain))
        except DomainError:
            continue
    if not covering:
        return {}
    rows = await conn.fetch(
        """SELECT domain, organisation, relationship FROM federation_domains
           WHERE domain = ANY($1::text[]) AND organisation <> ''""",
        sorted({d for names in covering.values() for d in names}),
    )
    found = {
        row["domain"]: PartnerLabel(row["organisation"], row["relationship"], row["domain"])
        for row in rows
    }
    labels: dict[str, PartnerLabel] = {}
    for domain, names in covering.items():
        nearest = next((found[d] for d in names if d in found), None)
        if nearest is not None:
            labels[domain] = nearest
    return labels
