-- Indexes for the list lookups that `q` pushes down to SQL (api.md §5; README "Lists, q and the API
-- description"): card number (cards.cardnumber is unique already), status and created ranges, TA
-- codes, merchantRef/transactionRef of smart transactions, the related ids, and the default order.
-- Each starts with merchant_id and ends with created, so that one index serves the merchant, the
-- lookup and the newest-first order together.

CREATE INDEX smart_transactions_status ON smart_transactions (merchant_id, status, created);
CREATE INDEX smart_transactions_trans_id ON smart_transactions (merchant_id, trans_id, created);
CREATE INDEX smart_transactions_device ON smart_transactions (merchant_id, device_id, created);
CREATE INDEX loyalty_transactions_status ON loyalty_transactions (merchant_id, status, created);
CREATE INDEX loyalty_transactions_merchantcard ON loyalty_transactions (merchant_id, merchantcard_id, created);
CREATE INDEX loyalty_transactions_smart ON loyalty_transactions (merchant_id, smart_transaction_id, created);
CREATE INDEX merchantcards_created ON merchantcards (merchant_id, created);
CREATE INDEX merchantcards_card ON merchantcards (merchant_id, card_id, created);
CREATE INDEX merchantcards_customer ON merchantcards (merchant_id, customer_id, created);
CREATE INDEX customers_created ON customers (merchant_id, created);
CREATE INDEX cards_created ON cards (created);
CREATE INDEX devices_merchant ON devices (merchant_id, created);

-- merchantRef / transactionRef compare folded (ASCII lower case, the Kelvin sign read as k). The
-- expressions must stay spelled exactly as in crates/loyalpos-store/src/sql/lists.rs.
CREATE INDEX smart_transactions_merchant_ref ON smart_transactions (merchant_id, lower(replace(json_extract(doc, '$.merchant_ref'), 'K', 'k')), created);
CREATE INDEX smart_transactions_transaction_ref ON smart_transactions (merchant_id, lower(replace(json_extract(doc, '$.transaction_ref'), 'K', 'k')), created);
