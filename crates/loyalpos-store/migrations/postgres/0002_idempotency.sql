-- Idempotency-Key records (api.md §6). A row exists only once its request's effect committed (the
-- claim is written in the same unit of work) or its answer was recorded.
CREATE TABLE idempotency_keys (
    client_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      BIGINT,
    headers     TEXT,
    body        TEXT,
    created     BIGINT NOT NULL,
    PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);
