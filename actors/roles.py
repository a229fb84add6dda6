"""Who may manage whom, and the staff's commands on members: change a role, disable, enable.

Admins manage everyone. Moderators do the day-to-day work on ordinary members — approve or
reject sign-ups, disable and re-enable employees and customers — but never act on staff and
never change roles (as in Mastodon, where a role acts only on roles below it). Whatever the
command, the node keeps at least one active admin (`actors.accounts.check_keeps_an_admin`)."""

from __future__ import annotations

import asyncpg

from actors.accounts import (
    MEMBER_SELECT,
    ROLES,
    Member,
    MemberError,
    check_keeps_an_admin,
    do_set_user_disabled,
    get_member_by_user_id,
    member_from_row,
)
from actors.audit import record_action

STAFF = ("admin", "moderator")


class PermissionRefused(MemberError):
    """The acting member may not do this (HTTP 403)."""


class NoSuchMember(MemberError):
    """No local member has that id (HTTP 404)."""


def check_may_manage(actor: Member | None, target: Member) -> None:
    """`actor` None is the node's operator at the command line."""
    if actor is None or actor.role == "admin":
        return
    if actor.role == "moderator" and target.role not in STAFF:
        return
    raise PermissionRefused("This action is not allowed")


async def managed_member(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> Member:
    """The local member behind an account id (the id the admin API uses), if `actor` may
    manage them."""
    row = await conn.fetchrow(MEMBER_SELECT + " WHERE a.id = $1 AND a.domain IS NULL", account_id)
    if row is None:
        raise NoSuchMember("Record not found")
    target = member_from_row(row)
    check_may_manage(actor, target)
    return target


async def do_change_role(
    conn: asyncpg.Connection, actor: Member | None, target: Member, role: str
) -> Member:
    """Give `target` another role. Only admins (or the operator) change roles; the last active
    admin cannot step down. Sessions and tokens stay: what they may do follows the role,
    which is read on every request."""
    if actor is not None and actor.role != "admin":
        raise PermissionRefused("Only admins may change roles")
    if role not in ROLES:
        raise MemberError(f"role must be one of {', '.join(ROLES)}")
    async with conn.transaction():
        if target.role == "admin" and role != "admin":
            await check_keeps_an_admin(conn, target.user_id)
        await conn.execute("UPDATE users SET role = $2 WHERE id = $1", target.user_id, role)
        await record_action(
            conn,
            actor,
            "change_role",
            "account",
            target.account.id,
            details={"username": target.username, "from": target.role, "to": role},
        )
    changed = await get_member_by_user_id(conn, target.user_id)
    assert changed is not None
    return changed


async def do_disable(conn: asyncpg.Connection, actor: Member | None, target: Member) -> Member:
    return await _set_disabled(conn, actor, target, True)


async def do_enable(conn: asyncpg.Connection, actor: Member | None, target: Member) -> Member:
    return await _set_disabled(conn, actor, target, False)


async def _set_disabled(
    conn: asyncpg.Connection, actor: Member | None, target: Member, disabled: bool
) -> Member:
    check_may_manage(actor, target)
    async with conn.transaction():
        member = await do_set_user_disabled(conn, target.user_id, disabled)
        action = "disable" if disabled else "enable"
        details = {"username": target.username}
        await record_action(conn, actor, action, "account", target.account.id, details=details)
    return member
