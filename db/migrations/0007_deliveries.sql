-- Outgoing activities, one row per (activity, inbox), written in the transaction of the action
-- that caused them and sent by the `delivery.send` job (outbox/delivery.py). A row keeps what
-- the inbox last answered; `dead` rows are the dead letters the admin panel lists.
CREATE TABLE deliveries (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    activity_id text NOT NULL,
    inbox_url text NOT NULL,
    host text NOT NULL,
    actor_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set when an admin sends a dead letter again: the give-up clock restarts from here.
    requeued_at timestamptz,
    finished_at timestamptz,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_dead ON deliveries (finished_at DESC) WHERE state = 'dead';
CREATE INDEX deliveries_queued_host ON deliveries (host) WHERE state = 'queued';

-- The per-host breaker: consecutive failures to reach a host, and until when its deliveries
-- wait instead of trying (a partner node that is down is not hammered by every delivery).
CREATE TABLE delivery_hosts (
    host text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    open_until timestamptz,
    last_failure_at timestamptz
);
