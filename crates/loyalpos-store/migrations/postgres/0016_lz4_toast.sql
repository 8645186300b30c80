-- PostgreSQL compresses the values it moves out of a row (TOAST) with pglz by default: the smart
-- transactions' documents (3.3 KB of JSON on average in the register flow, written at create and
-- again at start) and the loyalty transactions' receipts and figures. LZ4 compresses and reads them
-- back several times faster for about the same size (BENCHMARKS.md, "LZ4 for TOAST"). Values written
-- before keep pglz and read as before. A PostgreSQL built without LZ4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE smart_transactions ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE loyalty_transactions ALTER COLUMN receipt SET COMPRESSION lz4;
    ALTER TABLE loyalty_transactions ALTER COLUMN figures SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: TOAST keeps pglz';
END
$$;
