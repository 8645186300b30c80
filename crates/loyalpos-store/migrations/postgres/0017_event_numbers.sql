-- The relay's numbers move out of the outbox rows into a narrow table of their own. The relay used to
-- number a row by rewriting it: a second copy of a 0.7–2 KB row in the heap and the WAL, and new
-- entries in all of its indexes (an UPDATE of indexed columns is never HOT). Now a writer inserts the
-- event and its place in `event_queue` (the committed events not numbered yet); the relay moves a
-- queued event into `event_numbers` (its relay position and its merchant's seq) in one statement, and
-- the event row is never written again. Readers join the two tables on `pos`.
CREATE TABLE event_numbers (
    pos         BIGINT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    relay_pos   BIGINT NOT NULL,
    seq         BIGINT NOT NULL
);
INSERT INTO event_numbers (pos, merchant_id, relay_pos, seq)
    SELECT pos, merchant_id, relay_pos, seq FROM events WHERE relay_pos IS NOT NULL;
CREATE UNIQUE INDEX event_numbers_relay_pos ON event_numbers (relay_pos);
CREATE UNIQUE INDEX event_numbers_merchant_seq ON event_numbers (merchant_id, seq);

CREATE TABLE event_queue (
    pos         BIGINT PRIMARY KEY,
    merchant_id TEXT NOT NULL
);
INSERT INTO event_queue (pos, merchant_id) SELECT pos, merchant_id FROM events WHERE relay_pos IS NULL;

DROP INDEX events_merchant_seq;
DROP INDEX events_relay_pos;
DROP INDEX events_unnumbered;
ALTER TABLE events DROP COLUMN relay_pos, DROP COLUMN seq;
