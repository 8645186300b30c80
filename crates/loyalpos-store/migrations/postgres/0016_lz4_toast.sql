-- PostgreSQL compresses the values it moves out of a row (TOAST) with pglz by default: the smart
-- transactions' documents (2–5 KB of JSON in the register flow, written at create and again at
-- start) and the loyalty transactions' receipts and figures. LZ4 compresses and reads them back
-- with far less work: under the register flow pglz_compress took 1.3 % of the machine's two cores,
-- LZ4 0.2 % (BENCHMARKS.md, the LZ4 change of 2026-12-04). Values written before keep pglz and read
-- as before. A PostgreSQL built without LZ4 raises feature_not_supported here and keeps pglz.
DO $$
BEGIN
    ALTER TABLE smart_transactions ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE loyalty_transactions ALTER COLUMN receipt SET COMPRESSION lz4;
    ALTER TABLE loyalty_transactions ALTER COLUMN figures SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: TOAST keeps pglz';
END
$$;
