-- Shared shape of both backends' first migration. INTEGER and JSON are spelled per backend by gen.sh.
-- Times are unix seconds (rendered in the configured zone at the edge); money is integer cents.

CREATE TABLE merchants (
    id                  TEXT PRIMARY KEY,
    id_old              BIGINT NOT NULL,
    companyname         TEXT NOT NULL,
    user_type           TEXT NOT NULL,
    project_name        TEXT,
    legal_details       TEXT NOT NULL,
    urls                TEXT NOT NULL,
    categories          TEXT NOT NULL,
    default_store_id    TEXT,
    default_contract_id TEXT,
    is_demo             INTEGER NOT NULL,
    created             BIGINT NOT NULL
);

CREATE TABLE contracts (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    created     BIGINT NOT NULL
);

CREATE TABLE stores (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    id_old      TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT,
    facebook_id TEXT,
    phone       TEXT,
    url_website TEXT,
    photo_main  TEXT,
    photo       TEXT NOT NULL,
    open_hours  TEXT NOT NULL,
    created     BIGINT NOT NULL
);
CREATE INDEX stores_merchant ON stores (merchant_id);

CREATE TABLE devices (
    id                  TEXT PRIMARY KEY,
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    store_id            TEXT NOT NULL REFERENCES stores(id),
    contract_id         TEXT,
    vendor              TEXT,
    vendor_uid          TEXT,
    device_type         TEXT NOT NULL,
    description         TEXT,
    tid                 TEXT,
    products            TEXT NOT NULL,
    terminal_type       TEXT,
    base_version        TEXT,
    status              TEXT,
    device              TEXT,
    user_pin            TEXT,
    pin_hash            TEXT,
    next_receipt_number BIGINT NOT NULL,
    end_of_day_receipt  BIGINT NOT NULL,
    created             BIGINT NOT NULL,
    updated             BIGINT,
    UNIQUE (merchant_id, vendor_uid)
);
CREATE INDEX devices_vendor_uid ON devices (vendor_uid);

CREATE TABLE api_clients (
    client_id   TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants(id),
    grants      TEXT NOT NULL,
    created     BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL REFERENCES merchants(id),
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created       BIGINT NOT NULL
);

-- A device authorisation or an appuser login: what a refresh token renews.
CREATE TABLE authorizations (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    client_id    TEXT NOT NULL,
    device_id    TEXT,
    store_id     TEXT,
    user_id      TEXT,
    refresh_hash TEXT UNIQUE,
    revoked      INTEGER NOT NULL,
    created      BIGINT NOT NULL
);

CREATE TABLE access_tokens (
    token_hash       TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    merchant_id      TEXT NOT NULL REFERENCES merchants(id),
    client_id        TEXT NOT NULL,
    device_id        TEXT,
    store_id         TEXT,
    user_id          TEXT,
    authorization_id TEXT,
    expires_at       BIGINT,
    demo_only        INTEGER NOT NULL,
    revoked          INTEGER NOT NULL,
    created          BIGINT NOT NULL
);
CREATE INDEX access_tokens_authorization ON access_tokens (authorization_id);
CREATE INDEX access_tokens_device ON access_tokens (device_id);

CREATE TABLE device_registrations (
    device_code_hash TEXT PRIMARY KEY,
    user_code        TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    uuid             TEXT NOT NULL,
    state            TEXT NOT NULL,
    merchant_id      TEXT,
    device_id        TEXT,
    store_id         TEXT,
    authorization_id TEXT,
    expires_at       BIGINT,
    reusable         INTEGER NOT NULL,
    created          BIGINT NOT NULL
);

CREATE TABLE cardgroups (
    id                    TEXT PRIMARY KEY,
    merchant_id           TEXT NOT NULL REFERENCES merchants(id),
    display_name          TEXT NOT NULL,
    picture               TEXT,
    stock_warn_limit      BIGINT NOT NULL,
    description           TEXT,
    cancel_selected       INTEGER NOT NULL,
    currency              TEXT NOT NULL,
    bonus_rate            BIGINT NOT NULL,
    bonus_base            TEXT NOT NULL,
    filter_mode           TEXT NOT NULL,
    filter_codes          TEXT NOT NULL,
    bonus_products        TEXT NOT NULL,
    overdraft_allowed     INTEGER NOT NULL,
    overdraft_limit       BIGINT NOT NULL,
    passcode_policy       BIGINT NOT NULL,
    card_creation_via_stx INTEGER NOT NULL,
    created               BIGINT NOT NULL
);
CREATE INDEX cardgroups_merchant ON cardgroups (merchant_id);

CREATE TABLE cards (
    id         TEXT PRIMARY KEY,
    cardnumber TEXT NOT NULL UNIQUE,
    account_id TEXT,
    created    BIGINT NOT NULL
);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants(id),
    merchant_contact TEXT,
    customernumber   TEXT,
    note             TEXT,
    consent          INTEGER,
    additional_data  TEXT,
    created          BIGINT NOT NULL
);
CREATE INDEX customers_merchant ON customers (merchant_id);

-- Balances here are a cache of the bookings below, maintained in the same unit of work.
CREATE TABLE merchantcards (
    id                       TEXT PRIMARY KEY,
    merchant_id              TEXT NOT NULL REFERENCES merchants(id),
    card_id                  TEXT NOT NULL REFERENCES cards(id),
    cardgroup_id             TEXT NOT NULL REFERENCES cardgroups(id),
    created_for_merchant_id  TEXT NOT NULL,
    created_for_store_id     TEXT,
    customer_id              TEXT,
    customer_assignment_date BIGINT,
    is_base_card             INTEGER NOT NULL,
    cash_balance             BIGINT NOT NULL,
    bonus_balance            BIGINT NOT NULL,
    points                   BIGINT NOT NULL,
    last_usage               BIGINT,
    last_charge              BIGINT,
    stock_status             TEXT NOT NULL,
    lock_status              TEXT NOT NULL,
    lock_reason              BIGINT,
    lock_note                TEXT,
    expiry_date              BIGINT,
    csc_hash                 TEXT,
    passcode_hash            TEXT,
    created                  BIGINT NOT NULL,
    UNIQUE (card_id, merchant_id)
);
CREATE INDEX merchantcards_merchant ON merchantcards (merchant_id);

CREATE TABLE loyalty_transactions (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    merchantcard_id      TEXT NOT NULL REFERENCES merchantcards(id),
    cardgroup_id         TEXT NOT NULL,
    store_id             TEXT,
    trans_id             BIGINT NOT NULL UNIQUE,
    tid                  TEXT,
    status               TEXT NOT NULL,
    amount               BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    balance              BIGINT NOT NULL,
    description          TEXT NOT NULL,
    purpose              TEXT,
    additional_data      TEXT,
    receipt              TEXT NOT NULL,
    figures              TEXT,
    is_cancelling        INTEGER NOT NULL,
    revenue              BIGINT NOT NULL,
    smart_transaction_id TEXT,
    parent_id            TEXT,
    child_id             TEXT,
    created              BIGINT NOT NULL,
    last_change          BIGINT NOT NULL
);
CREATE INDEX loyalty_transactions_card ON loyalty_transactions (merchantcard_id, trans_id);
CREATE INDEX loyalty_transactions_merchant ON loyalty_transactions (merchant_id, created);

-- The ledger: append-only. No UPDATE or DELETE is ever issued against this table.
CREATE TABLE bookings (
    ltx_id          TEXT NOT NULL REFERENCES loyalty_transactions(id),
    seq             BIGINT NOT NULL,
    merchantcard_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    balance_kind    TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    PRIMARY KEY (ltx_id, seq)
);
CREATE INDEX bookings_card ON bookings (merchantcard_id);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Typed columns for what is locked, searched or joined; `doc` holds the rest of the transaction
-- (basket, idents, echoed client fields, the preTransaction plan, the receipt) as JSON.
CREATE TABLE smart_transactions (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants(id),
    status          TEXT NOT NULL,
    device_id       TEXT,
    receipt_number  BIGINT,
    trans_id        TEXT,
    doc             TEXT NOT NULL,
    created         BIGINT NOT NULL,
    updated         BIGINT,
    UNIQUE (device_id, receipt_number)
);
CREATE INDEX smart_transactions_merchant ON smart_transactions (merchant_id, created);

-- Demo only: a loyalty transaction id promised by the docs for a pre-created smart transaction.
CREATE TABLE reserved_ltx_ids (
    smart_transaction_id TEXT PRIMARY KEY,
    ltx_id               TEXT NOT NULL
);

-- TA codes are 8 digits; the first one handed out is 10000000.
INSERT INTO counters (name, value) VALUES ('ta_code', 9999999);
