-- The token an authorization code was exchanged for: if the code comes back a second time it
-- was stolen somewhere, and RFC 6749 §4.1.2 asks us to revoke what it already granted.
ALTER TABLE oauth_authorization_codes
    ADD COLUMN token_id bigint REFERENCES oauth_tokens (id) ON DELETE SET NULL;
CREATE INDEX oauth_authorization_codes_expiry ON oauth_authorization_codes (expires_at);
