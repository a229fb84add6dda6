"""What the node tells apps about itself beyond NodeInfo's counts: the rules members agree to
and how many other domains it knows."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    text: str
    hint: str


async def list_rules(conn: asyncpg.Connection) -> list[Rule]:
    rows = await conn.fetch("SELECT id, text, hint FROM instance_rules ORDER BY position, id")
    return [Rule(row["id"], row["text"], row["hint"]) for row in rows]


async def count_known_domains(conn: asyncpg.Connection) -> int:
    """Distinct remote domains among the accounts this node has seen."""
    count: int = await conn.fetchval(
        "SELECT count(DISTINCT lower(domain)) FROM accounts WHERE domain IS NOT NULL"
    )
    return count
