-- The rules members agree to, as the instance endpoints list them (`GET /api/v1/instance/rules`).
CREATE TABLE instance_rules (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    text text NOT NULL CHECK (text <> ''),
    hint text NOT NULL DEFAULT '',
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instance_rules_order ON instance_rules (position, id);
