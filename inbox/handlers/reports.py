"""Flag: another node reports one of our accounts (and some of its statuses) to us. It
becomes a report for the moderators, who are notified — unless the admins' domain block on
that node says `reject_reports`."""

from __future__ import annotations

from actors.account_uris import account_by_uri
from actors.accounts import Account
from actors.partners import rejects_reports
from actors.reports import insert_report, moderator_account_ids
from content.notifications import notify
from content.remote_statuses import find_status_by_uri
from federation.as2_objects import Activity
from inbox.context import Ignored, InboxContext

MAX_OBJECTS = 100


async def handle_flag(ctx: InboxContext, activity: Activity) -> None:
    reporter = await ctx.actor(activity)
    if reporter.domain and await rejects_reports(ctx.conn, reporter.domain):
        raise Ignored("reports from this domain are rejected")
    accounts: list[Account] = []
    statuses = []
    for uri in activity.object_ids[:MAX_OBJECTS]:
        if not ctx.site.is_local_url(uri):
            continue  # only what lives here is ours to moderate
        account = await account_by_uri(ctx.conn, ctx.site, uri)
        if account is not None:
            accounts.append(account)
        elif (status := await find_status_by_uri(ctx.conn, ctx.site, uri)) is not None:
            statuses.append(status)
    target_id = accounts[0].id if accounts else (statuses[0].account_id if statuses else None)
    if target_id is None:
        raise Ignored("a report about nothing on this node")
    status_ids = [status.id for status in statuses if status.account_id == target_id]
    comment = activity.content or activity.summary or ""
    async with ctx.conn.transaction():
        report = await insert_report(
            ctx.conn, reporter.id, target_id, status_ids, comment, uri=activity.id
        )
        if report is None:
            return
        for moderator_id in await moderator_account_ids(ctx.conn):
            await notify(ctx.conn, moderator_id, reporter.id, "admin.report")
