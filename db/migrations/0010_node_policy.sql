-- What an organisation's admins decide about their node at run time (who sees what, who may
-- invite, which email domains may ask for an account). One row per setting; the meaning,
-- type and default of each key live in `actors/node_policy.py`, so a missing row is the default.
CREATE TABLE node_policy (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
