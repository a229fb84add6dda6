-- Moderation: the staff's actions on accounts, reports, federation domains and sign-up lists,
-- each recorded in the audit log in the transaction that made it.

-- Who did what to which thing, and when. `account_id` is NULL for the node's operator at the
-- command line. Kept when the actor or the target goes (it is the record of what happened).
CREATE TABLE audit_log (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_account ON audit_log (account_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

-- Limited ("silenced") and sensitive-media accounts, as Mastodon's.
ALTER TABLE accounts
    ADD COLUMN silenced_at timestamptz,
    ADD COLUMN sensitized_at timestamptz;

-- A moderator's warning or action, as the member is told of it (Mastodon's AccountWarning).
CREATE TABLE account_warnings (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action text NOT NULL,
    text text NOT NULL DEFAULT '',
    report_id bigint REFERENCES reports (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_warnings_target ON account_warnings (target_account_id, id DESC);

ALTER TABLE reports
    ADD COLUMN category text NOT NULL DEFAULT 'other'
        CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    ADD COLUMN rule_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN assigned_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    ADD COLUMN action_taken_by_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX reports_reporter ON reports (account_id);

CREATE TABLE report_notes (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    report_id bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_notes_report ON report_notes (report_id, id);

-- Mastodon's domain block fields; the id is what the admin API names a rule by. `noop`
-- records a domain (with reject_media or reject_reports) without limiting it.
ALTER TABLE federation_domains
    ADD COLUMN id bigint NOT NULL UNIQUE DEFAULT rukun_next_id(),
    ADD COLUMN reject_media boolean NOT NULL DEFAULT false,
    ADD COLUMN reject_reports boolean NOT NULL DEFAULT false,
    ADD COLUMN private_comment text NOT NULL DEFAULT '',
    ADD COLUMN public_comment text NOT NULL DEFAULT '',
    ADD COLUMN obfuscate boolean NOT NULL DEFAULT false,
    DROP CONSTRAINT federation_domains_severity_check,
    ADD CONSTRAINT federation_domains_severity_check
        CHECK (severity IN ('suspend', 'silence', 'noop'));

-- Sign-up refusals: by the address's domain, and by one address (stored as Mastodon does, a
-- SHA-256 of its canonical form, so the list does not keep the addresses themselves).
CREATE TABLE email_domain_blocks (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    domain text NOT NULL UNIQUE CHECK (domain <> '' AND domain = lower(domain)),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE canonical_email_blocks (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    canonical_email_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Networks: sign-ups need approval, sign-ups refused, or no access at all.
CREATE TABLE ip_blocks (
    id bigint PRIMARY KEY DEFAULT rukun_next_id(),
    ip cidr NOT NULL UNIQUE,
    severity text NOT NULL
        CHECK (severity IN ('sign_up_requires_approval', 'sign_up_block', 'no_access')),
    comment text NOT NULL DEFAULT '',
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
