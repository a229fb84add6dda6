-- Housekeeping (node/housekeeping.py) prunes old rows in bounded batches; these indexes let
-- each batch find its rows without scanning the table.

-- Ids of inbound activities whose rows were pruned: a SHA-256 of the idempotency key, 32
-- bytes instead of the whole activity, so a redelivery after pruning is still a duplicate.
-- Pruned in turn after a much longer time (a year by default).
CREATE TABLE inbound_activity_ids (
    key_hash bytea PRIMARY KEY,
    received_at timestamptz NOT NULL
);
CREATE INDEX inbound_activity_ids_received ON inbound_activity_ids (received_at);

CREATE INDEX inbound_activities_received ON inbound_activities (received_at)
    WHERE state IN ('done', 'ignored', 'failed');
CREATE INDEX deliveries_done ON deliveries (finished_at) WHERE state = 'done';
CREATE INDEX media_attachments_unattached ON media_attachments (created_at)
    WHERE status_id IS NULL;
CREATE INDEX oauth_tokens_ended ON oauth_tokens (coalesce(revoked_at, expires_at))
    WHERE revoked_at IS NOT NULL OR expires_at IS NOT NULL;
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
CREATE INDEX exports_finished ON exports (created_at) WHERE state IN ('done', 'failed');
CREATE INDEX imports_finished ON imports (created_at) WHERE state = 'finished';
