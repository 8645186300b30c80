impl IdempotencyTx for SqlTx<'_> {
    fn idempotency_record(&mut self, client_id: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        let q = "SELECT client_id, key, method, path, fingerprint, status, headers, body, created, claim_id \
                 FROM idempotency_keys WHERE client_id = $1 AND key = $2";
        self.q(q).bind(client_id).bind(key).fetch_optional()
    }

    fn claim_idempotency_key(&mut self, r: &IdempotencyRow) -> Result<bool> {
        let inserted = self
            .q(
                "INSERT INTO idempotency_keys (client_id, key, method, path, fingerprint, status, headers, body, created, claim_id) \
             VALUES ($1,$2,$3,$4,$5,NULL,NULL,NULL,$6,$7) ON CONFLICT (client_id, key) DO NOTHING",
            )
        .bind(&r.client_id)
        .bind(&r.key)
        .bind(&r.method)
        .bind(&r.path)
        .bind(&r.fingerprint)
        .bind(r.created)
            .bind(&r.claim_id)
            .execute()?;
        Ok(inserted == 1)
    }

    fn record_idempotent_response(&mut self, r: &IdempotencyRow) -> Result<()> {
        self.q(
            "INSERT INTO idempotency_keys (client_id, key, method, path, fingerprint, status, headers, body, created, claim_id) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) \
             ON CONFLICT (client_id, key) DO UPDATE SET status = excluded.status, headers = excluded.headers, \
             body = excluded.body WHERE idempotency_keys.claim_id = excluded.claim_id",
        )
        .bind(&r.client_id)
        .bind(&r.key)
        .bind(&r.method)
        .bind(&r.path)
        .bind(&r.fingerprint)
        .bind(r.status)
        .bind(&r.headers)
        .bind(&r.body)
        .bind(r.created)
        .bind(&r.claim_id)
        .execute()?;
        Ok(())
    }

    fn purge_idempotency_keys(&mut self, before: i64) -> Result<u64> {
        self.q("DELETE FROM idempotency_keys WHERE created < $1")
            .bind(before)
            .execute()
    }
}
