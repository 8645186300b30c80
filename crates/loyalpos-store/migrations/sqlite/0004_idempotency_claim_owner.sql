-- The request that claimed a key: only it may record the answer or release the claim, so a losing
-- duplicate can never delete the winner's claim or answer.
ALTER TABLE idempotency_keys ADD COLUMN claim_id TEXT;
