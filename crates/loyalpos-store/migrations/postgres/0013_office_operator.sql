-- The installation-wide operator of the back office (office.md §1): a user without a merchant
-- (`role = 'operator'`, `merchant_id` NULL) that switches into one merchant at a time; the
-- session keeps the merchant it switched into.
ALTER TABLE users ALTER COLUMN merchant_id DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_operator_has_no_merchant
    CHECK ((role = 'operator') = (merchant_id IS NULL));

ALTER TABLE office_sessions ADD COLUMN merchant_id TEXT REFERENCES merchants(id);
