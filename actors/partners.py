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

from actors.accounts import Member
from actors.audit import record_action
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
    # Mastodon's domain block fields (the admin API's), and the id it names the rule by.
    id: int = 0
    reject_media: bool = False
    reject_reports: bool = False
    private_comment: str = ""
    public_comment: str = ""
    obfuscate: bool = False


@dataclass(frozen=True, slots=True)
class BlockOptions:
    """A block's Mastodon fields; None keeps what the rule has (or the default)."""

    reject_media: bool | None = None
    reject_reports: bool | None = None
    private_comment: str | None = None
    public_comment: str | None = None
    obfuscate: bool | None = None


@dataclass(frozen=True, slots=True)
class PartnerLabel:
    """A domain's organisation, as profiles of its accounts show it."""

    name: str
    relationship: str
    domain: str


_COLUMNS = (
    "domain, policy, severity, reason, created_at, updated_at, organisation, relationship, id, "
    "reject_media, reject_reports, private_comment, public_comment, obfuscate"
)
MAX_COMMENT = 1000


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


async def rejects_reports(conn: asyncpg.Connection, domain: str) -> bool:
    """Whether a domain block (on it or a parent) says to ignore that domain's reports."""
    try:
        names = covering_domains(normalise_domain(domain))
    except DomainError:
        return False
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM federation_domains
                              WHERE domain = ANY($1::text[]) AND policy = 'block'
                                AND reject_reports)""",
            names,
        )
    )


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


# Every change of a rule is announced on this channel when it commits, so processes that keep
# decisions for a moment (`inbox.intake`) forget them at once.
POLICY_CHANGED = "rukun_federation_policy"


async def _announce(conn: asyncpg.Connection, domain: str) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", POLICY_CHANGED, domain)


async def _put(
    conn: asyncpg.Connection,
    domain: str,
    policy: str,
    severity: str,
    reason: str,
    *,
    organisation: str | None = None,
    relationship: str | None = None,
    options: BlockOptions | None = None,
    actor: Member | None = None,
) -> DomainPolicy:
    domain = check_domain(domain)
    organisation, relationship = check_label(organisation, relationship)
    options = check_options(options or BlockOptions())
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""INSERT INTO federation_domains (domain, policy, severity, reason, organisation,
                                                relationship, reject_media, reject_reports,
                                                private_comment, public_comment, obfuscate)
                VALUES ($1, $2, $3, $4, coalesce($5, ''), coalesce($6, ''),
                        coalesce($7, false), coalesce($8, false), coalesce($9, ''),
                        coalesce($10, ''), coalesce($11, false))
                ON CONFLICT (domain) DO UPDATE
                   SET policy = EXCLUDED.policy, severity = EXCLUDED.severity,
                       reason = EXCLUDED.reason,
                       organisation = coalesce($5, federation_domains.organisation),
                       relationship = coalesce($6, federation_domains.relationship),
                       reject_media = coalesce($7, federation_domains.reject_media),
                       reject_reports = coalesce($8, federation_domains.reject_reports),
                       private_comment = coalesce($9, federation_domains.private_comment),
                       public_comment = coalesce($10, federation_domains.public_comment),
                       obfuscate = coalesce($11, federation_domains.obfuscate),
                       updated_at = now()
                RETURNING {_COLUMNS}""",
            domain,
            policy,
            severity,
            reason.strip(),
            organisation,
            relationship,
            options.reject_media,
            options.reject_reports,
            options.private_comment,
            options.public_comment,
            options.obfuscate,
        )
        rule = DomainPolicy(**dict(row))
        await _limit_accounts(conn, rule)
        await _announce(conn, rule.domain)
        action = "allow_domain" if policy == ALLOW else "block_domain"
        await record_action(conn, actor, action, "domain", domain, details=_details(rule))
    return rule


_OF_DOMAIN = "(lower(domain) = $1 OR right(lower(domain), length($1) + 1) = '.' || $1)"


async def _limit_accounts(
    conn: asyncpg.Connection, rule: DomainPolicy, *, removed: bool = False
) -> None:
    """A `silence` block limits the accounts of the domain this node already knows, as
    Mastodon's does: each is marked silenced at the rule's creation time, so lifting the rule
    lifts exactly those marks and keeps a moderator's own limits. (Accounts first seen after
    the block are not marked.)"""
    await conn.execute(
        f"""UPDATE accounts SET silenced_at = NULL
            WHERE domain IS NOT NULL AND {_OF_DOMAIN} AND silenced_at = $2""",
        rule.domain,
        rule.created_at,
    )
    if not removed and rule.policy == BLOCK and rule.severity == "silence":
        await conn.execute(
            f"""UPDATE accounts SET silenced_at = $2
                WHERE domain IS NOT NULL AND {_OF_DOMAIN} AND silenced_at IS NULL""",
            rule.domain,
            rule.created_at,
        )


def check_options(options: BlockOptions) -> BlockOptions:
    for name in ("private_comment", "public_comment"):
        text = getattr(options, name)
        if text is not None and len(text.strip()) > MAX_COMMENT:
            raise PartnerError(f"{name}: at most {MAX_COMMENT} characters")
    return options


def _details(rule: DomainPolicy) -> dict[str, object]:
    details: dict[str, object] = {"policy": rule.policy, "id": str(rule.id)}
    if rule.policy == BLOCK:
        details |= {
            "severity": rule.severity,
            "reject_media": rule.reject_media,
            "reject_reports": rule.reject_reports,
        }
    return details


async def do_allow_domain(
    conn: asyncpg.Connection,
    domain: str,
    *,
    reason: str = "",
    organisation: str | None = None,
    relationship: str | None = None,
    actor: Member | None = None,
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
        actor=actor,
    )


async def do_label_domain(
    conn: asyncpg.Connection,
    domain: str,
    *,
    organisation: str | None = None,
    relationship: str | None = None,
    actor: Member | None = None,
) -> DomainPolicy:
    """Label the existing rule for exactly `domain`. Raises PartnerError when there is none."""
    organisation, relationship = check_label(organisation, relationship)
    async with conn.transaction():
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
        rule = DomainPolicy(**dict(row))
        details = {"organisation": rule.organisation, "relationship": rule.relationship}
        await record_action(conn, actor, "label_domain", "domain", rule.domain, details=details)
    return rule


async def do_block_domain(
    conn: asyncpg.Connection,
    domain: str,
    *,
    reason: str = "",
    severity: str = "suspend",
    options: BlockOptions | None = None,
    actor: Member | None = None,
) -> DomainPolicy:
    """Block `domain` and its subdomains (replacing any allow on exactly that domain).
    Deliveries already queued to it are the outbox's to drop (`outbox.domain_blocks`)."""
    if severity not in SEVERITIES:
        raise PartnerError(f"severity: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    return await _put(conn, domain, BLOCK, severity, reason, options=options, actor=actor)


async def do_remove_domain(
    conn: asyncpg.Connection, domain: str, *, actor: Member | None = None
) -> bool:
    """Forget the rule for exactly `domain`; False when there was none."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"DELETE FROM federation_domains WHERE domain = $1 RETURNING {_COLUMNS}",
            check_domain(domain),
        )
        if row is None:
            return False
        rule = DomainPolicy(**dict(row))
        await _limit_accounts(conn, rule, removed=True)
        await _announce(conn, rule.domain)
        action = "remove_domain_allow" if rule.policy == ALLOW else "remove_domain_block"
        await record_action(conn, actor, action, "domain", rule.domain, details=_details(rule))
    return True


async def covering_block(conn: asyncpg.Connection, domain: str) -> DomainPolicy | None:
    """The nearest block on `domain` or a parent of it (Mastodon's `DomainBlock.rule_for`)."""
    names = covering_domains(check_domain(domain))
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM federation_domains
            WHERE domain = ANY($1::text[]) AND policy = 'block'""",
        names,
    )
    found = {row["domain"]: DomainPolicy(**dict(row)) for row in rows}
    return next((found[name] for name in names if name in found), None)


async def domain_rule_by_id(
    conn: asyncpg.Connection, rule_id: int, policy: str
) -> DomainPolicy | None:
    """The rule the admin API names by id, when it is of `policy` (allow or block)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM federation_domains WHERE id = $1 AND policy = $2",
        rule_id,
        policy,
    )
    return DomainPolicy(**dict(row)) if row else None


async def list_domain_rules(
    conn: asyncpg.Connection, policy: str, *, max_id: int | None = None, limit: int = 100
) -> list[DomainPolicy]:
    """The allow or block rules, newest first, paged by id as the admin API pages them."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM federation_domains
            WHERE policy = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3""",
        policy,
        max_id,
        limit,
    )
    return [DomainPolicy(**dict(row)) for row in rows]


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
