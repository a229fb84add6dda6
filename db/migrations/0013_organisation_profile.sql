-- The organisation profile beyond department, job title, manager and location (0001): a phone
-- number (never federated), skills and the day the member started. Remote Rukun actors carry
-- the same typed values (their phone excepted) in the same columns.
ALTER TABLE accounts
    ADD COLUMN phone text NOT NULL DEFAULT '',
    ADD COLUMN skills text[] NOT NULL DEFAULT '{}',
    ADD COLUMN start_date date;

-- Reports are found by their manager (org chart); the directory filters by department.
CREATE INDEX accounts_manager_id ON accounts (manager_id) WHERE manager_id IS NOT NULL;

-- A partner domain rule may name the organisation behind it and how it relates to ours; the
-- label is shown on the profiles of that domain's accounts.
ALTER TABLE federation_domains
    ADD COLUMN organisation text NOT NULL DEFAULT '',
    ADD COLUMN relationship text NOT NULL DEFAULT ''
        CHECK (relationship IN ('', 'department', 'customer', 'supplier', 'partner'));
