-- The SQL of one register flow (create with a card, then start/cash with a bonus booking) as
-- loyalpos runs it on PostgreSQL, replayed by pgbench without HTTP or application work: the ceiling
-- this PostgreSQL allows the flow (bench/pg_ceiling.sh). Each pipeline is one round trip, as loyalpos
-- sends it: create 2 (BEGIN and the card; the writes and COMMIT), start 3 (BEGIN, the card and the
-- transaction locked; the TA code; the writes and COMMIT). Without the \startpipeline/\endpipeline
-- lines every statement is a round trip of its own. The relay's numbering of the 4 events (moving them
-- from event_queue into event_numbers) is left out.
\set k random(1, :cards)
\set r random(1, 900000000000000)
\startpipeline
BEGIN;
SELECT mc.*, c.id AS c_id, c.cardnumber AS c_cardnumber, c.created AS c_created, cu.id AS cu_id, cu.merchant_id AS cu_merchant_id, cu.merchant_contact AS cu_merchant_contact, cu.customernumber AS cu_customernumber, cu.note AS cu_note, cu.consent AS cu_consent, cu.additional_data AS cu_additional_data, cu.created AS cu_created FROM merchantcards mc JOIN cards c ON c.id = mc.card_id LEFT JOIN customers cu ON cu.id = mc.customer_id WHERE mc.card_id = (SELECT id FROM cards WHERE cardnumber = (SELECT cardnumber FROM bench_cards WHERE k = :k)) AND (mc.merchant_id = :merchant) IS TRUE;
\endpipeline
\startpipeline
INSERT INTO smart_transactions (id, merchant_id, status, device_id, receipt_number, trans_id, merchant_ref, transaction_ref, cardnumber, doc, created, updated) SELECT 'STX_B' || :r, :merchant, 'created', :device, NULL, NULL, NULL, NULL, (SELECT cardnumber FROM bench_cards WHERE k = :k), doc_created, 1796411142, NULL FROM bench_vals;
WITH new AS (INSERT INTO events (id, merchant_id, device_id, target, kind, object_id, created, packed) SELECT 'EAC_A' || :r, :merchant, :device, 'smart.transactions', 'added', 'STX_B' || :r, 1796411142, p_added FROM bench_vals RETURNING pos, merchant_id) INSERT INTO event_queue (pos, merchant_id) SELECT pos, merchant_id FROM new;
COMMIT;
\endpipeline
\startpipeline
BEGIN;
SELECT mc.*, c.id AS c_id, c.cardnumber AS c_cardnumber, c.created AS c_created, cu.id AS cu_id, cu.merchant_id AS cu_merchant_id, cu.merchant_contact AS cu_merchant_contact, cu.customernumber AS cu_customernumber, cu.note AS cu_note, cu.consent AS cu_consent, cu.additional_data AS cu_additional_data, cu.created AS cu_created FROM merchantcards mc JOIN cards c ON c.id = mc.card_id LEFT JOIN customers cu ON cu.id = mc.customer_id WHERE mc.card_id = (SELECT c1.id FROM smart_transactions s1 JOIN cards c1 ON c1.cardnumber = s1.cardnumber WHERE s1.id = 'STX_B' || :r) AND (mc.merchant_id = (SELECT s2.merchant_id FROM smart_transactions s2 WHERE s2.id = 'STX_B' || :r)) IS TRUE FOR UPDATE OF mc;
SELECT id, merchant_id, status, device_id, receipt_number, trans_id, merchant_ref, transaction_ref, cardnumber, doc, created, updated FROM smart_transactions WHERE id = 'STX_B' || :r FOR UPDATE;
\endpipeline
SELECT nextval('ta_code_seq') AS ta \gset
\startpipeline
INSERT INTO loyalty_transactions SELECT 'LTX_B' || :r, merchant_id, (SELECT mcid FROM bench_cards WHERE k = :k), cardgroup_id, store_id, :ta, tid, status, amount, currency, balance, description, purpose, additional_data, receipt, figures, is_cancelling, revenue, 'STX_B' || :r, NULL, NULL, created, last_change FROM bench_ltx;
INSERT INTO bookings (ltx_id, seq, merchantcard_id, kind, balance_kind, amount) SELECT 'LTX_B' || :r, 0, mcid, 'bonus_collected', 'bonus', 80 FROM bench_cards WHERE k = :k;
UPDATE merchantcards SET cash_balance = cash_balance, bonus_balance = bonus_balance + 80, points = 0, last_usage = 1796411142, last_charge = last_charge WHERE id = (SELECT mcid FROM bench_cards WHERE k = :k);
UPDATE smart_transactions SET status = 'ok', device_id = device_id, receipt_number = NULL, trans_id = :ta, doc = (SELECT doc_ok FROM bench_vals), updated = 1796411143 WHERE id = 'STX_B' || :r;
WITH new AS (INSERT INTO events (id, merchant_id, device_id, target, kind, object_id, created, packed) SELECT 'EAC_B' || :r, :merchant, NULL, 'loyalty.transactions', 'added', 'LTX_B' || :r, 1796411142, p_ltx FROM bench_vals UNION ALL SELECT 'EAC_C' || :r, :merchant, NULL, 'loyalty.merchantcards', 'changed', 'MCD', 1796411142, p_mc FROM bench_vals UNION ALL SELECT 'EAC_D' || :r, :merchant, :device, 'smart.transactions', 'changed', 'STX_B' || :r, 1796411142, p_changed FROM bench_vals RETURNING pos, merchant_id) INSERT INTO event_queue (pos, merchant_id) SELECT pos, merchant_id FROM new;
COMMIT;
\endpipeline
