-- Activities other nodes delivered to us, stored raw as they arrived (after the signature,
-- policy and origin checks) and processed by the `inbox.process` job. `activity_id` makes
-- a second delivery of the same activity a no-op. Rows stay after processing: moderation
-- and debugging read them; a retention job may prune `done` rows later.
CREATE TABLE inbound_activities (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    activity_id text NOT NULL UNIQUE,
    activity_type text NOT NULL,
    actor_uri text NOT NULL,
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'done', 'ignored', 'failed')),
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    last_error text
);
CREATE INDEX inbound_activities_actor ON inbound_activities (actor_uri, id DESC);
CREATE INDEX inbound_activities_unfinished ON inbound_activities (received_at)
    WHERE state IN ('queued', 'failed');

-- Reports (a remote `Flag`, and later the members' own): who reported whom, about which
-- statuses, for the admin panel. `uri` is the Flag's id, so a redelivered Flag is one report.
CREATE TABLE reports (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    uri text UNIQUE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_ids bigint[] NOT NULL DEFAULT '{}',
    comment text NOT NULL DEFAULT '',
    forwarded boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE INDEX reports_unresolved ON reports (id DESC) WHERE resolved_at IS NULL;
CREATE INDEX reports_target ON reports (target_account_id);

-- Undo and Delete name what they take back by its activity id.
CREATE INDEX favourites_uri ON favourites (uri) WHERE uri IS NOT NULL;
CREATE INDEX follows_uri ON follows (uri) WHERE uri IS NOT NULL;
CREATE INDEX follow_requests_uri ON follow_requests (uri) WHERE uri IS NOT NULL;
CREATE INDEX blocks_uri ON blocks (uri) WHERE uri IS NOT NULL;
