-- Event data compressed (LZ4 block, its length first), as on SQLite: one encoding for both
-- backends. New rows keep `data` NULL and fill `packed`; rows written before keep `data`.
-- STORAGE EXTERNAL: the value is compressed already, so TOAST does not try again.
ALTER TABLE events ADD COLUMN packed BYTEA;
ALTER TABLE events ALTER COLUMN packed SET STORAGE EXTERNAL;
