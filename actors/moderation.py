"""Staff actions on accounts, as Mastodon's `POST /api/v1/admin/accounts/:id/action` names
them — `none` (a warning), `sensitive`, `disable`, `silence` (Mastodon's "limit"), `suspend` —
their undoing (`unsensitive`, `unsilence`, `unsuspend`), and Rukun's own password reset and
forced sign-out. Each command writes its audit log entry (`actors.audit`) and, for the
actions, the warning the member is shown (Mastodon's AccountWarning), in one transaction.

Who may act on whom is `actors.roles.check_may_manage` for local members; remote accounts are
anyone's among the staff. A suspended local member's tokens and sessions end at once; their
posts leave every read path (`content.access`). Suspensions are not federated: the node simply
stops showing and serving the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import (
    ACCOUNT_COLUMNS,
    INSTANCE_ACTOR,
    Account,
    Member,
    MemberError,
    account_from_row,
    check_keeps_an_admin,
    do_set_user_disabled,
    get_member_by_account_id,
)
from actors.audit import record_action
from actors.passwords import generate_password, hash_password
from actors.reports import do_resolve_report
from actors.roles import NoSuchMember, PermissionRefused, check_may_manage

ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")
MAX_WARNING_TEXT = 5000


@dataclass(frozen=True, slots=True)
class ModerationState:
    """An account's standing, for the admin entities."""

    account: Account
    member: Member | None
    silenced_at: datetime | None
    sensitized_at: datetime | None

    @property
    def suspended(self) -> bool:
        return self.account.suspended_at is not None


@dataclass(frozen=True, slots=True)
class AccountWarning:
    id: int
    account_id: int | None
    target_account_id: int
    action: str
    text: str
    report_id: int | None
    created_at: datetime


_WARNING_COLUMNS = "id, account_id, target_account_id, action, text, report_id, created_at"
_CLEARING = {
    "unsilence": "silenced_at",
    "unsuspend": "suspended_at",
    "unsensitive": "sensitized_at",
}


async def moderation_state(conn: asyncpg.Connection, account_id: int) -> ModerationState | None:
    row = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS}, silenced_at, sensitized_at FROM accounts WHERE id = $1",
        account_id,
    )
    if row is None or (row["domain"] is None and row["username"] == INSTANCE_ACTOR):
        return None
    member = await get_member_by_account_id(conn, account_id) if row["domain"] is None else None
    if row["domain"] is None and member is None:
        return None
    return ModerationState(account_from_row(row), member, row["silenced_at"], row["sensitized_at"])


async def remote_moderation_states(
    conn: asyncpg.Connection, account_ids: list[int]
) -> dict[int, ModerationState]:
    """The standing of the remote accounts among `account_ids`, in one query."""
    rows = await conn.fetch(
        f"""SELECT {ACCOUNT_COLUMNS}, silenced_at, sensitized_at FROM accounts
            WHERE id = ANY($1::bigint[]) AND domain IS NOT NULL""",
        account_ids,
    )
    return {
        row["id"]: ModerationState(
            account_from_row(row), None, row["silenced_at"], row["sensitized_at"]
        )
        for row in rows
    }


async def moderated_account(
    conn: asyncpg.Connection, actor: Member | None, account_id: int
) -> ModerationState:
    """The account, if `actor` may act on it: any remote account, or a local member
    `check_may_manage` allows. Raises NoSuchMember or PermissionRefused."""
    state = await moderation_state(conn, account_id)
    if state is None:
        raise NoSuchMember("Record not found")
    if state.member is not None:
        check_may_manage(actor, state.member)
    return state


async def end_sessions(conn: asyncpg.Connection, user_id: int) -> int:
    """Sign a member out everywhere: browser sessions deleted, tokens revoked. Returns how many
    tokens ended."""
    await conn.execute("DELETE FROM web_sessions WHERE user_id = $1", user_id)
    result: str = await conn.execute(
        "UPDATE oauth_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )
    return int(result.rsplit(maxsplit=1)[-1])


async def do_account_action(
    conn: asyncpg.Connection,
    actor: Member | None,
    account_id: int,
    kind: str,
    *,
    text: str = "",
    report_id: int | None = None,
) -> AccountWarning:
    """Apply one of ACTIONS, store the warning the member sees, resolve the report when one
    is named, and log it all. Raises MemberError (NoSuchMember, PermissionRefused) when
    refused."""
    if kind not in ACTIONS:
        raise MemberError(f"type must be one of {', '.join(ACTIONS)}")
    text = text.strip()[:MAX_WARNING_TEXT]
    async with conn.transaction():
        state = await moderated_account(conn, actor, account_id)
        member = state.member
        if kind == "disable":
            if member is None:
                raise MemberError("Only local accounts can be disabled")
            await do_set_user_disabled(conn, member.user_id, True)
        elif kind == "suspend":
            if member is not None and member.role == "admin":
                await check_keeps_an_admin(conn, member.user_id)
            await conn.execute(
                """UPDATE accounts SET suspended_at = coalesce(suspended_at, now()),
                                       updated_at = now() WHERE id = $1""",
                account_id,
            )
            if member is not None:
                await end_sessions(conn, member.user_id)
        elif kind in ("silence", "sensitive"):
            column = "silenced_at" if kind == "silence" else "sensitized_at"
            await conn.execute(
                f"UPDATE accounts SET {column} = coalesce({column}, now()) WHERE id = $1",
                account_id,
            )
        if report_id is not None:
            await do_resolve_report(conn, actor, report_id, audit=False)
        row = await conn.fetchrow(
            f"""INSERT INTO account_warnings (account_id, target_account_id, action, text,
                                              report_id)
                VALUES ($1, $2, $3, $4, $5) RETURNING {_WARNING_COLUMNS}""",
            actor.account.id if actor else None,
            account_id,
            kind,
            text,
            report_id,
        )
        details: dict[str, object] = {"type": kind, "username": state.account.username}
        if text:
            details["text"] = text
        if report_id is not None:
            details["report_id"] = str(report_id)
        await record_action(
            conn, actor, "warn" if kind == "none" else kind, "account", account_id, details=details
        )
    return AccountWarning(**dict(row))


async def do_lift(
    conn: asyncpg.Connection, actor: Member | None, account_id: int, kind: str
) -> ModerationState:
    """`unsilence`, `unsuspend` or `unsensitive`. An unsuspended member signs in again: the
    tokens and sessions their suspension ended stay ended."""
    column = _CLEARING[kind]
    async with conn.transaction():
        state = await moderated_account(conn, actor, account_id)
        await conn.execute(f"UPDATE accounts SET {column} = NULL WHERE id = $1", account_id)
        await record_action(
            conn, actor, kind, "account", account_id, details={"username": state.account.username}
        )
    lifted = await moderation_state(conn, account_id)
    assert lifted is not None
    return lifted


async def account_warnings(
    conn: asyncpg.Connection, account_id: int, limit: int = 40
) -> list[AccountWarning]:
    """The warnings a member has had, newest first."""
    rows = await conn.fetch(
        f"""SELECT {_WARNING_COLUMNS} FROM account_warnings WHERE target_account_id = $1
            ORDER BY id DESC LIMIT $2""",
        account_id,
        limit,
    )
    return [AccountWarning(**dict(row)) for row in rows]


async def _managed_local(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> Member:
    state = await moderated_account(conn, actor, account_id)
    if state.member is None:
        raise NoSuchMember("Record not found")
    return state.member


async def do_reset_password(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> str:
    """Give the member a one-time password (to be changed at the next sign-in) and sign them
    out everywhere. Returns the password: it is shown once, to the staff member who asked."""
    password = generate_password()
    async with conn.transaction():
        member = await _managed_local(conn, actor, account_id)
        await conn.execute(
            """UPDATE users SET password_hash = $2, password_change_required = true
               WHERE id = $1""",
            member.user_id,
            hash_password(password),
        )
        await end_sessions(conn, member.user_id)
        await record_action(
            conn,
            actor,
            "reset_password",
            "account",
            account_id,
            details={"username": member.username},
        )
    return password


async def do_force_sign_out(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> int:
    """End every session and token of the member. Returns how many tokens ended."""
    async with conn.transaction():
        member = await _managed_local(conn, actor, account_id)
        ended = await end_sessions(conn, member.user_id)
        await record_action(
            conn,
            actor,
            "sign_out",
            "account",
            account_id,
            details={"username": member.username, "tokens": ended},
        )
    return ended


def check_deletable(state: ModerationState, actor: Member | None) -> None:
    """Mastodon deletes only a suspended account's data, and only for admins' role rights."""
    if not state.suspended:
        raise PermissionRefused("This action is not allowed")
    if actor is not None and actor.role != "admin" and state.member is not None:
        raise PermissionRefused("This action is not allowed")
