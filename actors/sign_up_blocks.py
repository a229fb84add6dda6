"""The admins' lists that keep people out: email domains and single addresses refused at
sign-up, and networks (IP blocks) whose sign-ups need approval, are refused, or which may
not use the node at all. Each change is logged (`actors.audit`).

A single address is stored as Mastodon stores it: the SHA-256 of its canonical form (lower
case, dots and any `+tag` removed from the local part), so `A.Lice+x@Example.com` and
`alice@example.com` are one entry and the list does not keep the addresses themselves."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import Member, MemberError
from actors.audit import record_action
from federation.domain_policy import DomainError, normalise_domain

IP_SEVERITIES = ("sign_up_requires_approval", "sign_up_block", "no_access")
MAX_COMMENT = 1000


class BlockListError(MemberError):
    """A list entry was refused; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class EmailDomainBlock:
    id: int
    domain: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CanonicalEmailBlock:
    id: int
    canonical_email_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IpBlock:
    id: int
    ip: str
    severity: str
    comment: str
    expires_at: datetime | None
    created_at: datetime


def canonical_email_hash(email: str) -> str:
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.replace(".", "").split("+", 1)[0]
    return hashlib.sha256(f"{local}@{domain}".encode()).hexdigest()


def _actor_id(actor: Member | None) -> int | None:
    return actor.account.id if actor else None


# -- email domains ----------------------------------------------------------------------------


async def do_block_email_domain(
    conn: asyncpg.Connection, actor: Member | None, domain: str
) -> EmailDomainBlock:
    try:
        domain = normalise_domain(domain)
    except DomainError as error:
        raise BlockListError(str(error)) from None
    async with conn.transaction():
        row = await conn.fetchrow(
            """INSERT INTO email_domain_blocks (domain) VALUES ($1)
               ON CONFLICT (domain) DO NOTHING RETURNING id, domain, created_at""",
            domain,
        )
        if row is None:
            raise BlockListError("Validation failed: Domain has already been taken")
        await record_action(
            conn,
            actor,
            "block_email_domain",
            "email_domain_block",
            row["id"],
            details={"domain": domain},
        )
    return EmailDomainBlock(**dict(row))


async def list_email_domain_blocks(
    conn: asyncpg.Connection, *, max_id: int | None = None, limit: int = 100
) -> list[EmailDomainBlock]:
    rows = await conn.fetch(
        """SELECT id, domain, created_at FROM email_domain_blocks
           WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2""",
        max_id,
        limit,
    )
    return [EmailDomainBlock(**dict(row)) for row in rows]


async def get_email_domain_block(
    conn: asyncpg.Connection, block_id: int
) -> EmailDomainBlock | None:
    row = await conn.fetchrow(
        "SELECT id, domain, created_at FROM email_domain_blocks WHERE id = $1", block_id
    )
    return EmailDomainBlock(**dict(row)) if row else None


async def do_remove_email_domain_block(
    conn: asyncpg.Connection, actor: Member | None, block_id: int
) -> bool:
    async with conn.transaction():
        domain = await conn.fetchval(
            "DELETE FROM email_domain_blocks WHERE id = $1 RETURNING domain", block_id
        )
        if domain is None:
            return False
        await record_action(
            conn,
            actor,
            "remove_email_domain_block",
            "email_domain_block",
            block_id,
            details={"domain": domain},
        )
    return True


# -- single addresses -------------------------------------------------------------------------


async def do_block_canonical_email(
    conn: asyncpg.Connection,
    actor: Member | None,
    *,
    email: str | None = None,
    canonical_email_hash_value: str | None = None,
) -> CanonicalEmailBlock:
    """Block an address (given as itself, or as the hash Mastodon's API also accepts)."""
    if email:
        digest = canonical_email_hash(email)
    elif canonical_email_hash_value and len(canonical_email_hash_value.strip()) == 64:
        digest = canonical_email_hash_value.strip().lower()
    else:
        raise BlockListError("Validation failed: Canonical email hash can't be blank")
    async with conn.transaction():
        row = await conn.fetchrow(
            """INSERT INTO canonical_email_blocks (canonical_email_hash) VALUES ($1)
               ON CONFLICT (canonical_email_hash) DO NOTHING
               RETURNING id, canonical_email_hash, created_at""",
            digest,
        )
        if row is None:
            raise BlockListError("Validation failed: Canonical email hash has already been taken")
        await record_action(
            conn,
            actor,
            "block_canonical_email",
            "canonical_email_block",
            row["id"],
            details={"canonical_email_hash": digest},
        )
    return CanonicalEmailBlock(**dict(row))


async def list_canonical_email_blocks(
    conn: asyncpg.Connection, *, max_id: int | None = None, limit: int = 100
) -> list[CanonicalEmailBlock]:
    rows = await conn.fetch(
        """SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks
           WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2""",
        max_id,
        limit,
    )
    return [CanonicalEmailBlock(**dict(row)) for row in rows]


async def get_canonical_email_block(
    conn: asyncpg.Connection, block_id: int
) -> CanonicalEmailBlock | None:
    row = await conn.fetchrow(
        "SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks WHERE id = $1",
        block_id,
    )
    return CanonicalEmailBlock(**dict(row)) if row else None


async def matching_canonical_email_blocks(
    conn: asyncpg.Connection, email: str
) -> list[CanonicalEmailBlock]:
    rows = await conn.fetch(
        """SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks
           WHERE canonical_email_hash = $1""",
        canonical_email_hash(email),
    )
    return [CanonicalEmailBlock(**dict(row)) for row in rows]


async def do_remove_canonical_email_block(
    conn: asyncpg.Connection, actor: Member | None, block_id: int
) -> CanonicalEmailBlock | None:
    async with conn.transaction():
        row = await conn.fetchrow(
            """DELETE FROM canonical_email_blocks WHERE id = $1
               RETURNING id, canonical_email_hash, created_at""",
            block_id,
        )
        if row is None:
            return None
        await record_action(
            conn,
            actor,
            "remove_canonical_email_block",
            "canonical_email_block",
            block_id,
            details={"canonical_email_hash": row["canonical_email_hash"]},
        )
    return CanonicalEmailBlock(**dict(row))


# -- networks ---------------------------------------------------------------------------------

_IP_COLUMNS = "id, ip::text AS ip, severity, comment, expires_at, created_at"


def check_ip_block(ip: str | None, severity: str | None, comment: str | None) -> str | None:
    """The network in CIDR form (None when not given). Raises BlockListError."""
    if severity is not None and severity not in IP_SEVERITIES:
        raise BlockListError(
            f"Validation failed: Severity must be one of {', '.join(IP_SEVERITIES)}"
        )
    if comment is not None and len(comment) > MAX_COMMENT:
        raise BlockListError(f"Validation failed: Comment is too long (maximum is {MAX_COMMENT})")
    if ip is None:
        return None
    try:
        return str(ipaddress.ip_network(ip.strip(), strict=False))
    except ValueError:
        raise BlockListError("Validation failed: Ip is invalid") from None


async def do_block_ip(
    conn: asyncpg.Connection,
    actor: Member | None,
    ip: str,
    severity: str,
    *,
    comment: str = "",
    expires_in: int | None = None,
) -> IpBlock:
    network = check_ip_block(ip, severity, comment)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""INSERT INTO ip_blocks (ip, severity, comment, expires_at)
                VALUES ($1::cidr, $2, $3,
                        CASE WHEN $4::int IS NULL THEN NULL
                             ELSE now() + make_interval(secs => $4) END)
                ON CONFLICT (ip) DO NOTHING RETURNING {_IP_COLUMNS}""",
            network,
            severity,
            comment.strip(),
            expires_in,
        )
        if row is None:
            raise BlockListError("Validation failed: Ip has already been taken")
        block = IpBlock(**dict(row))
        await record_action(
            conn,
            actor,
            "block_ip",
            "ip_block",
            block.id,
            details={"ip": block.ip, "severity": severity},
        )
    return block


async def do_update_ip_block(
    conn: asyncpg.Connection,
    actor: Member | None,
    block_id: int,
    *,
    ip: str | None = None,
    severity: str | None = None,
    comment: str | None = None,
    expires_in: int | None = None,
) -> IpBlock | None:
    network = check_ip_block(ip, severity, comment)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""UPDATE ip_blocks SET ip = coalesce($2::cidr, ip),
                       severity = coalesce($3, severity), comment = coalesce($4, comment),
                       expires_at = CASE WHEN $5::int IS NULL THEN expires_at
                                         ELSE now() + make_interval(secs => $5) END,
                       updated_at = now()
                WHERE id = $1 RETURNING {_IP_COLUMNS}""",
            block_id,
            network,
            severity,
            comment.strip() if comment is not None else None,
            expires_in,
        )
        if row is None:
            return None
        block = IpBlock(**dict(row))
        await record_action(
            conn,
            actor,
            "update_ip_block",
            "ip_block",
            block_id,
            details={"ip": block.ip, "severity": block.severity},
        )
    return block


async def do_remove_ip_block(conn: asyncpg.Connection, actor: Member | None, block_id: int) -> bool:
    async with conn.transaction():
        ip = await conn.fetchval("DELETE FROM ip_blocks WHERE id = $1 RETURNING ip::text", block_id)
        if ip is None:
            return False
        await record_action(
            conn, actor, "remove_ip_block", "ip_block", block_id, details={"ip": ip}
        )
    return True


async def list_ip_blocks(
    conn: asyncpg.Connection, *, max_id: int | None = None, limit: int = 100
) -> list[IpBlock]:
    rows = await conn.fetch(
        f"""SELECT {_IP_COLUMNS} FROM ip_blocks
            WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2""",
        max_id,
        limit,
    )
    return [IpBlock(**dict(row)) for row in rows]


async def get_ip_block(conn: asyncpg.Connection, block_id: int) -> IpBlock | None:
    row = await conn.fetchrow(f"SELECT {_IP_COLUMNS} FROM ip_blocks WHERE id = $1", block_id)
    return IpBlock(**dict(row)) if row else None


async def ip_severity(conn: asyncpg.Connection, ip: str | None) -> str | None:
    """The strictest unexpired block covering `ip`, or None."""
    if not ip:
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None
    severity: str | None = await conn.fetchval(
        """SELECT severity FROM ip_blocks
           WHERE ip >>= $1::inet AND (expires_at IS NULL OR expires_at > now())
           ORDER BY CASE severity WHEN 'no_access' THEN 0 WHEN 'sign_up_block' THEN 1 ELSE 2 END
           LIMIT 1""",
        ip,
    )
    return severity


async def email_refused(conn: asyncpg.Connection, email: str, domain: str) -> bool:
    """True when the address, or its domain or a parent of it, is on a list."""
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels))]
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM email_domain_blocks WHERE domain = ANY($1::text[]))
                   OR EXISTS (SELECT 1 FROM canonical_email_blocks
                              WHERE canonical_email_hash = $2)""",
            parents,
            canonical_email_hash(email),
        )
    )
