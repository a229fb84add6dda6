-- Time-sortable 64-bit ids: milliseconds since the epoch in the high 48 bits, a sequence in the
-- low 16, so ids sort by creation time and max_id/min_id paging works as in Mastodon.
CREATE SEQUENCE rukun_id_seq AS bigint CYCLE;
CREATE FUNCTION rukun_next_id() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16)
         | (nextval('rukun_id_seq') & 65535)
$$;

-- Actors, local (domain IS NULL) and remote alike.
CREATE TABLE accounts (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    username text NOT NULL,
    domain text,
    actor_type text NOT NULL DEFAULT 'Person',
    display_name text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    fields jsonb NOT NULL DEFAULT '[]',
    department text NOT NULL DEFAULT '',
    job_title text NOT NULL DEFAULT '',
    manager_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    location text NOT NULL DEFAULT '',
    locked boolean NOT NULL DEFAULT false,
    bot boolean NOT NULL DEFAULT false,
    discoverable boolean NOT NULL DEFAULT true,
    uri text,
    url text,
    inbox_url text,
    outbox_url text,
    shared_inbox_url text,
    followers_url text,
    following_url text,
    public_key_id text,
    public_key_pem text NOT NULL,
    private_key_pem text,
    suspended_at timestamptz,
    fetched_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((domain IS NULL) = (private_key_pem IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_handle ON accounts (lower(username), coalesce(lower(domain), ''));
CREATE UNIQUE INDEX accounts_uri ON accounts (uri) WHERE uri IS NOT NULL;

-- The people who sign in to this node: one per local Person account.
CREATE TABLE users (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    email text,
    password_hash text,
    role text NOT NULL CHECK (role IN ('admin', 'moderator', 'employee', 'customer')),
    password_change_required boolean NOT NULL DEFAULT false,
    disabled_at timestamptz,
    last_sign_in_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

-- Browser sessions; only a hash of the cookie value is stored.
CREATE TABLE web_sessions (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    ip inet,
    user_agent text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- Sign-in attempts, for rate limiting by address and by name.
CREATE TABLE sign_in_attempts (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    ip inet,
    login text NOT NULL,
    succeeded boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_recent ON sign_in_attempts (created_at);

-- OAuth 2 clients and bearer tokens (secrets and tokens stored as SHA-256 hashes).
CREATE TABLE oauth_applications (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    name text NOT NULL,
    website text,
    redirect_uris text[] NOT NULL DEFAULT '{}',
    scopes text NOT NULL DEFAULT 'read',
    client_id text NOT NULL UNIQUE,
    client_secret_hash bytea NOT NULL,
    owner_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oauth_tokens (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    token_hash bytea NOT NULL UNIQUE,
    application_id bigint REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    scopes text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);

-- The durable job queue (db/queue.py). Done jobs are deleted; dead ones stay as dead letters.
CREATE TABLE jobs (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 20 CHECK (max_attempts > 0),
    run_at timestamptz NOT NULL DEFAULT now(),
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_dead ON jobs (updated_at) WHERE state = 'dead';
