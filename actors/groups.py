"""Groups hosted here (FEP-1b12, as Lemmy, Friendica and Mitra federate them): an account with
actor_type `Group`, its own key pair and the usual inbox, outbox and followers; its members
are its followers. This module owns the `groups` rows and the group's staff, invitations and
bans, and decides how a join is answered (`join_answer`).

Membership policies: `open` to accounts of this node, `partners` also to accounts of the
group's listed partner domains, `approval` (a group admin decides) and `invite` (only invited
accounts). Under `open` or `partners`, an account from any other node is refused (a Reject,
not a request left pending): those policies name who may join, and a group admin who wants
someone else invites them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.accounts import (
    ACCOUNT_COLUMNS,
    USERNAME,
    Account,
    MemberError,
    account_from_row,
    get_local_account,
)
from actors.keys import new_key_pair

POLICIES = ("open", "partners", "approval", "invite")
GROUP_VISIBILITIES = ("public", "members_only")
STAFF_ROLES = ("admin", "moderator")
MAX_DESCRIPTION = 5000


class GroupError(MemberError):
    """A group command was refused; the message is safe to show (Mastodon's 422 `error`)."""


@dataclass(frozen=True, slots=True)
class Group:
    account: Account
    policy: str
    visibility: str
    partner_domains: tuple[str, ...]
    is_project: bool
    description_status_id: int | None

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def members_only(self) -> bool:
        return self.visibility == "members_only"


def check_group_settings(policy: str, visibility: str, partner_domains: list[str]) -> None:
    if policy not in POLICIES:
        raise GroupError(f"policy must be one of {', '.join(POLICIES)}")
    if visibility not in GROUP_VISIBILITIES:
        raise GroupError(f"visibility must be one of {', '.join(GROUP_VISIBILITIES)}")
    if any(not domain or "/" in domain or " " in domain for domain in partner_domains):
        raise GroupError("partner domains must be host names")


async def insert_group(
    conn: asyncpg.Connection,
    name: str,
    *,
    display_name: str,
    description: str,
    policy: str,
    visibility: str,
    partner_domains: list[str],
    is_project: bool,
    creator_id: int,
) -> int:
    """Inside the caller's transaction: the group's account (with its key pair), its row, and
    its creator as its first admin. Returns the group's account id."""
    if not USERNAME.match(name):
        raise GroupError("name must be 1 to 30 letters, digits or underscores")
    if len(description) > MAX_DESCRIPTION:
        raise GroupError(f"description is too long (maximum is {MAX_DESCRIPTION} characters)")
    check_group_settings(policy, visibility, partner_domains)
    if await get_local_account(conn, name) is not None:
        raise GroupError(f"name {name!r} is already taken")
    keys = await new_key_pair()
    account_id: int = await conn.fetchval(
        """INSERT INTO accounts (username, actor_type, display_name, note, locked,
                                 public_key_pem, private_key_pem)
           VALUES ($1, 'Group', $2, $3, $4, $5, $6) RETURNING id""",
        name,
        display_name,
        description,
        policy in ("approval", "invite"),
        keys.public_pem,
        keys.private_pem,
    )
    await conn.execute(
        """INSERT INTO groups (account_id, policy, visibility, partner_domains, is_project)
           VALUES ($1, $2, $3, $4, $5)""",
        account_id,
        policy,
        visibility,
        [domain.lower() for domain in partner_domains],
        is_project,
    )
    await set_staff(conn, account_id, creator_id, "admin")
    return account_id


async def update_group_settings(
    conn: asyncpg.Connection,
    group_id: int,
    *,
    display_name: str | None = None,
    description: str | None = None,
    policy: str | None = None,
    visibility: str | None = None,
    partner_domains: list[str] | None = None,
) -> None:
    """Change what was given; `locked` follows the policy so the follow code asks for approval."""
    current = await get_group(conn, group_id)
    if current is None:
        raise GroupError("no such group")
    policy = policy or current.policy
    visibility = visibility or current.visibility
    domains = list(current.partner_domains) if partner_domains is None else partner_domains
    check_group_settings(policy, visibility, domains)
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise GroupError(f"description is too long (maximum is {MAX_DESCRIPTION} characters)")
    await conn.execute(
        """UPDATE groups SET policy = $2, visibility = $3, partner_domains = $4
           WHERE account_id = $1""",
        group_id,
        policy,
        visibility,
        [domain.lower() for domain in domains],
    )
    await conn.execute(
        """UPDATE accounts SET display_name = coalesce($2, display_name),
                               note = coalesce($3, note), locked = $4, updated_at = now()
           WHERE id = $1""",
        group_id,
        display_name,
        description,
        policy in ("approval", "invite"),
    )


_GROUP_SELECT = f"""
    SELECT {", ".join("a." + c.strip() for c in ACCOUNT_COLUMNS.split(","))},
           g.policy, g.visibility, g.partner_domains, g.is_project, g.description_status_id
    FROM groups g JOIN accounts a ON a.id = g.account_id
"""


def _group_from_row(row: asyncpg.Record) -> Group:
    return Group(
        account=account_from_row(row),
        policy=row["policy"],
        visibility=row["visibility"],
        partner_domains=tuple(row["partner_domains"]),
        is_project=row["is_project"],
        description_status_id=row["description_status_id"],
    )


async def get_group(conn: asyncpg.Connection, group_id: int) -> Group | None:
    row = await conn.fetchrow(_GROUP_SELECT + " WHERE g.account_id = $1", group_id)
    return _group_from_row(row) if row else None


async def get_groups(conn: asyncpg.Connection, ids: list[int]) -> dict[int, Group]:
    if not ids:
        return {}
    rows = await conn.fetch(_GROUP_SELECT + " WHERE g.account_id = ANY($1::bigint[])", ids)
    return {row["id"]: _group_from_row(row) for row in rows}


async def list_groups(conn: asyncpg.Connection, member_id: int | None) -> list[Group]:
    """Groups of this node, or (with `member_id`) those the account follows, by name."""
    rows = await conn.fetch(
        _GROUP_SELECT
        + """
           WHERE a.suspended_at IS NULL AND ($1::bigint IS NULL OR EXISTS (
               SELECT 1 FROM follows f WHERE f.account_id = $1
                 AND f.target_account_id = g.account_id))
           ORDER BY a.username""",
        member_id,
    )
    return [_group_from_row(row) for row in rows]


async def set_description_status(conn: asyncpg.Connection, group_id: int, status_id: int) -> None:
    await conn.execute(
        "UPDATE groups SET description_status_id = $2 WHERE account_id = $1", group_id, status_id
    )


async def delete_group_row(conn: asyncpg.Connection, group_id: int) -> None:
    """The group stops being one; its account is suspended by the caller."""
    await conn.execute("DELETE FROM groups WHERE account_id = $1", group_id)


# -- staff, invitations, bans ------------------------------------------------------------------


async def set_staff(conn: asyncpg.Connection, group_id: int, account_id: int, role: str) -> None:
    if role not in STAFF_ROLES:
        raise GroupError(f"role must be one of {', '.join(STAFF_ROLES)}")
    await conn.execute(
        """INSERT INTO group_staff (group_id, account_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (group_id, account_id) DO UPDATE SET role = EXCLUDED.role""",
        group_id,
        account_id,
        role,
    )


async def staff_role(conn: asyncpg.Connection, group_id: int, account_id: int) -> str | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM group_staff WHERE group_id = $1 AND account_id = $2",
        group_id,
        account_id,
    )
    return role


async def staff_of(conn: asyncpg.Connection, group_id: int) -> list[tuple[int, str]]:
    """(account id, role) of the group's admins and moderators, admins first."""
    rows = await conn.fetch(
        "SELECT account_id, role FROM group_staff WHERE group_id = $1 ORDER BY role, account_id",
        group_id,
    )
    return [(row["account_id"], row["role"]) for row in rows]


async def invite(conn: asyncpg.Connection, group_id: int, account_id: int) -> None:
    await conn.execute(
        "INSERT INTO group_invites (group_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        group_id,
        account_id,
    )
    await conn.execute(
        "DELETE FROM group_bans WHERE group_id = $1 AND account_id = $2", group_id, account_id
    )


async def ban(conn: asyncpg.Connection, group_id: int, account_id: int) -> None:
    await conn.execute(
        "INSERT INTO group_bans (group_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        group_id,
        account_id,
    )
    await conn.execute(
        "DELETE FROM group_invites WHERE group_id = $1 AND account_id = $2", group_id, account_id
    )


async def is_banned(conn: asyncpg.Connection, group_id: int, account_id: int) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM group_bans WHERE group_id = $1 AND account_id = $2", group_id, account_id
    )
    return found is not None


async def is_member(conn: asyncpg.Connection, group_id: int, account_id: int) -> bool:
    """A member follows the group and was not removed from it."""
    found = await conn.fetchval(
        """SELECT 1 FROM follows f WHERE f.account_id = $2 AND f.target_account_id = $1
             AND NOT EXISTS (SELECT 1 FROM group_bans b
                             WHERE b.group_id = $1 AND b.account_id = $2)""",
        group_id,
        account_id,
    )
    return found is not None


# -- joining ------------------------------------------------------------------------------------


async def join_answer(conn: asyncpg.Connection, group: Group, account: Account) -> str:
    """How a Follow of the group by `account` is answered: `accept`, `request` (a group admin
    decides, under `approval`) or `reject` (removed earlier, not invited to an invite-only
    group, or from a node an `open` or `partners` group is not open to). The group's staff
    and invited accounts are always let in."""
    if await is_banned(conn, group.id, account.id):
        return "reject"
    invited = await conn.fetchval(
        """SELECT 1 FROM group_invites WHERE group_id = $1 AND account_id = $2
           UNION ALL SELECT 1 FROM group_staff WHERE group_id = $1 AND account_id = $2""",
        group.id,
        account.id,
    )
    welcome = account.is_local or (
        group.policy == "partners" and (account.domain or "").lower() in group.partner_domains
    )
    if invited or (group.policy in ("open", "partners") and welcome):
        return "accept"
    return "request" if group.policy == "approval" else "reject"


async def unban(conn: asyncpg.Connection, group_id: int, account_id: int) -> bool:
    """Lift a ban (a group elsewhere undid it); False when there was none."""
    lifted = await conn.fetchval(
        "DELETE FROM group_bans WHERE group_id = $1 AND account_id = $2 RETURNING account_id",
        group_id,
        account_id,
    )
    return lifted is not None
