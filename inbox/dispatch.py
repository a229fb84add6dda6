"""The `inbox.process` job: take one stored activity and hand it to the handler for its type.

Idempotent twice over: the activity was stored once per id (`inbox.receive`), and a row
already processed is skipped; handlers are idempotent themselves, since a worker may die
between doing the work and recording it. A handler that decides not to act raises `Ignored`
(kept as the row's `last_error`, state `ignored`). A remote server that cannot be reached
now raises and the job is retried with backoff; after the last attempt the job is a dead
letter and the row stays `failed`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from actors.site import Site
from db.queue import Handler, Job
from federation.as2_actors import ACTOR_TYPES
from federation.as2_objects import POST_TYPES, Activity, ObjectError, parse_activity, type_of
from federation.http_client import FederationClient
from inbox.context import Ignored, InboxContext
from inbox.handlers.actors import delete_actor, update_actor
from inbox.handlers.blocks import handle_block
from inbox.handlers.follows import handle_accept, handle_follow, handle_reject
from inbox.handlers.group_moderation import handle_group_ban
from inbox.handlers.interactions import handle_announce, handle_like
from inbox.handlers.moves import handle_move
from inbox.handlers.posts import delete_post, handle_create, update_post
from inbox.handlers.reports import handle_flag
from inbox.handlers.undo import handle_undo
from inbox.receive import INBOX_JOB

log = logging.getLogger(__name__)
ActivityHandler = Callable[[InboxContext, Activity], Awaitable[None]]


async def handle_update(ctx: InboxContext, activity: Activity) -> None:
    kind = type_of(activity.embedded)
    if kind in ACTOR_TYPES:
        await update_actor(ctx, activity)
    elif kind in POST_TYPES:
        await update_post(ctx, activity)
    else:
        raise Ignored(f"Update of {kind or 'an object we were not sent'} is not supported")


async def handle_delete(ctx: InboxContext, activity: Activity) -> None:
    if activity.object_id == activity.actor:
        await delete_actor(ctx, activity)
    else:
        await delete_post(ctx, activity)


async def handle_block_or_ban(ctx: InboxContext, activity: Activity) -> None:
    """A Block with a `target` is a ban from a group (Lemmy), else a block of an account."""
    if activity.target is not None:
        await handle_group_ban(ctx, activity)
    else:
        await handle_block(ctx, activity)


HANDLERS: dict[str, ActivityHandler] = {
    "Follow": handle_follow,
    "Accept": handle_accept,
    "Reject": handle_reject,
    "Undo": handle_undo,
    "Create": handle_create,
    "Update": handle_update,
    "Delete": handle_delete,
    "Like": handle_like,
    "Announce": handle_announce,
    "Block": handle_block_or_ban,
    "Flag": handle_flag,
    "Move": handle_move,
}


async def _finish(conn: asyncpg.Connection, row_id: int, state: str, note: str | None) -> None:
    await conn.execute(
        """UPDATE inbound_activities SET state = $2, processed_at = now(), last_error = $3
           WHERE id = $1""",
        row_id,
        state,
        note[:2000] if note else None,
    )


async def process_activity(ctx: InboxContext, row_id: int) -> str:
    """Process one stored activity; returns the state it ends in (`done` or `ignored`), or
    the one it already had. Transient failures raise (the job is retried)."""
    row = await ctx.conn.fetchrow(
        "SELECT state, payload FROM inbound_activities WHERE id = $1", row_id
    )
    if row is None:
        return "missing"
    if row["state"] in ("done", "ignored"):
        return str(row["state"])
    payload: dict[str, Any] = row["payload"]
    try:
        activity = parse_activity(payload)
        handler = HANDLERS.get(activity.type)
        if handler is None:
            raise Ignored(f"{activity.type} activities are not supported")
        await handler(ctx, activity)
    except (Ignored, ObjectError) as reason:
        log.info("inbound activity %s ignored: %s", row_id, reason)
        await _finish(ctx.conn, row_id, "ignored", str(reason))
        return "ignored"
    except Exception as error:
        await ctx.conn.execute(
            "UPDATE inbound_activities SET state = 'failed', last_error = $2 WHERE id = $1",
            row_id,
            f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    await _finish(ctx.conn, row_id, "done", None)
    return "done"


def inbox_job_handlers(
    site: Site, client: FederationClient, *, federation_mode: str = "allowlist"
) -> dict[str, Handler]:
    """The job kinds the inbox runs, for `node.jobs`."""

    async def process(conn: asyncpg.Connection, job: Job) -> None:
        ctx = InboxContext(conn, site, client, federation_mode)
        await process_activity(ctx, int(job.payload["id"]))

    return {INBOX_JOB: process}
