-- Account moves (Mastodon's Move and `alsoKnownAs`). `also_known_as` holds the actor ids an
-- account is also known as: for a member, the accounts they move from (published in their
-- actor document); for a remote actor, what its document lists. `moved_at` is when a member
-- last redirected their account: the cooldown between moves counts from it, and cancelling a
-- redirect does not reset it (as in Mastodon).
ALTER TABLE accounts
    ADD COLUMN also_known_as text[] NOT NULL DEFAULT '{}',
    ADD COLUMN moved_at timestamptz;

-- A moved account's followers are found by the account they moved to (the profile's notice).
CREATE INDEX accounts_moved_to_account_id ON accounts (moved_to_account_id)
    WHERE moved_to_account_id IS NOT NULL;
