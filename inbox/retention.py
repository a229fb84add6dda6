"""Pruning inbound activities while staying idempotent.

A stored row is what makes a redelivered activity a no-op (`inbound_activities.activity_id`
is unique; the writer inserts with ON CONFLICT DO NOTHING). Deleting old rows alone would let
an origin that delivers the same activity again, months later, have it processed twice — and
for a `Create` that was since deleted, bring the post back. So the batch that deletes rows
writes the SHA-256 of each key into `inbound_activity_ids` in the same statement, and
`InboundWriter` refuses keys found there as duplicates. Those 32-byte rows are pruned much
later (a year by default): beyond that, a redelivery has to come from the origin itself with a
fresh signature, and the handlers' own idempotency (one status per `uri`, one follow per pair,
one report per Flag id) still keeps it from duplicating anything."""

from __future__ import annotations

import asyncpg

from db.retention import BATCH, count_matching, prune

_FINISHED = (
    "state IN ('done', 'ignored', 'failed') AND received_at < now() - make_interval(days => $1)"
)

# One statement: the ids are remembered exactly when their rows go.
_PRUNE = f"""
WITH gone AS (
    DELETE FROM inbound_activities WHERE id IN (
        SELECT id FROM inbound_activities WHERE {_FINISHED} LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING activity_id, received_at
), remembered AS (
    INSERT INTO inbound_activity_ids (key_hash, received_at)
    SELECT sha256(convert_to(activity_id, 'UTF8')), received_at FROM gone
    ON CONFLICT (key_hash) DO NOTHING
)
SELECT count(*) FROM gone
"""


async def prune_inbound_activities(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Remove up to `limit` processed, ignored or failed activities received more than
    `older_than_days` ago, remembering their ids. (A failed one has long stopped retrying: the
    queue gives up within days.) Queued ones stay."""
    if dry_run:
        return await count_matching(conn, "inbound_activities", _FINISHED, older_than_days)
    pruned: int = await conn.fetchval(_PRUNE, older_than_days, limit)
    return pruned


async def prune_seen_activity_ids(
    conn: asyncpg.Connection, older_than_days: float, *, limit: int = BATCH, dry_run: bool = False
) -> int:
    """Forget remembered ids of activities received more than `older_than_days` ago."""
    return await prune(
        conn,
        "inbound_activity_ids",
        "key_hash",
        "received_at < now() - make_interval(days => $1)",
        older_than_days,
        limit=limit,
        dry_run=dry_run,
    )
