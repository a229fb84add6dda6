"""Reading and dismissing a member's notifications (writing them is `content.notifications`).

What was true when a notification was written may have changed: the recipient may since have
blocked or muted (with notifications) its sender, or may no longer see its status. Those are
hidden at read time, so the list, a single notification and the unread count always agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from actors.profiles import AccountView, load_accounts
from content.access import Viewer, account_visible_sql, visible_sql
from content.status_views import StatusView, load_status_views
from content.timelines import paged
from db.keyset import Window, newest_first

# Types whose notification carries a status (Mastodon's serializer attaches it for these).
STATUS_TYPES = frozenset(
    {"mention", "status", "reblog", "favourite", "poll", "update", "quote", "quoted_update"}
)


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    type: str
    created_at: datetime
    from_account_id: int
    status_id: int | None  # for a boost, the boosted status


@dataclass(frozen=True, slots=True)
class NotificationView:
    notification: Notification
    account: AccountView
    status: StatusView | None


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    """`types[]`, `exclude_types[]` and `account_id`, as Mastodon combines them."""

    types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    from_account_id: int | None = None

    def sql(self, args: list[object]) -> str:
        conditions = ["TRUE"]
        if self.types:
            args.append(list(self.types))
            conditions.append(f"n.type = ANY(${len(args)}::text[])")
        if self.exclude_types:
            args.append(list(self.exclude_types))
            conditions.append(f"n.type <> ALL(${len(args)}::text[])")
        if self.from_account_id is not None:
            args.append(self.from_account_id)
            conditions.append(f"n.from_account_id = ${len(args)}")
        return " AND ".join(conditions)


# Joins and conditions shared by every read: `$1` is the recipient. A boost notification may
# point at the boost or at the boosted status; `t` is the status it is about either way. A
# notification from an account the viewer may not see, or about a status they may not see, is
# not shown (a customer is not told that another customer favourited their post).
def _from(viewer: Viewer) -> str:
    return f"""
    FROM notifications n
    JOIN accounts a ON a.id = n.from_account_id AND a.suspended_at IS NULL
    LEFT JOIN statuses s ON s.id = n.status_id
    LEFT JOIN statuses t ON t.id = coalesce(s.reblog_of_id, s.id)
    WHERE n.account_id = $1
      AND NOT EXISTS (SELECT 1 FROM blocks b
                      WHERE b.account_id = $1 AND b.target_account_id = n.from_account_id)
      AND NOT EXISTS (SELECT 1 FROM mutes m
                      WHERE m.account_id = $1 AND m.target_account_id = n.from_account_id
                        AND m.hide_notifications
                        AND (m.expires_at IS NULL OR m.expires_at > now()))
      AND {account_visible_sql("n.from_account_id", "$1", viewer)}
      AND (n.status_id IS NULL OR (s.deleted_at IS NULL AND {visible_sql("t", "$1", viewer)}))
"""


_COLUMNS = "n.id, n.type, n.created_at, n.from_account_id, t.id AS status_id"


def _notification(row: asyncpg.Record) -> Notification:
    return Notification(
        row["id"], row["type"], row["created_at"], row["from_account_id"], row["status_id"]
    )


async def _views(
    conn: asyncpg.Connection, viewer: Viewer, notifications: Sequence[Notification]
) -> list[NotificationView]:
    accounts = await load_accounts(conn, {n.from_account_id for n in notifications})
    status_ids = [n.status_id for n in notifications if n.status_id is not None]
    statuses = await load_status_views(conn, status_ids, viewer.account_id) if status_ids else {}
    views = []
    for n in notifications:
        account = accounts.get(n.from_account_id)
        status = statuses.get(n.status_id) if n.status_id is not None else None
        if account is None or (n.status_id is not None and status is None):
            continue
        views.append(NotificationView(n, account, status))
    return views


async def list_notifications(
    conn: asyncpg.Connection, viewer: Viewer, window: Window, wanted: NotificationFilter
) -> list[NotificationView]:
    """One page of the viewer's notifications, newest first."""
    args: list[object] = [viewer.account_id]
    conditions = wanted.sql(args)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} {_from(viewer)} AND {conditions} AND {paged('n.id', window, args)}",
        *args,
    )
    notifications = newest_first([_notification(row) for row in rows], window)
    return await _views(conn, viewer, notifications)


async def get_notification(
    conn: asyncpg.Connection, viewer: Viewer, notification_id: int
) -> NotificationView | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} {_from(viewer)} AND n.id = $2", viewer.account_id, notification_id
    )
    if row is None:
        return None
    views = await _views(conn, viewer, [_notification(row)])
    return views[0] if views else None


async def count_unread(
    conn: asyncpg.Connection,
    viewer: Viewer,
    user_id: int,
    wanted: NotificationFilter,
    limit: int,
) -> int:
    """Notifications newer than the member's `notifications` marker, counted up to `limit`
    (Mastodon caps the count because it is computed on every call)."""
    args: list[object] = [viewer.account_id, user_id]
    conditions = wanted.sql(args)
    args.append(limit)
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM (
                SELECT 1 {_from(viewer)} AND {conditions}
                  AND n.id > coalesce((SELECT last_read_id FROM markers
                                       WHERE user_id = $2 AND timeline = 'notifications'), 0)
                ORDER BY n.id DESC LIMIT ${len(args)}) AS unread""",
        *args,
    )
    return count


async def do_dismiss_notification(
    conn: asyncpg.Connection, viewer_id: int, notification_id: int
) -> bool:
    """Delete one of the viewer's notifications; False when they have none with that id."""
    deleted = await conn.fetchval(
        "DELETE FROM notifications WHERE id = $1 AND account_id = $2 RETURNING id",
        notification_id,
        viewer_id,
    )
    return deleted is not None


async def do_clear_notifications(conn: asyncpg.Connection, viewer_id: int) -> None:
    await conn.execute("DELETE FROM notifications WHERE account_id = $1", viewer_id)
