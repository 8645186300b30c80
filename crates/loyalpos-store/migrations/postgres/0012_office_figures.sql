-- The dashboard at scale (office.md §2): a day that has ended does not change, so its sums are
-- computed once and kept here — per merchant, per installation zone (a day is a calendar day of the
-- zone) — and only today is summed live. An import, which may book opening balances into past days,
-- forgets the merchant's kept days.
CREATE TABLE office_day_figures (
    merchant_id    TEXT NOT NULL,
    zone           TEXT NOT NULL,
    day            TEXT NOT NULL,
    turnover       BIGINT NOT NULL,
    bookings       BIGINT NOT NULL,
    bonus_granted  BIGINT NOT NULL,
    bonus_redeemed BIGINT NOT NULL,
    cash_redeemed  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, zone, day)
);

-- Cards in use in a period are the cards whose last booking falls in it: every booking sets the
-- merchant card's last_usage in the UPDATE it makes anyway, so counting needs no scan of bookings.
CREATE INDEX merchantcards_last_usage ON merchantcards (merchant_id, last_usage);
