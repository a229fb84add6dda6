"""The Notification entity (v1), and the pieces of v2's grouped notifications."""

from __future__ import annotations

from typing import Any

from actors.site import Site
from content.notification_queries import STATUS_TYPES, NotificationView
from web.mastodon.entities.accounts import render_account
from web.mastodon.entities.dates import iso
from web.mastodon.entities.statuses import render_status


def group_key(view: NotificationView) -> str:
    """Rukun does not group yet; Mastodon names a notification alone in its group so."""
    return f"ungrouped-{view.notification.id}"


def render_notification(view: NotificationView, site: Site, viewer_id: int) -> dict[str, Any]:
    # Mastodon's serializer adds `status` only to the types that have one and `report` only
    # to `admin.report`; clients test for the key's presence.
    notification = view.notification
    rendered: dict[str, Any] = {
        "id": str(notification.id),
        "type": notification.type,
        "created_at": iso(notification.created_at),
        "group_key": group_key(view),
        "account": render_account(view.account, site),
    }
    if notification.type in STATUS_TYPES:
        rendered["status"] = (
            render_status(view.status, site, viewer_id) if view.status is not None else None
        )
    if notification.type == "admin.report":
        rendered["report"] = None
    return rendered


def render_group(view: NotificationView, *, paginated: bool = True) -> dict[str, Any]:
    """A v2 NotificationGroup holding one notification (`grouped_types` of none)."""
    notification = view.notification
    group: dict[str, Any] = {
        "group_key": group_key(view),
        "notifications_count": 1,
        "type": notification.type,
        "most_recent_notification_id": str(notification.id),
    }
    if paginated:
        group["page_min_id"] = str(notification.id)
        group["page_max_id"] = str(notification.id)
        group["latest_page_notification_at"] = iso(notification.created_at)
    group["sample_account_ids"] = [str(view.account.account.id)]
    if notification.type in STATUS_TYPES and view.status is not None:
        group["status_id"] = str(view.status.status.id)
    if notification.type == "admin.report":
        group["report"] = None
    return group


def render_grouped_results(
    views: list[NotificationView], site: Site, viewer_id: int, *, paginated: bool = True
) -> dict[str, Any]:
    """GroupedNotificationsResults: accounts and statuses once each, then the groups."""
    accounts: dict[int, dict[str, Any]] = {}
    statuses: dict[int, dict[str, Any]] = {}
    for view in views:
        accounts.setdefault(view.account.account.id, render_account(view.account, site))
        if view.status is not None:
            statuses.setdefault(view.status.status.id, render_status(view.status, site, viewer_id))
    return {
        "accounts": list(accounts.values()),
        "statuses": list(statuses.values()),
        "notification_groups": [render_group(view, paginated=paginated) for view in views],
    }
