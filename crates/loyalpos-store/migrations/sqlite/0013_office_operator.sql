-- The installation-wide operator of the back office (office.md §1): a user without a merchant
-- (`role = 'operator'`, `merchant_id` NULL) that switches into one merchant at a time; the
-- session keeps the merchant it switched into.
--
-- SQLite cannot drop a NOT NULL: `users` is rebuilt. `office_sessions`, the only table that
-- references `users`, is rebuilt around it (its sessions end: everyone signs in again once).
DROP TABLE office_sessions;

CREATE TABLE users_rebuilt (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT REFERENCES merchants(id),
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created       BIGINT NOT NULL,
    disabled_at   BIGINT,
    role          TEXT NOT NULL DEFAULT 'admin',
    CHECK ((role = 'operator') = (merchant_id IS NULL))
);
INSERT INTO users_rebuilt (id, merchant_id, username, password_hash, created, disabled_at, role)
SELECT id, merchant_id, username, password_hash, created, disabled_at, role FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;

CREATE TABLE office_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    lang        TEXT,
    created     BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    merchant_id TEXT REFERENCES merchants(id)
);
CREATE INDEX office_sessions_user ON office_sessions (user_id);
