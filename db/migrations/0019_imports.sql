-- Imports a member runs when joining from elsewhere: CSV files in Mastodon's formats
-- (follows, blocks, mutes, domain blocks, bookmarks) and archives of their posts. The rows
-- to apply (or the archive itself) wait here for the `import.run` job; progress and one
-- message per failed row stay for the member to read.
CREATE TABLE imports (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type text NOT NULL
        CHECK (type IN ('following', 'blocking', 'muting', 'domain_blocking', 'bookmarks',
                        'posts')),
    mode text NOT NULL CHECK (mode IN ('merge', 'overwrite')),
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'finished')),
    filename text NOT NULL DEFAULT '',
    rows jsonb NOT NULL DEFAULT '[]',
    archive bytea,
    total_items integer NOT NULL DEFAULT 0,
    processed_items integer NOT NULL DEFAULT 0,
    failed_items integer NOT NULL DEFAULT 0,
    skipped_items integer NOT NULL DEFAULT 0,
    errors jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX imports_account ON imports (account_id, id DESC);

-- Domains a member hides from themselves (Mastodon's account domain blocks).
CREATE TABLE account_domain_blocks (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, domain)
);

-- Where an imported post came from: its id and date on the old node, the actor who wrote it
-- there, and the FEP-8b32 proof it carried (kept as it was; checking it is the exporter's).
CREATE TABLE status_imports (
    status_id bigint PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    original_uri text NOT NULL,
    published timestamptz NOT NULL,
    origin text NOT NULL,
    proof jsonb,
    UNIQUE (account_id, original_uri)
);
