"""Notifications: written in the same transaction as what caused them, never to remote
accounts, never from someone the recipient blocks, or mutes with notifications hidden."""

from __future__ import annotations

import asyncpg

TYPES = (
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
    "admin.sign_up", "admin.report", "move",
)  # fmt: skip


async def notify(
    conn: asyncpg.Connection,
    recipient_id: int,
    from_account_id: int,
    kind: str,
    status_id: int | None = None,
) -> None:
    if kind not in TYPES:
        raise ValueError(f"unknown notification type {kind!r}")
    if recipient_id == from_account_id:
        return
    await conn.execute(
        """INSERT INTO notifications (account_id, from_account_id, type, status_id)
           SELECT $1, $2, $3, $4
           WHERE EXISTS (SELECT 1 FROM users WHERE account_id = $1 AND disabled_at IS NULL)
             AND NOT EXISTS (SELECT 1 FROM blocks
                             WHERE account_id = $1 AND target_account_id = $2)
             AND NOT EXISTS (SELECT 1 FROM mutes
                             WHERE account_id = $1 AND target_account_id = $2
                               AND hide_notifications
                               AND (expires_at IS NULL OR expires_at > now()))
             AND ($4::bigint IS NULL OR NOT EXISTS (
                   SELECT 1 FROM conversation_mutes cm JOIN statuses s ON s.thread_id = cm.thread_id
                   WHERE cm.account_id = $1 AND s.id = $4 AND $3 IN ('mention', 'reblog',
                                                                    'favourite', 'update')))
           ON CONFLICT DO NOTHING""",
        recipient_id,
        from_account_id,
        kind,
        status_id,
    )


async def withdraw(
    conn: asyncpg.Connection,
    from_account_id: int,
    kind: str,
    status_id: int | None = None,
    recipient_id: int | None = None,
) -> None:
    """Remove a notification whose cause was undone (an unfavourite, an unfollow)."""
    await conn.execute(
        """DELETE FROM notifications
           WHERE from_account_id = $1 AND type = $2
             AND status_id IS NOT DISTINCT FROM $3
             AND ($4::bigint IS NULL OR account_id = $4)""",
        from_account_id,
        kind,
        status_id,
        recipient_id,
    )


async def withdraw_all(conn: asyncpg.Connection, from_account_id: int, recipient_id: int) -> None:
    """Remove everything one account caused in another's notifications (after a block)."""
    await conn.execute(
        "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2",
        recipient_id,
        from_account_id,
    )
