-- Getting into a members-only node: invitations (with the role they give, an expiry and a use
-- limit) and accounts that wait for an admin's approval (sign-up by the organisation's email
-- domain).
--
-- The invitation code is stored as it is, as Mastodon stores it: whoever made an invitation
-- must be able to copy its link again. It is a secret all the same (128 random bits); it is
-- shown only to its inviter and to admins, and bounded by expiry, use limit and revocation.
CREATE TABLE invitations (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    code text NOT NULL UNIQUE,
    -- Who made it; NULL when made from the command line by whoever runs the node.
    inviter_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'moderator', 'employee', 'customer')),
    max_uses integer CHECK (max_uses > 0),
    uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (max_uses IS NULL OR uses <= max_uses)
);
CREATE INDEX invitations_inviter ON invitations (inviter_user_id, id);

ALTER TABLE users
    ADD COLUMN approved boolean NOT NULL DEFAULT true,
    ADD COLUMN invitation_id bigint REFERENCES invitations (id) ON DELETE SET NULL,
    ADD COLUMN sign_up_reason text NOT NULL DEFAULT '',
    ADD COLUMN sign_up_ip inet,
    ADD COLUMN locale text,
    ADD COLUMN created_by_application_id bigint
        REFERENCES oauth_applications (id) ON DELETE SET NULL;
-- Admins list the accounts waiting for them, oldest first.
CREATE INDEX users_pending ON users (created_at) WHERE NOT approved;
