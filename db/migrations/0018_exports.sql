-- Members' archives (outbox.archive_export) and the Ed25519 keys that sign what they contain.

-- One Ed25519 key per local actor, for object integrity proofs (FEP-8b32), published as the
-- actor's assertionMethod (FEP-521a). Made on first use; the RSA key stays for HTTP Signatures.
CREATE TABLE integrity_keys (
    account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    private_key_pem text NOT NULL,
    public_key_multibase text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exports (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Whether internal posts and members-only group content were let in (the node's policy
    -- when the export started).
    includes_internal boolean NOT NULL DEFAULT false,
    items_done integer NOT NULL DEFAULT 0,
    items_total integer NOT NULL DEFAULT 0,
    file_name text,
    file_size bigint,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX exports_account ON exports (account_id, id DESC);
-- One export in progress per member.
CREATE UNIQUE INDEX exports_one_in_progress ON exports (account_id)
    WHERE state IN ('queued', 'running');

-- Time-limited links that download an export without a session (offboarding mail); only a
-- hash of the token is stored.
CREATE TABLE export_download_links (
    token_hash bytea PRIMARY KEY,
    export_id bigint NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX export_download_links_export ON export_download_links (export_id);
