-- The back office (office.md §1): a role per merchant user, server-side sessions, failed sign-ins
-- (for the lockout) and the audit trail of every change made through the office.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';

-- `id_hash` is the SHA-256 of the cookie's session id: a leaked database does not sign anyone in.
CREATE TABLE office_sessions (
    id_hash   TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users(id),
    csrf      TEXT NOT NULL,
    lang      TEXT,
    created   BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX office_sessions_user ON office_sessions (user_id);

CREATE TABLE sign_in_failures (
    username TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);

CREATE TABLE audit_trail (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object      TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_trail_merchant ON audit_trail (merchant_id, id);

-- The cards page finds a card by its last digits: card numbers are 16 digits, so the last four are
-- characters 13 to 16 (an expression index, the same SQL on both backends).
CREATE INDEX cards_last4 ON cards (substr(cardnumber, 13, 4));
