-- An imported post whose FEP-8b32 proof verified against the archive owner's published key.
ALTER TABLE status_imports ADD COLUMN proof_verified boolean NOT NULL DEFAULT false;
