"""Local members: an account (the actor others see) and a user (who signs in), made together.

`check_*` validates without writing; `do_*` writes inside one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from actors.keys import new_key_pair
from actors.passwords import check_password_strength, generate_password, hash_password

ROLES = ("admin", "moderator", "employee", "customer")
USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INSTANCE_ACTOR = "instance.actor"  # a dot keeps it out of the member name space


class MemberError(ValueError):
    """A member command was refused; the message is safe to show to whoever asked."""


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    domain: str | None
    actor_type: str
    display_name: str
    note: str
    fields: list[dict[str, str]]
    department: str
    job_title: str
    manager_id: int | None
    location: str
    locked: bool
    bot: bool
    discoverable: bool
    public_key_pem: str
    private_key_pem: str | None
    suspended_at: datetime | None
    created_at: datetime
    updated_at: datetime
    uri: str | None
    url: str | None
    avatar_url: str | None
    header_url: str | None
    moved_to_account_id: int | None
    # Where a remote actor receives and publishes (None for local accounts, whose URLs come
    # from actors.site), and when it was last fetched.
    inbox_url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    public_key_id: str | None = None
    fetched_at: datetime | None = None
    # The rest of the organisation profile (department, job title, manager and location are
    # above). `phone` is a local member's only: it is never federated.
    phone: str = ""
    skills: tuple[str, ...] = ()
    start_date: date | None = None
    # Account moves: the actor ids this account is also known as (`alsoKnownAs`), and when a
    # member last redirected it elsewhere (the cooldown between moves counts from it).
    also_known_as: tuple[str, ...] = ()
    moved_at: datetime | None = None

    @property
    def is_local(self) -> bool:
        return self.domain is None


@dataclass(frozen=True, slots=True)
class Member:
    """A local user with its account."""

    user_id: int
    role: str
    email: str | None
    disabled_at: datetime | None
    password_change_required: bool
    created_at: datetime
    account: Account
    # False while a sign-up waits for an admin's approval: no session, no API use until then.
    approved: bool = True
    # Set when the member is offboarded: read-only until then, disabled from then on.
    leaves_at: datetime | None = None

    def locked_out(self, now: datetime) -> bool:
        """No session or token works: disabled, suspended, or offboarded and past the last day
        (the worker disables them then, but a late worker must not leave a door open)."""
        return (
            self.disabled_at is not None
            or self.account.suspended_at is not None
            or (self.leaves_at is not None and self.leaves_at <= now)
        )

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def is_staff(self) -> bool:
        return self.role in {"admin", "moderator"}


ACCOUNT_COLUMNS = (
    "id, username, domain, actor_type, display_name, note, fields, department, job_title, "
    "manager_id, location, locked, bot, discoverable, public_key_pem, private_key_pem, "
    "suspended_at, created_at, updated_at, uri, url, avatar_url, header_url, moved_to_account_id, "
    "inbox_url, shared_inbox_url, outbox_url, followers_url, following_url, public_key_id, "
    "fetched_at, phone, skills, start_date, also_known_as, moved_at"
)
MEMBER_SELECT = f"""
    SELECT u.id AS user_id, u.role, u.email, u.disabled_at, u.password_change_required,
           u.created_at AS user_created_at, u.password_hash, u.approved, u.leaves_at,
           {", ".join("a." + c.strip() for c in ACCOUNT_COLUMNS.split(","))}
    FROM users u JOIN accounts a ON a.id = u.account_id
"""


def account_from_row(row: asyncpg.Record | dict[str, Any]) -> Account:
    values = {name: row[name] for name in Account.__slots__}
    values["skills"] = tuple(values["skills"] or ())
    values["also_known_as"] = tuple(values["also_known_as"] or ())
    return Account(**values)


def member_from_row(row: asyncpg.Record) -> Member:
    return Member(
        user_id=row["user_id"],
        role=row["role"],
        email=row["email"],
        disabled_at=row["disabled_at"],
        password_change_required=row["password_change_required"],
        created_at=row["user_created_at"],
        account=account_from_row(row),
        approved=row["approved"],
        leaves_at=row["leaves_at"],
    )


def check_new_member(
    username: str, role: str, email: str | None = None, password: str | None = None
) -> None:
    if not USERNAME.match(username):
        raise MemberError("username must be 1 to 30 letters, digits or underscores")
    if role not in ROLES:
        raise MemberError(f"role must be one of {', '.join(ROLES)}")
    if email is not None and not EMAIL.match(email):
        raise MemberError(f"{email!r} is not an email address")
    if password is not None:
        check_password_strength(password)


async def do_create_member(
    conn: asyncpg.Connection,
    username: str,
    role: str,
    *,
    email: str | None = None,
    password: str | None = None,
    display_name: str = "",
    password_change_required: bool = False,
    approved: bool = True,
) -> Member:
    """Create the account (with its key pair) and the user in one transaction."""
    check_new_member(username, role, email, password)
    keys = await new_key_pair()
    password_hash = hash_password(password) if password else None
    async with conn.transaction():
        taken = await conn.fetchval(
            "SELECT 1 FROM accounts WHERE lower(username) = lower($1) AND domain IS NULL", username
        )
        if taken:
            raise MemberError(f"username {username!r} is already taken")
        if email and await conn.fetchval(
            "SELECT 1 FROM users WHERE lower(email) = lower($1)", email
        ):
            raise MemberError(f"email {email!r} is already in use")
        account_id = await conn.fetchval(
            """INSERT INTO accounts (username, display_name, public_key_pem, private_key_pem)
               VALUES ($1, $2, $3, $4) RETURNING id""",
            username,
            display_name,
            keys.public_pem,
            keys.private_pem,
        )
        await conn.execute(
            """INSERT INTO users (account_id, email, password_hash, role, password_change_required,
                                  approved)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            account_id,
            email,
            password_hash,
            role,
            password_change_required,
            approved,
        )
    member = await get_member(conn, username)
    assert member is not None
    return member


async def get_member(conn: asyncpg.Connection, username: str) -> Member | None:
    row = await conn.fetchrow(
        MEMBER_SELECT + " WHERE lower(a.username) = lower($1) AND a.domain IS NULL", username
    )
    return member_from_row(row) if row else None


async def get_member_by_user_id(conn: asyncpg.Connection, user_id: int) -> Member | None:
    row = await conn.fetchrow(MEMBER_SELECT + " WHERE u.id = $1", user_id)
    return member_from_row(row) if row else None


async def get_member_by_account_id(conn: asyncpg.Connection, account_id: int) -> Member | None:
    row = await conn.fetchrow(MEMBER_SELECT + " WHERE a.id = $1", account_id)
    return member_from_row(row) if row else None


async def get_member_with_password(
    conn: asyncpg.Connection, login: str
) -> tuple[Member, str | None] | None:
    """Find a member by username or email, with the password hash, for signing in."""
    row = await conn.fetchrow(
        MEMBER_SELECT + " WHERE a.domain IS NULL"
        " AND (lower(a.username) = lower($1) OR lower(u.email) = lower($1))",
        login,
    )
    return (member_from_row(row), row["password_hash"]) if row else None


async def list_members(conn: asyncpg.Connection) -> list[Member]:
    rows = await conn.fetch(MEMBER_SELECT + " ORDER BY a.username")
    return [member_from_row(row) for row in rows]


async def get_local_account(conn: asyncpg.Connection, username: str) -> Account | None:
    """A local actor by name, the instance actor included; members are found whatever the case."""
    row = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts"
        " WHERE lower(username) = lower($1) AND domain IS NULL",
        username,
    )
    return account_from_row(row) if row else None


LAST_ADMIN = "the node must keep at least one active admin"


async def check_keeps_an_admin(conn: asyncpg.Connection, user_id: int) -> None:
    """Inside a transaction, before `user_id` stops being an active admin: refuse when no other
    active admin remains. The admins' rows stay locked until commit, so two admins disabling or
    demoting each other at once cannot both succeed."""
    admins = await conn.fetch(
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL AND approved"
        " ORDER BY id FOR UPDATE"
    )
    if all(row["id"] == user_id for row in admins):
        raise MemberError(LAST_ADMIN)


async def do_set_user_disabled(conn: asyncpg.Connection, user_id: int, disabled: bool) -> Member:
    """Disable (or re-enable) a member; a disabled member's sessions and tokens end at once.
    The last active admin cannot be disabled."""
    async with conn.transaction():
        if disabled:
            role = await conn.fetchval("SELECT role FROM users WHERE id = $1", user_id)
            if role == "admin":
                await check_keeps_an_admin(conn, user_id)
        found = await conn.fetchval(
            """UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
               WHERE id = $1 RETURNING id""",
            user_id,
            disabled,
        )
        if found is None:
            raise MemberError("no such member")
        if disabled:
            await conn.execute("DELETE FROM web_sessions WHERE user_id = $1", user_id)
            await conn.execute(
                "UPDATE oauth_tokens SET revoked_at = now()"
                " WHERE user_id = $1 AND revoked_at IS NULL",
                user_id,
            )
    member = await get_member_by_user_id(conn, user_id)
    assert member is not None
    return member


async def do_set_disabled(conn: asyncpg.Connection, username: str, disabled: bool) -> Member:
    """`do_set_user_disabled` by member name (the command line's way)."""
    member = await get_member(conn, username)
    if member is None:
        raise MemberError(f"no member named {username!r}")
    return await do_set_user_disabled(conn, member.user_id, disabled)


async def do_set_password(conn: asyncpg.Connection, user_id: int, password: str) -> None:
    check_password_strength(password)
    await conn.execute(
        "UPDATE users SET password_hash = $2, password_change_required = false WHERE id = $1",
        user_id,
        hash_password(password),
    )


async def ensure_instance_actor(conn: asyncpg.Connection) -> Account:
    """The node's own actor, which signs fetches made on behalf of the node."""
    account = await get_local_account(conn, INSTANCE_ACTOR)
    if account is not None:
        return account
    keys = await new_key_pair()
    await conn.execute(
        """INSERT INTO accounts (username, actor_type, locked, discoverable, public_key_pem,
                                 private_key_pem)
           VALUES ($1, 'Application', true, false, $2, $3)
           ON CONFLICT DO NOTHING""",
        INSTANCE_ACTOR,
        keys.public_pem,
        keys.private_pem,
    )
    account = await get_local_account(conn, INSTANCE_ACTOR)
    assert account is not None
    return account


async def ensure_first_admin(conn: asyncpg.Connection, username: str) -> tuple[Member, str] | None:
    """On a node with no admin, create one with a one-time password (changed at first sign-in).
    Returns the member and the password, or None when an admin already exists."""
    async with conn.transaction():
        # Two processes starting together must not both create the admin.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('rukun:first-admin'))")
        if await conn.fetchval("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1"):
            return None
        password = generate_password()
        member = await do_create_member(
            conn, username, "admin", password=password, password_change_required=True
        )
    return member, password
