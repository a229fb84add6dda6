"""Domains a member hides from themselves (Mastodon's account domain blocks), as imported from
a `blocked_domains.csv`."""

from __future__ import annotations

import re

import asyncpg

# A host name, with an optional port as loopback test nodes have.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*(:\d{{1,5}})?$")


def is_domain(text: str) -> bool:
    return len(text) <= 253 and bool(_DOMAIN.match(text))


async def block_domain(conn: asyncpg.Connection, account_id: int, domain: str) -> bool:
    """True when the domain was not blocked yet."""
    status = await conn.execute(
        """INSERT INTO account_domain_blocks (account_id, domain) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        account_id,
        domain.lower(),
    )
    return status == "INSERT 0 1"


async def unblock_domains_except(conn: asyncpg.Connection, account_id: int, kept: list[str]) -> int:
    """Unblock every domain not in `kept` (an overwriting import); how many were unblocked."""
    status = await conn.execute(
        """DELETE FROM account_domain_blocks
           WHERE account_id = $1 AND NOT (domain = ANY($2::text[]))""",
        account_id,
        [domain.lower() for domain in kept],
    )
    return int(status.split()[-1])


async def blocked_domains(conn: asyncpg.Connection, account_id: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT domain FROM account_domain_blocks WHERE account_id = $1 ORDER BY domain",
        account_id,
    )
    return [row["domain"] for row in rows]
