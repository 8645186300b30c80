-- Event data compressed (LZ4 block, its length first): an event holds the object's full view
-- (2–4 KB of JSON, most of it keys repeated in every event), half of what the register flow
-- writes. New rows keep `data` NULL and fill `packed`; rows written before keep `data`.
ALTER TABLE events ADD COLUMN packed BLOB;
