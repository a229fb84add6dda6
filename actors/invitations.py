"""Invitations: the way into a node whose registrations are closed.

An invitation gives the role it names to whoever signs up with it. Admins invite with any
role; employees (and moderators), when the node policy lets them, invite only employees and
customers — never staff. An invitation may expire, may be limited in uses, and
may be revoked; a use is claimed with one conditional UPDATE in the sign-up's transaction, so
the limit holds however many people sign up at once.

The code is stored as it is (as Mastodon does), because the inviter must be able to copy the
link again; it is a 128-bit secret, shown only to its inviter and to admins, and never logged."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import ROLES, Member
from actors.node_policy import NodePolicy
from actors.site import Site

MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 30 * 24 * 3600
MAX_USES = 1000
EMPLOYEE_MAY_INVITE = ("employee", "customer")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_COLUMNS = "id, code, inviter_user_id, role, max_uses, uses, expires_at, revoked_at, created_at"


class InvitationError(ValueError):
    """An invitation command was refused; the message is safe to show to whoever asked.
    `status` is the HTTP status that fits (403 not allowed, 404 unknown, 410 no longer
    usable, 422 bad value)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    code: str
    inviter_user_id: int | None
    role: str
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    def unusable_reason(self, now: datetime) -> str | None:
        """Why nobody can sign up with it any more, or None while it is good."""
        if self.revoked_at is not None:
            return "This invitation has been revoked."
        if self.expires_at is not None and self.expires_at <= now:
            return "This invitation has expired."
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "This invitation has already been used as often as it may be."
        return None


def invitation_link(site: Site, code: str) -> str:
    return f"{site.base_url}/invite/{code}"


def _invitation(row: asyncpg.Record) -> Invitation:
    return Invitation(**{name: row[name] for name in Invitation.__slots__})


def parse_duration(text: str) -> int | None:
    """`30m`, `12h`, `7d`, `2w` or plain seconds; `never` (or empty) for no expiry."""
    if text.strip().lower() in {"", "never", "none", "0"}:
        return None
    match = _DURATION.match(text.lower())
    if not match:
        raise InvitationError(f"{text!r} is not a duration like 30m, 12h, 7d or never")
    return int(match[1]) * _UNITS[match[2]]


def check_may_invite(inviter: Member | None, policy: NodePolicy, role: str) -> None:
    """`inviter` None is the node's operator at the command line, who may do anything."""
    if role not in ROLES:
        raise InvitationError(f"role must be one of {', '.join(ROLES)}")
    if inviter is None or inviter.role == "admin":
        return
    if inviter.role in ("moderator", "employee") and policy.employees_may_invite:
        if role not in EMPLOYEE_MAY_INVITE:
            raise InvitationError("employees may invite only employees and customers", 403)
        return
    raise InvitationError("you may not create invitations on this node", 403)


def check_limits(expires_in: int | None, max_uses: int | None) -> None:
    if expires_in is not None and not MIN_EXPIRY_SECONDS <= expires_in <= MAX_EXPIRY_SECONDS:
        raise InvitationError("expires_in must be between 30 minutes and 30 days, or never")
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise InvitationError(f"max_uses must be between 1 and {MAX_USES}, or unlimited")


async def do_create_invitation(
    conn: asyncpg.Connection,
    inviter: Member | None,
    policy: NodePolicy,
    role: str,
    *,
    expires_in: int | None = None,
    max_uses: int | None = None,
) -> Invitation:
    check_may_invite(inviter, policy, role)
    check_limits(expires_in, max_uses)
    row = await conn.fetchrow(
        f"""INSERT INTO invitations (code, inviter_user_id, role, max_uses, expires_at)
            VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
            RETURNING {_COLUMNS}""",
        secrets.token_urlsafe(16),
        inviter.user_id if inviter else None,
        role,
        max_uses,
        expires_in,
    )
    return _invitation(row)


async def list_invitations(conn: asyncpg.Connection, viewer: Member | None) -> list[Invitation]:
    """Admins (and the operator, `viewer` None) see every invitation; others their own."""
    if viewer is None or viewer.role == "admin":
        rows = await conn.fetch(f"SELECT {_COLUMNS} FROM invitations ORDER BY id DESC")
    else:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM invitations WHERE inviter_user_id = $1 ORDER BY id DESC",
            viewer.user_id,
        )
    return [_invitation(row) for row in rows]


async def do_revoke_invitation(
    conn: asyncpg.Connection, viewer: Member | None, invitation_id: int
) -> Invitation:
    """Revoke an invitation the viewer may see (another's answers 404, as if absent).
    Revoking twice keeps the first time."""
    row = await conn.fetchrow(
        f"""UPDATE invitations SET revoked_at = coalesce(revoked_at, now())
            WHERE id = $1 AND ($2::bigint IS NULL OR inviter_user_id = $2)
            RETURNING {_COLUMNS}""",
        invitation_id,
        None if viewer is None or viewer.role == "admin" else viewer.user_id,
    )
    if row is None:
        raise InvitationError("Record not found", 404)
    return _invitation(row)


async def find_invitation(conn: asyncpg.Connection, code: str) -> Invitation:
    """The invitation behind a code if it can still be used; InvitationError (404 unknown,
    410 revoked, expired or used up) otherwise. Codes are short ASCII; anything else is
    unknown without a query."""
    row = None
    if 0 < len(code) <= 64 and code.isascii():
        row = await conn.fetchrow(
            f"""SELECT {_COLUMNS}, now() AS now,
                       (SELECT disabled_at IS NOT NULL FROM users u
                        WHERE u.id = i.inviter_user_id) AS inviter_disabled
                FROM invitations i WHERE code = $1""",
            code,
        )
    if row is None:
        raise InvitationError("This invitation link is not valid.", 404)
    invitation = _invitation(row)
    reason = invitation.unusable_reason(row["now"])
    if reason is None and row["inviter_disabled"]:
        reason = "This invitation has been revoked."
    if reason is not None:
        raise InvitationError(reason, 410)
    return invitation


async def do_claim_invitation(conn: asyncpg.Connection, code: str) -> Invitation:
    """Count one use, inside the caller's transaction. The conditional UPDATE takes the row
    lock: a concurrent sign-up waits for this transaction, then re-checks the limit against
    the committed count, so `max_uses` is never exceeded. Raises like `find_invitation`."""
    row = await conn.fetchrow(
        f"""UPDATE invitations i SET uses = uses + 1
            WHERE code = $1 AND revoked_at IS NULL
              AND (expires_at IS NULL OR expires_at > now())
              AND (max_uses IS NULL OR uses < max_uses)
              AND NOT EXISTS (SELECT 1 FROM users u
                              WHERE u.id = i.inviter_user_id AND u.disabled_at IS NOT NULL)
            RETURNING {_COLUMNS}""",
        code,
    )
    if row is None:
        await find_invitation(conn, code)  # raises with the reason
        raise InvitationError("This invitation has already been used as often as it may be.", 410)
    return _invitation(row)
