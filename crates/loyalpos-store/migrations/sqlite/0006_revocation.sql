-- Operators revoke API clients and devices and disable users (`loyalpos client revoke`, `device revoke`,
-- `user disable`). NULL = active; otherwise the unix second of the revocation. The rows stay (lists,
-- ledgers and audits keep naming them); sign-ins check the column.
ALTER TABLE api_clients ADD COLUMN revoked_at BIGINT;
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
