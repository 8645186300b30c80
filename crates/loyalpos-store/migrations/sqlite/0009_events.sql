-- The transactional outbox (push.md §1): one row per event, written in the unit of work of the
-- change it reports. SQLite has one writer thread, so the INSERT numbers the rows as it writes them:
-- `seq` per merchant and `relay_pos`, the delivery order the relay tails. The retention cleanup keeps
-- each merchant's newest row, so neither number ever comes back.
CREATE TABLE events (
    pos        INTEGER PRIMARY KEY AUTOINCREMENT,
    relay_pos  INTEGER,
    seq        INTEGER,
    id         TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    device_id  TEXT,
    target     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    created    INTEGER NOT NULL,
    data       TEXT
);
CREATE UNIQUE INDEX events_merchant_seq ON events (merchant_id, seq);
CREATE UNIQUE INDEX events_relay_pos ON events (relay_pos);
-- No index on `created`: the hourly retention cleanup scans (an index would cost every event a
-- write for one scan an hour).
