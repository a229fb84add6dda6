"""A member reports an account (and some of its statuses) to the moderators — Mastodon's
`POST /api/v1/reports`. With `forward`, a report about a remote account is also sent to that
account's node as a `Flag` from the instance actor, as Mastodon sends it (anonymously: the
member is not named, only the node)."""

from __future__ import annotations

from typing import Any

import asyncpg

from actors.account_lookup import find_account
from actors.accounts import INSTANCE_ACTOR, Member, ensure_instance_actor
from actors.audit import record_action
from actors.remote import inbox_for
from actors.reports import (
    CATEGORIES,
    MAX_COMMENT,
    REPORT_COLUMNS,
    Report,
    insert_report,
    load_report,
    moderator_account_ids,
)
from actors.site import Site
from content.access import Viewer, may_see_account
from content.notifications import notify
from content.status_lookup import visible_among
from content.statuses import get_statuses
from outbox.as2.context import with_context
from outbox.delivery import queue_deliveries

MAX_STATUSES = 100
MAX_MEMBER_COMMENT = 1000  # Mastodon's limit on a report's comment from its own users


class ReportRefused(ValueError):
    """The report cannot be filed; `status` is the HTTP status Mastodon answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def flag_id(site: Site, report_id: int) -> str:
    return f"{site.actor_url(INSTANCE_ACTOR)}#reports/{report_id}"


def render_flag(
    site: Site, report: Report, target_uri: str, status_uris: list[str]
) -> dict[str, Any]:
    return with_context(
        {
            "id": flag_id(site, report.id),
            "type": "Flag",
            "actor": site.actor_url(INSTANCE_ACTOR),
            "content": report.comment,
            "object": [target_uri, *status_uris],
        }
    )


async def do_file_report(
    conn: asyncpg.Connection,
    site: Site,
    reporter: Viewer,
    target_id: int,
    *,
    status_ids: list[int] | None = None,
    comment: str = "",
    forward: bool = False,
    category: str | None = None,
    rule_ids: list[int] | None = None,
) -> Report:
    """Store the report, notify the staff and, when asked for a remote account, queue the
    Flag — all in one transaction. Raises ReportRefused."""
    target = await find_account(conn, target_id)
    if target is None or not await may_see_account(conn, reporter, target_id):
        raise ReportRefused(404, "Record not found")
    if target_id == reporter.account_id:
        raise ReportRefused(422, "Validation failed: You cannot report yourself")
    if len(comment) > MAX_MEMBER_COMMENT:
        raise ReportRefused(
            422, f"Validation failed: Comment is too long (maximum is {MAX_MEMBER_COMMENT})"
        )
    if category is not None and category not in CATEGORIES:
        raise ReportRefused(
            422, f"Validation failed: Category must be one of {', '.join(CATEGORIES)}"
        )
    wanted = list(dict.fromkeys(status_ids or []))[:MAX_STATUSES]
    statuses = await get_statuses(conn, wanted)
    visible = await visible_among(conn, reporter, wanted)
    if any(
        i not in statuses or i not in visible or statuses[i].account_id != target_id for i in wanted
    ):
        raise ReportRefused(404, "Record not found")
    account = target.account
    forwarded = forward and not account.is_local and account.uri is not None
    async with conn.transaction():
        report = await insert_report(
            conn,
            reporter.account_id,
            target_id,
            wanted,
            comment[:MAX_COMMENT],
            forwarded=forwarded,
            category=category or ("violation" if rule_ids else "other"),
            rule_ids=rule_ids,
        )
        assert report is not None  # no uri, so never a duplicate
        for moderator_id in await moderator_account_ids(conn):
            await notify(conn, moderator_id, reporter.account_id, "admin.report")
        if forwarded and account.uri is not None:
            instance = await ensure_instance_actor(conn)
            uris = [statuses[i].uri for i in wanted if statuses[i].uri]
            flag = render_flag(site, report, account.uri, [u for u in uris if u])
            await queue_deliveries(conn, instance.id, flag, [inbox_for(account)])
    return report


async def do_forward_report(
    conn: asyncpg.Connection, site: Site, actor: Member | None, report_id: int
) -> Report:
    """Staff send a report about a remote account on to its node afterwards, as the member
    could have when filing it: the same anonymous `Flag` from the instance actor. Raises
    ReportRefused for a local account or a report already forwarded."""
    report = await load_report(conn, report_id)
    target = await find_account(conn, report.target_account_id)
    if target is None or target.account.is_local or target.account.uri is None:
        raise ReportRefused(422, "Only reports about remote accounts can be forwarded")
    if report.forwarded:
        raise ReportRefused(422, "This report has already been forwarded")
    statuses = await get_statuses(conn, report.status_ids)
    uris = [s.uri for s in statuses.values() if s.uri and s.account_id == target.account.id]
    async with conn.transaction():
        forwarded = await conn.fetchrow(
            f"""UPDATE reports SET forwarded = true, updated_at = now()
                WHERE id = $1 AND NOT forwarded RETURNING {REPORT_COLUMNS}""",
            report_id,
        )
        if forwarded is None:
            raise ReportRefused(422, "This report has already been forwarded")
        instance = await ensure_instance_actor(conn)
        flag = render_flag(site, report, target.account.uri, uris)
        await queue_deliveries(conn, instance.id, flag, [inbox_for(target.account)])
        await record_action(
            conn,
            actor,
            "forward_report",
            "report",
            report_id,
            details={"domain": target.account.domain or ""},
        )
    return Report(**dict(forwarded))
