-- The end-of-day report at scale (office.md §2 "Reports"): the payments of an ended day are summed
-- once per device and payment method and kept here, per merchant and installation zone. Unlike a
-- booking, a payment can still change after its day (a cancel the next morning, a late start), so a
-- change to a transaction older than the settling time forgets the kept day it was created in
-- (found by its `day_start`/`day_end`) and counts up the merchant's `generation`: a report that
-- summed days before such a change keeps nothing (it compares the generation it read).
CREATE TABLE office_payment_days (
    merchant_id TEXT NOT NULL,
    zone        TEXT NOT NULL,
    day         TEXT NOT NULL,
    day_start   BIGINT NOT NULL,
    day_end     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, zone, day)
);
CREATE INDEX office_payment_days_span ON office_payment_days (merchant_id, day_start);

CREATE TABLE office_day_payments (
    merchant_id TEXT NOT NULL,
    zone        TEXT NOT NULL,
    day         TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    method      TEXT NOT NULL,
    payments    BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, zone, day, device_id, method)
);

CREATE TABLE office_payment_generations (
    merchant_id TEXT PRIMARY KEY,
    generation  BIGINT NOT NULL
);
