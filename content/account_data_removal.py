"""Deleting a suspended account's data (Mastodon's `DELETE /api/v1/admin/accounts/:id`): its
statuses are discarded (soft-deleted, their boosts, pins and notifications with them) and its
relationships end; the account stays as a suspended record, so its id and name are never
someone else's. Nothing is federated: the node stops showing and serving what it held."""

from __future__ import annotations

import asyncpg

from actors.accounts import Member
from actors.audit import record_action
from actors.moderation import check_deletable, moderated_account
from actors.remote_removal import end_relationships
from content.status_removal import discard_status


async def do_delete_account_data(
    conn: asyncpg.Connection, actor: Member | None, account_id: int
) -> int:
    """Raises MemberError (NoSuchMember, PermissionRefused: not suspended, or a moderator on
    a local member). Returns how many statuses went."""
    async with conn.transaction():
        state = await moderated_account(conn, actor, account_id)
        check_deletable(state, actor)
        ids = await conn.fetch(
            """SELECT id FROM statuses WHERE account_id = $1 AND deleted_at IS NULL
               AND reblog_of_id IS NULL ORDER BY id""",
            account_id,
        )
        for row in ids:
            await discard_status(conn, row["id"], keep_media=False)
        await conn.execute(
            """UPDATE statuses SET deleted_at = now()
               WHERE account_id = $1 AND deleted_at IS NULL""",
            account_id,
        )
        await end_relationships(conn, account_id)
        await conn.execute(
            "UPDATE account_stats SET statuses_count = 0 WHERE account_id = $1", account_id
        )
        await record_action(
            conn,
            actor,
            "delete_account_data",
            "account",
            account_id,
            details={"username": state.account.username, "statuses": len(ids)},
        )
    return len(ids)
