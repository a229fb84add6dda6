-- The Mastodon client API's world: relationships, statuses, media, notifications, markers.

ALTER TABLE accounts
    -- A path on this node (`/system/…`) for uploads, or the remote server's URL.
    ADD COLUMN avatar_url text,
    ADD COLUMN header_url text,
    ADD COLUMN memorial boolean NOT NULL DEFAULT false,
    ADD COLUMN moved_to_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL;

ALTER TABLE users
    ADD COLUMN default_visibility text NOT NULL DEFAULT 'public',
    ADD COLUMN default_sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN default_language text,
    ADD COLUMN expand_spoilers boolean NOT NULL DEFAULT false,
    ADD COLUMN expand_media text NOT NULL DEFAULT 'default';

ALTER TABLE oauth_applications ADD COLUMN vapid_key text;
ALTER TABLE oauth_tokens ADD COLUMN expires_at timestamptz;

CREATE TABLE oauth_authorization_codes (
    code_hash bytea PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    scopes text NOT NULL,
    code_challenge text,
    code_challenge_method text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE TABLE follows (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs boolean NOT NULL DEFAULT true,
    notify boolean NOT NULL DEFAULT false,
    languages text[],
    uri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id);

CREATE TABLE follow_requests (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs boolean NOT NULL DEFAULT true,
    notify boolean NOT NULL DEFAULT false,
    languages text[],
    uri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follow_requests_target ON follow_requests (target_account_id);

CREATE TABLE blocks (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX blocks_target ON blocks (target_account_id);

CREATE TABLE mutes (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hide_notifications boolean NOT NULL DEFAULT true,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_account_id)
);

CREATE TABLE account_notes (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, target_account_id)
);

CREATE TABLE media_attachments (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id bigint,
    type text NOT NULL DEFAULT 'unknown',
    state text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'ready', 'failed')),
    file_key text,
    preview_key text,
    remote_url text,
    content_type text,
    file_size integer,
    meta jsonb NOT NULL DEFAULT '{}',
    description text NOT NULL DEFAULT '',
    focus_x real NOT NULL DEFAULT 0,
    focus_y real NOT NULL DEFAULT 0,
    blurhash text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_attachments_status ON media_attachments (status_id) WHERE status_id IS NOT NULL;

CREATE TABLE statuses (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri text,
    url text,
    local boolean NOT NULL DEFAULT true,
    visibility text NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private', 'direct', 'local')),
    text text NOT NULL DEFAULT '',
    content text NOT NULL DEFAULT '',
    content_type text NOT NULL DEFAULT 'text/plain',
    spoiler_text text NOT NULL DEFAULT '',
    sensitive boolean NOT NULL DEFAULT false,
    language text,
    in_reply_to_id bigint REFERENCES statuses (id) ON DELETE SET NULL,
    in_reply_to_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    reblog_of_id bigint REFERENCES statuses (id) ON DELETE CASCADE,
    thread_id bigint,
    application_id bigint REFERENCES oauth_applications (id) ON DELETE SET NULL,
    replies_count integer NOT NULL DEFAULT 0,
    reblogs_count integer NOT NULL DEFAULT 0,
    favourites_count integer NOT NULL DEFAULT 0,
    edited_at timestamptz,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(spoiler_text, '') || ' ' || coalesce(text, ''))
    ) STORED
);
CREATE UNIQUE INDEX statuses_uri ON statuses (uri) WHERE uri IS NOT NULL;
CREATE INDEX statuses_account ON statuses (account_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX statuses_reply ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_thread ON statuses (thread_id);
CREATE INDEX statuses_reblog ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses (id DESC)
    WHERE deleted_at IS NULL AND visibility = 'public' AND reblog_of_id IS NULL;
CREATE INDEX statuses_search ON statuses USING gin (search);
CREATE UNIQUE INDEX statuses_one_reblog ON statuses (account_id, reblog_of_id)
    WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;
ALTER TABLE media_attachments
    ADD FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE SET NULL;

CREATE TABLE status_edits (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text text NOT NULL,
    content text NOT NULL,
    spoiler_text text NOT NULL DEFAULT '',
    sensitive boolean NOT NULL DEFAULT false,
    media_ids bigint[] NOT NULL DEFAULT '{}',
    media_descriptions text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    silent boolean NOT NULL DEFAULT false,
    PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, status_id DESC);

CREATE TABLE tags (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tags_name ON tags (lower(name));

CREATE TABLE status_tags (
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE TABLE favourites (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    uri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE bookmarks (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, status_id)
);

CREATE TABLE status_pins (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, status_id)
);

CREATE TABLE conversation_mutes (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    thread_id bigint NOT NULL,
    PRIMARY KEY (account_id, thread_id)
);

-- Fan-out on write: one row per (reader, status) in home timelines.
CREATE TABLE home_feed (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, status_id)
);

CREATE TABLE notifications (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type text NOT NULL,
    status_id bigint REFERENCES statuses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_account ON notifications (account_id, id DESC);
CREATE UNIQUE INDEX notifications_once ON notifications
    (account_id, from_account_id, type, coalesce(status_id, 0));

CREATE TABLE markers (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    timeline text NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id bigint NOT NULL,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, timeline)
);

CREATE TABLE idempotency_keys (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key text NOT NULL,
    status_id bigint REFERENCES statuses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Counters kept by the commands that change them, so rendering an account costs no count(*).
CREATE TABLE account_stats (
    account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    followers_count integer NOT NULL DEFAULT 0,
    following_count integer NOT NULL DEFAULT 0,
    statuses_count integer NOT NULL DEFAULT 0,
    last_status_at timestamptz
);