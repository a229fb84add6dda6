"""The admins' run-time choices for their node, as opposed to `node.settings` (how the process
runs, read once at start). These change while the node runs — from the CLI, the admin API or
the admin panel — so they live in the database and every process reads the same answer.

Each choice is declared once in `CHOICES` with its type and default; an unknown key or a value
of the wrong type is refused with a `PolicyError` whose message can be shown to the admin."""

from __future__ import annotations

from dataclasses import dataclass, fields

import asyncpg

from actors.accounts import USERNAME
from federation.domain_policy import DomainError, normalise_domain


class PolicyError(ValueError):
    """A policy change was refused; the message is safe to show to whoever asked."""


@dataclass(frozen=True, slots=True)
class NodePolicy:
    """Every choice with its current value. Defaults are the closed, members-only node."""

    # Customers see other customers' profiles and the customer list.
    customers_see_customers: bool = False
    # Customers see internal (`local`) posts.
    customers_see_local: bool = False
    # NodeInfo and instance documents leave out member and post counts.
    hide_usage_counts: bool = False
    # Employees (not only admins) may create invitations.
    employees_may_invite: bool = False
    # People whose email is at one of these domains may ask for an employee account, which an
    # admin then approves. Empty: sign-up needs an invitation.
    signup_email_domains: tuple[str, ...] = ()
    # Exports may include internal posts and members-only group content.
    export_includes_internal: bool = False
    # The organisation's news account (a local username; "" for none): every new member
    # follows it, and may unfollow it.
    news_account: str = ""
    # Days a member must wait after moving their account before moving it again (Mastodon: 30).
    move_cooldown_days: int = 30


_KINDS: dict[str, type] = {"bool": bool, "str": str, "int": int}
CHOICES: dict[str, type] = {f.name: _KINDS.get(str(f.type), tuple) for f in fields(NodePolicy)}


def _check(key: str, value: object) -> object:
    kind = CHOICES.get(key)
    if kind is None:
        raise PolicyError(f"unknown policy {key!r}; known: {', '.join(sorted(CHOICES))}")
    if kind is bool:
        if not isinstance(value, bool):
            raise PolicyError(f"{key} is true or false")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise PolicyError(f"{key} is a username, or empty for none")
        name = value.strip().lstrip("@")
        if name and not USERNAME.match(name):
            raise PolicyError(f"{key}: {value!r} is not a username")
        return name
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyError(f"{key} is a whole number, 0 or more")
        return value
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{key} is a list of domains")
    try:
        return sorted({normalise_domain(v) for v in value})
    except DomainError as error:
        raise PolicyError(f"{key}: {error}") from None


def parse_value(key: str, text: str) -> object:
    """A value typed at the command line: `true`/`false`, or domains separated by commas."""
    if CHOICES.get(key) is bool:
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "on", "1"}:
            return True
        if lowered in {"false", "no", "off", "0"}:
            return False
        raise PolicyError(f"{key} is true or false, not {text!r}")
    if CHOICES.get(key) is int:
        try:
            return int(text.strip())
        except ValueError:
            raise PolicyError(f"{key} is a whole number, not {text!r}") from None
    return text


async def load_policy(conn: asyncpg.Connection) -> NodePolicy:
    """The current policy: one small query; stored values of a retired key are ignored."""
    rows = await conn.fetch("SELECT key, value FROM node_policy")
    values: dict[str, object] = {}
    for row in rows:
        kind = CHOICES.get(row["key"])
        if kind is bool:
            values[row["key"]] = bool(row["value"])
        elif kind is str:
            values[row["key"]] = str(row["value"])
        elif kind is int:
            values[row["key"]] = int(row["value"])
        elif kind is tuple:
            values[row["key"]] = tuple(row["value"])
    return NodePolicy(**values)  # type: ignore[arg-type]


async def _local_account_exists(conn: asyncpg.Connection, username: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM accounts WHERE domain IS NULL AND lower(username) = lower($1)", username
    )
    return found is not None


async def do_set_policy(conn: asyncpg.Connection, key: str, value: object) -> NodePolicy:
    checked = _check(key, value)
    if CHOICES[key] is str and checked and not await _local_account_exists(conn, str(checked)):
        raise PolicyError(f"{key}: no local account is named {checked!r}")
    await conn.execute(
        """INSERT INTO node_policy (key, value) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()""",
        key,
        checked,
    )
    return await load_policy(conn)
