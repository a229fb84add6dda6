-- Work news: followed hashtags, the admins' announcements, and the secret feed tokens that let
-- a member's feed reader fetch the RSS/Atom feeds of the node's accounts.

-- A member follows a hashtag: public posts with it enter their home feed (Mastodon 4.x).
-- The id pages `GET /api/v1/followed_tags`, as Mastodon pages by its TagFollow id.
CREATE TABLE tag_follows (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, tag_id)
);
-- Fan-out finds a new post's tag followers by tag.
CREATE INDEX tag_follows_tag ON tag_follows (tag_id);

-- Announcements the admins publish to every member (Mastodon's Announcement). `text` is what
-- the admin wrote; `content` its rendering (linkified, sanitised), as for statuses.
CREATE TABLE announcements (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    text text NOT NULL,
    content text NOT NULL,
    published boolean NOT NULL DEFAULT true,
    published_at timestamptz,
    starts_at timestamptz,
    ends_at timestamptz,
    all_day boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at)
);

-- Who dismissed (read) which announcement.
CREATE TABLE announcement_dismissals (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, announcement_id)
);

-- One member's emoji reaction (a unicode emoji, or a custom emoji's shortcode) to one.
CREATE TABLE announcement_reactions (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (announcement_id, account_id, name)
);

-- A member's personal feed token (stored as a SHA-256 digest, like OAuth tokens): feed readers
-- cannot sign in, so the feed URL carries it. One per member; issuing a new one replaces it.
CREATE TABLE feed_tokens (
    user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
