-- TA codes come from a sequence: nextval takes no row lock, so bookings of different cards no longer
-- queue on one counter row until their commit. Codes stay unique and increasing; gaps are allowed.
CREATE SEQUENCE ta_code_seq;
SELECT setval('ta_code_seq', (SELECT value FROM counters WHERE name = 'ta_code'));
