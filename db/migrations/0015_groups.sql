-- Groups (FEP-1b12): a group is an account with actor_type 'Group' on the node that hosts it;
-- its members are its followers. This table keeps what only the hosting node knows: how one
-- joins, who may read its posts, whether it is a project, and its description post.
CREATE TABLE groups (
    account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    policy text NOT NULL DEFAULT 'open'
        CHECK (policy IN ('open', 'partners', 'approval', 'invite')),
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members_only')),
    partner_domains text[] NOT NULL DEFAULT '{}',
    is_project boolean NOT NULL DEFAULT false,
    description_status_id bigint REFERENCES statuses (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Local members who run the group: admins (settings, members, posts) and moderators (posts).
CREATE TABLE group_staff (
    group_id bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'moderator')),
    PRIMARY KEY (group_id, account_id)
);

-- Accounts (local or remote) an invite-only group lets in.
CREATE TABLE group_invites (
    group_id bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, account_id)
);

-- Members a group admin removed: they may not join again and their posts are not announced.
CREATE TABLE group_bans (
    group_id bigint NOT NULL REFERENCES groups (account_id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, account_id)
);

-- Which statuses were posted to which group, on any node that knows both: the hosting node
-- records what it announces, a member's node what the group announced to it. Access rules
-- read it (a members-only group's posts are for its followers); `members_only` is copied
-- here so other nodes, which have no `groups` row, know it too.
CREATE TABLE status_groups (
    status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    group_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    members_only boolean NOT NULL DEFAULT false,
    removed_at timestamptz,
    PRIMARY KEY (status_id, group_id)
);
CREATE INDEX status_groups_group ON status_groups (group_id, status_id DESC);
