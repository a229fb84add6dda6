"""What the node tells apps about itself beyond NodeInfo's counts: the rules members agree to
and how many other domains it knows."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.accounts import Member
from actors.audit import record_action


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


MAX_RULE_TEXT = 1000
MAX_RULE_HINT = 1000


class RuleError(ValueError):
    """A rule change was refused; the message is safe to show."""


def check_rule(text: str, hint: str) -> tuple[str, str]:
    text, hint = text.strip(), hint.strip()
    if not text:
        raise RuleError("a rule needs its text")
    if len(text) > MAX_RULE_TEXT or len(hint) > MAX_RULE_HINT:
        raise RuleError(f"a rule's text and hint are at most {MAX_RULE_TEXT} characters each")
    return text, hint


async def do_add_rule(
    conn: asyncpg.Connection, actor: Member | None, text: str, hint: str = ""
) -> Rule:
    """Append a rule after the others."""
    text, hint = check_rule(text, hint)
    async with conn.transaction():
        row = await conn.fetchrow(
            """INSERT INTO instance_rules (text, hint, position)
               VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM instance_rules))
               RETURNING id, text, hint""",
            text,
            hint,
        )
        await record_action(conn, actor, "add_rule", "rule", row["id"], details={"text": text})
    return Rule(row["id"], row["text"], row["hint"])


async def do_update_rule(
    conn: asyncpg.Connection, actor: Member | None, rule_id: int, text: str, hint: str = ""
) -> Rule:
    text, hint = check_rule(text, hint)
    async with conn.transaction():
        row = await conn.fetchrow(
            """UPDATE instance_rules SET text = $2, hint = $3, updated_at = now()
               WHERE id = $1 RETURNING id, text, hint""",
            rule_id,
            text,
            hint,
        )
        if row is None:
            raise RuleError("no such rule")
        await record_action(conn, actor, "update_rule", "rule", rule_id, details={"text": text})
    return Rule(row["id"], row["text"], row["hint"])


async def do_delete_rule(conn: asyncpg.Connection, actor: Member | None, rule_id: int) -> None:
    """Reports that cite the rule keep its id; apps show it as gone, as in Mastodon."""
    async with conn.transaction():
        text = await conn.fetchval(
            "DELETE FROM instance_rules WHERE id = $1 RETURNING text", rule_id
        )
        if text is None:
            raise RuleError("no such rule")
        await record_action(conn, actor, "delete_rule", "rule", rule_id, details={"text": text})


async def do_move_rule(
    conn: asyncpg.Connection, actor: Member | None, rule_id: int, offset: int
) -> list[Rule]:
    """Move a rule `offset` places (-1 up, +1 down), renumbering all positions 1…n."""
    async with conn.transaction():
        ids = [r.id for r in await list_rules(conn)]
        if rule_id not in ids:
            raise RuleError("no such rule")
        index = ids.index(rule_id)
        ids.insert(max(0, min(len(ids) - 1, index + offset)), ids.pop(index))
        await conn.execute(
            """UPDATE instance_rules r SET position = o.n, updated_at = now()
               FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n) WHERE r.id = o.id""",
            ids,
        )
        await record_action(
            conn, actor, "move_rule", "rule", rule_id, details={"position": ids.index(rule_id) + 1}
        )
    return await list_rules(conn)
