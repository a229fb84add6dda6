"""Reports: one account tells the moderators about another (and some of its statuses). A
remote `Flag` becomes one here, a member's `POST /api/v1/reports` too. The staff assign,
resolve, reopen, recategorise and annotate them; each of those commands is logged
(`actors.audit`) in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.accounts import Member, MemberError
from actors.audit import record_action

MAX_COMMENT = 5000
MAX_NOTE = 2000
CATEGORIES = ("spam", "legal", "violation", "other")


class NoSuchReport(MemberError):
    """No report has that id (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    uri: str | None
    account_id: int
    target_account_id: int
    status_ids: list[int]
    comment: str
    forwarded: bool
    created_at: datetime
    resolved_at: datetime | None
    category: str = "other"
    rule_ids: list[int] | None = None
    assigned_account_id: int | None = None
    action_taken_by_account_id: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReportNote:
    id: int
    report_id: int
    account_id: int | None
    content: str
    created_at: datetime


_COLUMNS = (
    "id, uri, account_id, target_account_id, status_ids, comment, forwarded, created_at, "
    "resolved_at, category, rule_ids, assigned_account_id, action_taken_by_account_id, updated_at"
)
REPORT_COLUMNS = _COLUMNS


async def insert_report(
    conn: asyncpg.Connection,
    reporter_id: int,
    target_id: int,
    status_ids: list[int],
    comment: str,
    *,
    uri: str | None = None,
    forwarded: bool = False,
    category: str = "other",
    rule_ids: list[int] | None = None,
) -> Report | None:
    """Store a report inside the caller's transaction; None when one with this `uri` (the
    Flag's id) is already stored."""
    row = await conn.fetchrow(
        f"""INSERT INTO reports (uri, account_id, target_account_id, status_ids, comment,
                                 forwarded, category, rule_ids)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (uri) DO NOTHING RETURNING {_COLUMNS}""",
        uri,
        reporter_id,
        target_id,
        sorted(set(status_ids)),
        comment.strip()[:MAX_COMMENT],
        forwarded,
        category if category in CATEGORIES else "other",
        sorted(set(rule_ids or [])),
    )
    return Report(**dict(row)) if row else None


async def unresolved_reports(conn: asyncpg.Connection, limit: int = 100) -> list[Report]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM reports WHERE resolved_at IS NULL ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [Report(**dict(row)) for row in rows]


async def moderator_account_ids(conn: asyncpg.Connection) -> list[int]:
    """Accounts of the admins and moderators who hear of new reports."""
    rows = await conn.fetch(
        """SELECT account_id FROM users
           WHERE role IN ('admin', 'moderator') AND disabled_at IS NULL ORDER BY account_id"""
    )
    return [row["account_id"] for row in rows]


async def load_report(conn: asyncpg.Connection, report_id: int) -> Report:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reports WHERE id = $1", report_id)
    if row is None:
        raise NoSuchReport("Record not found")
    return Report(**dict(row))


async def list_reports(
    conn: asyncpg.Connection,
    *,
    resolved: bool | None = False,
    account_id: int | None = None,
    target_account_id: int | None = None,
    max_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[Report]:
    """Newest first. `resolved` False lists open reports, True resolved ones, None all."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM reports
            WHERE ($1::boolean IS NULL OR (resolved_at IS NOT NULL) = $1)
              AND ($2::bigint IS NULL OR account_id = $2)
              AND ($3::bigint IS NULL OR target_account_id = $3)
              AND ($4::bigint IS NULL OR id < $4)
              AND ($5::bigint IS NULL OR id > $5)
            ORDER BY id DESC LIMIT $6""",
        resolved,
        account_id,
        target_account_id,
        max_id,
        since_id,
        limit,
    )
    return [Report(**dict(row)) for row in rows]


async def _change(
    conn: asyncpg.Connection,
    actor: Member | None,
    report_id: int,
    action: str,
    assignment: str,
    *arguments: object,
    audit: bool = True,
) -> Report:
    """Run one UPDATE (`assignment`, whose `$2`… are `arguments`) and log it as `action`."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""UPDATE reports SET {assignment}, updated_at = now() WHERE id = $1
                RETURNING {_COLUMNS}""",
            report_id,
            *arguments,
        )
        if row is None:
            raise NoSuchReport("Record not found")
        if audit:
            await record_action(conn, actor, action, "report", report_id)
    return Report(**dict(row))


def _account_id(actor: Member | None) -> int | None:
    return actor.account.id if actor else None


async def do_assign_report(
    conn: asyncpg.Connection, actor: Member | None, report_id: int
) -> Report:
    return await _change(
        conn, actor, report_id, "assign_report", "assigned_account_id = $2", _account_id(actor)
    )


async def do_unassign_report(
    conn: asyncpg.Connection, actor: Member | None, report_id: int
) -> Report:
    return await _change(conn, actor, report_id, "unassign_report", "assigned_account_id = NULL")


async def do_resolve_report(
    conn: asyncpg.Connection, actor: Member | None, report_id: int, *, audit: bool = True
) -> Report:
    """Close the report as handled by `actor`. `audit=False` when an account action resolves
    it: that action's own entry names the report."""
    return await _change(
        conn,
        actor,
        report_id,
        "resolve_report",
        "resolved_at = coalesce(resolved_at, now()), action_taken_by_account_id = $2",
        _account_id(actor),
        audit=audit,
    )


async def do_reopen_report(
    conn: asyncpg.Connection, actor: Member | None, report_id: int
) -> Report:
    return await _change(
        conn,
        actor,
        report_id,
        "reopen_report",
        "resolved_at = NULL, action_taken_by_account_id = NULL",
    )


async def do_update_report(
    conn: asyncpg.Connection,
    actor: Member | None,
    report_id: int,
    *,
    category: str | None = None,
    rule_ids: list[int] | None = None,
) -> Report:
    """Mastodon's `PUT /api/v1/admin/reports/:id`: change the category and the rules broken."""
    if category is not None and category not in CATEGORIES:
        raise MemberError(f"category must be one of {', '.join(CATEGORIES)}")
    report = await load_report(conn, report_id)
    new_category = category or report.category
    new_rules = sorted(set(rule_ids)) if rule_ids is not None else (report.rule_ids or [])
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""UPDATE reports SET category = $2, rule_ids = $3, updated_at = now()
                WHERE id = $1 RETURNING {_COLUMNS}""",
            report_id,
            new_category,
            new_rules,
        )
        await record_action(
            conn,
            actor,
            "update_report",
            "report",
            report_id,
            details={"category": new_category, "rule_ids": [str(r) for r in new_rules]},
        )
    return Report(**dict(row))


async def do_add_report_note(
    conn: asyncpg.Connection, actor: Member | None, report_id: int, content: str
) -> ReportNote:
    content = content.strip()
    if not content:
        raise MemberError("content can't be blank")
    if len(content) > MAX_NOTE:
        raise MemberError(f"content is too long (maximum is {MAX_NOTE} characters)")
    async with conn.transaction():
        await load_report(conn, report_id)
        row = await conn.fetchrow(
            """INSERT INTO report_notes (report_id, account_id, content) VALUES ($1, $2, $3)
               RETURNING id, report_id, account_id, content, created_at""",
            report_id,
            _account_id(actor),
            content,
        )
        await record_action(
            conn, actor, "add_report_note", "report", report_id, details={"note": content}
        )
    return ReportNote(**dict(row))


async def report_notes(
    conn: asyncpg.Connection, report_ids: list[int]
) -> dict[int, list[ReportNote]]:
    rows = await conn.fetch(
        """SELECT id, report_id, account_id, content, created_at FROM report_notes
           WHERE report_id = ANY($1::bigint[]) ORDER BY id""",
        report_ids,
    )
    notes: dict[int, list[ReportNote]] = {}
    for row in rows:
        notes.setdefault(row["report_id"], []).append(ReportNote(**dict(row)))
    return notes
