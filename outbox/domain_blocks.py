"""A domain block that takes effect at once: besides the rule (`actors.partners`), the
deliveries still queued to that domain and its subdomains are dropped in the same
transaction, so nothing more is sent there (the delivery worker also rechecks the policy
before each attempt)."""

from __future__ import annotations

import asyncpg

from actors.accounts import Member
from actors.partners import BlockOptions, DomainPolicy, check_domain, do_block_domain


async def drop_queued_deliveries(conn: asyncpg.Connection, domain: str) -> int:
    """Mark the queued deliveries to `domain` (or a subdomain) dead; returns how many."""
    result: str = await conn.execute(
        """UPDATE deliveries SET state = 'dead', last_error = 'refused by federation policy',
                                 finished_at = now()
           WHERE state = 'queued'
             AND (host = $1 OR split_part(host, ':', 1) = $1
                  OR right(split_part(host, ':', 1), length($1) + 1) = '.' || $1)""",
        domain,
    )
    return int(result.rsplit(maxsplit=1)[-1])


async def do_block_domain_now(
    conn: asyncpg.Connection,
    actor: Member | None,
    domain: str,
    *,
    severity: str = "suspend",
    reason: str = "",
    options: BlockOptions | None = None,
) -> DomainPolicy:
    async with conn.transaction():
        rule = await do_block_domain(
            conn, domain, reason=reason, severity=severity, options=options, actor=actor
        )
        if rule.severity == "suspend":
            await drop_queued_deliveries(conn, check_domain(domain))
    return rule
