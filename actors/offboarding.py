"""Offboarding: an employee leaves the organisation, and keeps what is theirs.

An admin offboards a member (`rukun user offboard NAME`, or the admin API). From then on the
member is **read-only** until `leaves_at`: they can still sign in, read, download their archive
and name the account they move to (`outbox.moves`), but post nothing more as the organisation's
member. Their archive is prepared at once (`actors.exports`, internal content left out as the
node's policy says), with a download link that keeps working for a while after they are gone.
At `leaves_at` the account is disabled; their internal content stays with the organisation.

The disabling is a delayed job, and `Member.locked_out` refuses a member past `leaves_at` even if
no worker has run it yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from actors.accounts import (
    Member,
    MemberError,
    check_keeps_an_admin,
    do_set_user_disabled,
    get_member_by_user_id,
)
from actors.audit import record_action
from actors.exports import (
    Export,
    ExportInProgress,
    create_download_link,
    do_request_export,
    list_exports,
)
from db.queue import Handler, Job, enqueue

FINISH_JOB = "member.offboard_finish"
DEFAULT_READ_ONLY = timedelta(days=14)
# How long the download link outlives the account: time to fetch the archive from home.
DEFAULT_LINK_AFTER = timedelta(days=14)
MAX_READ_ONLY = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Offboarding:
    member: Member
    leaves_at: datetime
    export: Export
    # `/exports/{export.id}/{download_token}`, valid until `download_expires_at`.
    download_token: str
    download_expires_at: datetime


def _in_flight(exports: list[Export]) -> Export | None:
    return next((e for e in exports if e.state in ("queued", "running")), None)


async def _archive(conn: asyncpg.Connection, member: Member) -> Export:
    """A new export, or the one already being prepared."""
    try:
        return await do_request_export(conn, member.account.id)
    except ExportInProgress:
        found = _in_flight(await list_exports(conn, member.account.id))
        if found is None:  # it finished in between
            return await do_request_export(conn, member.account.id)
        return found


async def do_offboard(
    conn: asyncpg.Connection,
    actor: Member | None,
    user_id: int,
    *,
    read_only_for: timedelta = DEFAULT_READ_ONLY,
    link_after: timedelta = DEFAULT_LINK_AFTER,
) -> Offboarding:
    """Make the member read-only until `read_only_for` has passed, prepare their archive with
    a download link valid until `link_after` after that, and schedule the disabling; the
    audit log names `actor` (None: the operator at the command line). Raises MemberError for
    an unknown, disabled or already leaving member, or the last admin."""
    if not timedelta(0) < read_only_for <= MAX_READ_ONLY:
        raise MemberError("the read-only period is between a minute and a year")
    if link_after < timedelta(0):
        raise MemberError("the download link cannot expire before the account closes")
    async with conn.transaction():
        member = await get_member_by_user_id(conn, user_id)
        if member is None or member.disabled_at is not None:
            raise MemberError("no such active member")
        if member.leaves_at is not None:
            raise MemberError(
                f"{member.username} is already leaving on {member.leaves_at:%Y-%m-%d}"
            )
        if member.role == "admin":
            await check_keeps_an_admin(conn, user_id)
        leaves_at: datetime = await conn.fetchval(
            "UPDATE users SET leaves_at = now() + $2::interval WHERE id = $1 RETURNING leaves_at",
            user_id,
            read_only_for,
        )
        export = await _archive(conn, member)
        valid_for = read_only_for + link_after
        token = await create_download_link(conn, export.id, valid_for)
        await enqueue(conn, FINISH_JOB, {"user_id": user_id}, delay=read_only_for.total_seconds())
        await record_action(
            conn,
            actor,
            "offboard",
            "account",
            member.account.id,
            details={"username": member.username, "leaves_at": leaves_at.isoformat()},
        )
    updated = await get_member_by_user_id(conn, user_id)
    assert updated is not None
    return Offboarding(updated, leaves_at, export, token, leaves_at + link_after)


async def do_own_download_link(
    conn: asyncpg.Connection, member: Member, *, link_after: timedelta = DEFAULT_LINK_AFTER
) -> tuple[Export, str, datetime] | None:
    """A leaving member asks again for the link to their newest archive (links are shown
    once): a fresh one, valid until `link_after` past their last day. None when they are not
    leaving or have no archive."""
    if member.leaves_at is None:
        return None
    exports = await list_exports(conn, member.account.id)
    if not exports:
        return None
    export = exports[0]
    expires_at = member.leaves_at + link_after
    valid_for = expires_at - await conn.fetchval("SELECT now()")
    if valid_for <= timedelta(0):
        return None
    return export, await create_download_link(conn, export.id, valid_for), expires_at


async def finish_offboarding(conn: asyncpg.Connection, user_id: int) -> bool:
    """Disable a member whose last day has come; True when this call disabled them."""
    due = await conn.fetchval(
        """SELECT true FROM users
           WHERE id = $1 AND leaves_at <= now() AND disabled_at IS NULL""",
        user_id,
    )
    if not due:
        return False
    await do_set_user_disabled(conn, user_id, True)
    return True


def offboarding_job_handlers() -> dict[str, Handler]:
    async def finish(conn: asyncpg.Connection, job: Job) -> None:
        await finish_offboarding(conn, int(job.payload["user_id"]))

    return {FINISH_JOB: finish}
