-- Bans from groups hosted elsewhere are kept too (the group announces them), so a ban names
-- any group account, not only a group hosted here.
ALTER TABLE group_bans DROP CONSTRAINT group_bans_group_id_fkey;
ALTER TABLE group_bans ADD CONSTRAINT group_bans_group_id_fkey
    FOREIGN KEY (group_id) REFERENCES accounts (id) ON DELETE CASCADE;

-- Remote actors' Ed25519 `assertionMethod` keys (FEP-8b32 integrity proofs), by key id, as
-- their actor documents publish them; replaced whenever the actor is fetched again.
CREATE TABLE remote_assertion_keys (
    key_id text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    public_key_multibase text NOT NULL
);
CREATE INDEX remote_assertion_keys_account ON remote_assertion_keys (account_id);
