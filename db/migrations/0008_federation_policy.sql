-- Which remote domains this node federates with (`rukun federation allow|block|remove|list`).
-- In the default `allowlist` mode only `allow` rows federate; in `open` mode everyone does but
-- the `block`ed. A block covers subdomains; `silence` keeps federating, flagged for moderation.
CREATE TABLE federation_domains (
    domain text PRIMARY KEY CHECK (domain <> '' AND domain = lower(domain)),
    policy text NOT NULL CHECK (policy IN ('allow', 'block')),
    severity text NOT NULL DEFAULT 'suspend' CHECK (severity IN ('suspend', 'silence')),
    reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
