"""What staff see about local members: the member with how they signed up (address, locale,
reason, invitation, app), for Mastodon's admin API. Listing filters follow Mastodon's
`status` values (active, pending, disabled, silenced, suspended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import MEMBER_SELECT, Member, member_from_row

STATUSES = ("active", "pending", "disabled", "silenced", "suspended")
_STATUS_SQL = {
    "active": "u.approved AND u.disabled_at IS NULL AND a.suspended_at IS NULL",
    "pending": "NOT u.approved",
    "disabled": "u.disabled_at IS NOT NULL",
    "silenced": "a.silenced_at IS NOT NULL",
    "suspended": "a.suspended_at IS NOT NULL",
}
_SELECT = MEMBER_SELECT.replace(
    "FROM users u",
    """, host(u.sign_up_ip) AS sign_up_ip, u.locale, u.sign_up_reason,
       u.created_by_application_id, u.last_sign_in_at, a.silenced_at, a.sensitized_at,
       (SELECT iu.account_id FROM invitations i JOIN users iu ON iu.id = i.inviter_user_id
        WHERE i.id = u.invitation_id) AS invited_by_account_id
    FROM users u""",
)


@dataclass(frozen=True, slots=True)
class MemberRecord:
    member: Member
    sign_up_ip: str | None
    locale: str | None
    sign_up_reason: str
    invited_by_account_id: int | None
    created_by_application_id: int | None
    last_sign_in_at: datetime | None
    silenced_at: datetime | None = None
    sensitized_at: datetime | None = None


def _record(row: asyncpg.Record) -> MemberRecord:
    return MemberRecord(
        member=member_from_row(row),
        sign_up_ip=row["sign_up_ip"],
        locale=row["locale"],
        sign_up_reason=row["sign_up_reason"],
        invited_by_account_id=row["invited_by_account_id"],
        created_by_application_id=row["created_by_application_id"],
        last_sign_in_at=row["last_sign_in_at"],
        silenced_at=row["silenced_at"],
        sensitized_at=row["sensitized_at"],
    )


async def load_member_record(conn: asyncpg.Connection, account_id: int) -> MemberRecord | None:
    row = await conn.fetchrow(_SELECT + " WHERE a.id = $1 AND a.domain IS NULL", account_id)
    return _record(row) if row else None


async def load_member_records(
    conn: asyncpg.Connection, account_ids: list[int]
) -> dict[int, MemberRecord]:
    """The records of the local members among `account_ids`, in one query."""
    rows = await conn.fetch(
        _SELECT + " WHERE a.id = ANY($1::bigint[]) AND a.domain IS NULL", account_ids
    )
    records = [_record(row) for row in rows]
    return {record.member.account.id: record for record in records}


async def list_member_records(
    conn: asyncpg.Connection,
    *,
    status: str | None = None,
    staff_only: bool = False,
    max_id: int | None = None,
    limit: int = 100,
) -> list[MemberRecord]:
    """Newest first, paged by account id. `status` must be one of STATUSES (checked by the
    caller); None lists everyone."""
    conditions = ["a.domain IS NULL"]
    if status is not None:
        conditions.append(_STATUS_SQL[status])
    if staff_only:
        conditions.append("u.role IN ('admin', 'moderator')")
    rows = await conn.fetch(
        _SELECT
        + " WHERE "
        + " AND ".join(conditions)
        + " AND ($1::bigint IS NULL OR a.id < $1) ORDER BY a.id DESC LIMIT $2",
        max_id,
        limit,
    )
    return [_record(row) for row in rows]


_REMOTE_STATUS_SQL = {
    "active": "a.suspended_at IS NULL",
    "pending": "false",
    "disabled": "false",
    "silenced": "a.silenced_at IS NOT NULL",
    "suspended": "a.suspended_at IS NOT NULL",
}


async def list_remote_account_ids(
    conn: asyncpg.Connection,
    *,
    status: str | None = None,
    by_domain: str | None = None,
    max_id: int | None = None,
    limit: int = 100,
) -> list[int]:
    """Remote accounts for the staff (Mastodon's `origin=remote`), newest first."""
    condition = _REMOTE_STATUS_SQL[status] if status is not None else "true"
    rows = await conn.fetch(
        f"""SELECT a.id FROM accounts a
            WHERE a.domain IS NOT NULL AND {condition}
              AND ($1::text IS NULL OR lower(a.domain) = lower($1))
              AND ($2::bigint IS NULL OR a.id < $2)
            ORDER BY a.id DESC LIMIT $3""",
        by_domain,
        max_id,
        limit,
    )
    return [row["id"] for row in rows]


async def search_member_records(
    conn: asyncpg.Connection,
    *,
    query: str = "",
    role: str | None = None,
    status: str | None = None,
    exclude_staff: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> list[MemberRecord]:
    """The admin panel's member list: `query` matches username, display name or email
    (case-insensitive, anywhere in them); `role` and `status` (one of STATUSES, checked by
    the caller) narrow it. Newest first, paged by offset."""
    conditions = ["a.domain IS NULL"]
    if status is not None:
        conditions.append(_STATUS_SQL[status])
    if exclude_staff:
        conditions.append("u.role NOT IN ('admin', 'moderator')")
    pattern = "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await conn.fetch(
        _SELECT
        + " WHERE "
        + " AND ".join(conditions)
        + """ AND ($1::text IS NULL OR u.role = $1)
              AND (a.username ILIKE $2 OR a.display_name ILIKE $2 OR u.email ILIKE $2)
            ORDER BY a.id DESC OFFSET $3 LIMIT $4""",
        role,
        pattern + "%",
        offset,
        limit,
    )
    return [_record(row) for row in rows]
