"""Posting with an `Idempotency-Key`: the same key from the same member within an hour yields
the status already posted instead of a second one. The key is claimed inside the posting
transaction, so of two concurrent requests with one key, the second waits for the first and
then answers with its status."""

from __future__ import annotations

import asyncpg

from actors.remote import RemoteLookup
from actors.site import Site
from content.compose import Draft, resolve_remote_mentions
from content.idempotency import claim_key, posted_with_key, record_key
from content.statuses import Status, get_status
from outbox.posting import do_post


async def do_post_once(
    conn: asyncpg.Connection,
    site: Site,
    author_id: int,
    draft: Draft,
    *,
    user_id: int,
    key: str,
    remote: RemoteLookup | None = None,
) -> Status:
    """Post the draft unless the key already stands for a live status; returns that status.
    Raises content.compose.ComposeError as do_post does (and then the key stays free).
    Unknown remote mentions are resolved (with `remote`) before the key is claimed."""
    if remote is not None:
        await resolve_remote_mentions(conn, site, draft.text, remote)
    for _ in range(2):
        earlier = await posted_with_key(conn, user_id, key)
        if earlier is not None:
            status = await get_status(conn, earlier)
            if status is not None:
                return status
        async with conn.transaction():
            if await claim_key(conn, user_id, key):
                # do_post's own transaction nests here as a savepoint.
                status = await do_post(conn, site, author_id, draft)
                await record_key(conn, user_id, key, status.id)
                return status
        # Lost the race to a request that has just committed: read its status.
    raise LookupError(key)
