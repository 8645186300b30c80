-- The transactional outbox (push.md §1): one row per event, written in the unit of work of the
-- change it reports, unnumbered (writers share no counter to queue on). The relay numbers committed
-- rows in the order they were written, one relay at a time: `seq` per merchant and `relay_pos`, the
-- installation-wide delivery order every process tails. event_counters keeps the last numbers
-- (merchant '*': relay_pos), so a retention cleanup never lets a number come back.
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
CREATE TABLE event_counters (
    merchant_id TEXT PRIMARY KEY,
    last_seq    INTEGER NOT NULL
);
