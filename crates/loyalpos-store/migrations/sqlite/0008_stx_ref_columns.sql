-- merchantRef / transactionRef as plain columns, written by create and PUT only. Their expression
-- indexes on the JSON document (0003) made every write of the document (preTransaction, start,
-- cancel) parse it four more times to maintain two indexes whose values never changed there.
ALTER TABLE smart_transactions ADD COLUMN merchant_ref TEXT;
ALTER TABLE smart_transactions ADD COLUMN transaction_ref TEXT;
UPDATE smart_transactions SET merchant_ref = json_extract(doc, '$.merchant_ref'),
    transaction_ref = json_extract(doc, '$.transaction_ref');
DROP INDEX smart_transactions_merchant_ref;
DROP INDEX smart_transactions_transaction_ref;
-- The expressions must stay spelled exactly as in crates/loyalpos-store/src/sql/lists.rs.
CREATE INDEX smart_transactions_merchant_ref ON smart_transactions (merchant_id, lower(replace(merchant_ref, 'K', 'k')), created);
CREATE INDEX smart_transactions_transaction_ref ON smart_transactions (merchant_id, lower(replace(transaction_ref, 'K', 'k')), created);
