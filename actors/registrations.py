"""Signing up: with an invitation (the member gets the invitation's role at once), or — when
the node policy names the organisation's email domains — as an employee whose account waits
for a staff member's approval. With neither, registrations are closed.

Field errors are collected the way Mastodon reports them (`ERR_BLANK`, `ERR_TAKEN`, …, each
with a description), so the API and the HTML form show every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import asyncpg

from actors.accounts import USERNAME, Member, MemberError, do_create_member
from actors.audit import record_action
from actors.invitations import Invitation, do_claim_invitation, find_invitation
from actors.news_subscription import do_subscribe_to_news
from actors.node_policy import NodePolicy, load_policy
from actors.oauth import IssuedToken, do_issue_token
from actors.passwords import MAX_LENGTH, MIN_LENGTH
from actors.roles import PermissionRefused, managed_member
from actors.sign_up_blocks import email_refused, ip_severity

MAX_USERNAME = 30
MAX_EMAIL = 320
MAX_REASON = 1000
# Names people would take for the node's own voice (Mastodon reserves the same).
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "help", "mod", "moderator", "root", "support", "webmaster"}
)
_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+)$")
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
_LABELS = {
    "username": "Username",
    "email": "Email",
    "password": "Password",
    "password_confirmation": "Password confirmation",
    "agreement": "Agreement",
    "reason": "Reason",
    "locale": "Locale",
}
NOT_PENDING = "This account is not waiting for approval"
CLOSED = "Registrations are closed on this node: ask an administrator for an invitation."
NETWORK_REFUSED = "Sign-ups from your network are not allowed on this node."


class RegistrationsClosed(Exception):
    """Nobody may sign up without an invitation here (HTTP 403)."""


class SignUpInvalid(ValueError):
    """Some fields are wrong. `details` is Mastodon's: field → [{error, description}]."""

    def __init__(self, details: dict[str, list[dict[str, str]]]) -> None:
        self.details = details
        self.messages = [
            f"{_LABELS.get(name, name.capitalize())} {item['description']}"
            for name, items in details.items()
            for item in items
        ]
        super().__init__("Validation failed: " + ", ".join(self.messages))


@dataclass(frozen=True, slots=True)
class SignUp:
    username: str
    email: str
    password: str
    agreement: bool
    invite_code: str | None = None
    reason: str = ""
    locale: str | None = None
    # The HTML form asks for the password twice; the API does not.
    password_confirmation: str | None = None
    ip: str | None = None
    application_id: int | None = None


@dataclass
class _Errors:
    details: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, name: str, code: str, description: str) -> None:
        self.details.setdefault(name, []).append({"error": code, "description": description})


def email_domain(email: str) -> str | None:
    match = _EMAIL.match(email.strip())
    return match[1].lower().rstrip(".") if match else None


def _too_long(limit: int) -> str:
    return f"is too long (maximum is {limit} characters)"


def _check_username(username: str, errors: _Errors) -> None:
    if not username:
        errors.add("username", "ERR_BLANK", "can't be blank")
    elif len(username) > MAX_USERNAME:
        errors.add("username", "ERR_TOO_LONG", _too_long(MAX_USERNAME))
    elif not USERNAME.match(username):
        errors.add("username", "ERR_INVALID", "must contain only letters, numbers and underscores")
    elif username.lower() in RESERVED_USERNAMES:
        errors.add("username", "ERR_RESERVED", "is reserved")


def _check_password(sign_up: SignUp, errors: _Errors) -> None:
    password = sign_up.password
    if not password:
        errors.add("password", "ERR_BLANK", "can't be blank")
    elif len(password) < MIN_LENGTH:
        too_short = f"is too short (minimum is {MIN_LENGTH} characters)"
        errors.add("password", "ERR_TOO_SHORT", too_short)
    elif len(password) > MAX_LENGTH:
        errors.add("password", "ERR_TOO_LONG", _too_long(MAX_LENGTH))
    if sign_up.password_confirmation is not None and sign_up.password_confirmation != password:
        errors.add("password_confirmation", "ERR_CONFIRMATION", "doesn't match Password")


def _check_fields(sign_up: SignUp, errors: _Errors) -> None:
    _check_username(sign_up.username, errors)
    if not sign_up.email:
        errors.add("email", "ERR_BLANK", "can't be blank")
    elif len(sign_up.email) > MAX_EMAIL or email_domain(sign_up.email) is None:
        errors.add("email", "ERR_INVALID", "is invalid")
    _check_password(sign_up, errors)
    if not sign_up.agreement:
        errors.add("agreement", "ERR_ACCEPTED", "must be accepted")
    if len(sign_up.reason) > MAX_REASON:
        errors.add("reason", "ERR_TOO_LONG", _too_long(MAX_REASON))
    if sign_up.locale is not None and not _LOCALE.match(sign_up.locale):
        errors.add("locale", "ERR_INCLUSION", "is not included in the list")


def _check_domain(sign_up: SignUp, policy: NodePolicy, errors: _Errors) -> None:
    domain = email_domain(sign_up.email)
    if domain is not None and domain not in policy.signup_email_domains:
        errors.add(
            "email",
            "ERR_BLOCKED",
            f"is not an email address of this organisation: {domain} is not one of its"
            " email domains, so signing up needs an invitation",
        )


async def _check_taken(conn: asyncpg.Connection, sign_up: SignUp, errors: _Errors) -> None:
    if "username" not in errors.details and await conn.fetchval(
        "SELECT 1 FROM accounts WHERE lower(username) = lower($1) AND domain IS NULL",
        sign_up.username,
    ):
        errors.add("username", "ERR_TAKEN", "has already been taken")
    if "email" not in errors.details and await conn.fetchval(
        "SELECT 1 FROM users WHERE lower(email) = lower($1)", sign_up.email.strip()
    ):
        errors.add("email", "ERR_TAKEN", "has already been taken")


async def check_sign_up(
    conn: asyncpg.Connection, sign_up: SignUp
) -> tuple[Invitation | None, NodePolicy]:
    """Everything short of writing: the invitation (InvitationError when it cannot be used),
    RegistrationsClosed without one on a node that takes no sign-ups by email domain, and
    SignUpInvalid listing every wrong field."""
    policy = await load_policy(conn)
    if await ip_severity(conn, sign_up.ip) in ("sign_up_block", "no_access"):
        raise RegistrationsClosed(NETWORK_REFUSED)
    invitation = None
    if sign_up.invite_code:
        invitation = await find_invitation(conn, sign_up.invite_code)
    elif not policy.signup_email_domains:
        raise RegistrationsClosed(CLOSED)
    errors = _Errors()
    _check_fields(sign_up, errors)
    if invitation is None and "email" not in errors.details:
        _check_domain(sign_up, policy, errors)
    domain = email_domain(sign_up.email)
    if (
        "email" not in errors.details
        and domain
        and await email_refused(conn, sign_up.email, domain)
    ):
        # Mastodon's BlockedEmailValidator says no more than this, on purpose.
        errors.add("email", "ERR_BLOCKED", "is not allowed")
    await _check_taken(conn, sign_up, errors)
    if errors.details:
        raise SignUpInvalid(errors.details)
    return invitation, policy


async def do_sign_up(
    conn: asyncpg.Connection, sign_up: SignUp, token_scopes: str | None = None
) -> tuple[Member, IssuedToken | None]:
    """Create the member: with the invitation's role, approved, when invited; otherwise as an
    employee waiting for approval. With `token_scopes` (the API), a token for the new member
    is issued in the same transaction — a pending member holds it but cannot use it yet. From
    a network whose sign-ups need approval (an IP block), even the invited wait for it."""
    invitation, _ = await check_sign_up(conn, sign_up)
    role = invitation.role if invitation else "employee"
    needs_approval = await ip_severity(conn, sign_up.ip) == "sign_up_requires_approval"
    try:
        async with conn.transaction():
            if invitation is not None:
                invitation = await do_claim_invitation(conn, invitation.code)
            member = await do_create_member(
                conn,
                sign_up.username,
                role,
                email=sign_up.email.strip(),
                password=sign_up.password,
                approved=invitation is not None and not needs_approval,
            )
            await do_subscribe_to_news(conn, member.account.id)
            await conn.execute(
                """UPDATE users SET invitation_id = $2, sign_up_reason = $3, sign_up_ip = $4,
                                    locale = $5, created_by_application_id = $6
                   WHERE id = $1""",
                member.user_id,
                invitation.id if invitation else None,
                sign_up.reason,
                sign_up.ip,
                sign_up.locale,
                sign_up.application_id,
            )
            token = None
            if token_scopes is not None and sign_up.application_id is not None:
                _, token = await do_issue_token(
                    conn, sign_up.application_id, member.user_id, token_scopes
                )
    except (MemberError, asyncpg.UniqueViolationError):
        # Someone took the name or address between the check and the insert.
        errors = _Errors()
        await _check_taken(conn, sign_up, errors)
        if not errors.details:
            errors.add("username", "ERR_TAKEN", "has already been taken")
        raise SignUpInvalid(errors.details) from None
    return member, token


async def do_approve(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> Member:
    """Let a pending member in. Approving someone not waiting is refused, as in Mastodon."""
    target = await managed_member(conn, actor, account_id)
    if target.approved:
        raise PermissionRefused(NOT_PENDING)
    async with conn.transaction():
        await conn.execute("UPDATE users SET approved = true WHERE id = $1", target.user_id)
        details = {"username": target.username}
        await record_action(conn, actor, "approve", "account", account_id, details=details)
    return await managed_member(conn, actor, account_id)


async def do_reject(conn: asyncpg.Connection, actor: Member | None, account_id: int) -> Member:
    """Refuse a pending sign-up: the account is deleted (it never posted nor federated), so
    the name and address are free again. Returns the member as it was."""
    target = await managed_member(conn, actor, account_id)
    if target.approved:
        raise PermissionRefused(NOT_PENDING)
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM accounts WHERE id = $1 AND domain IS NULL"
            " AND EXISTS (SELECT 1 FROM users WHERE account_id = $1 AND NOT approved)",
            target.account.id,
        )
        details = {"username": target.username, "email": target.email}
        await record_action(conn, actor, "reject", "account", account_id, details=details)
    return target
