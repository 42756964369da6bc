-- PurgeClaims deletes expired claims by expiry.
CREATE INDEX claims_expires_at ON claims (expires_at);
