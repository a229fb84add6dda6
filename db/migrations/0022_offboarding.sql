-- Offboarding: a member who leaves the organisation keeps read-only access (to download their
-- archive and name the account they move to) until `leaves_at`, and is disabled after it.
ALTER TABLE users ADD COLUMN leaves_at timestamptz;
