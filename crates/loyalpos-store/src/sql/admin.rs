// The operator's lists and revocations (`admin.rs`). A revocation writes no cached row except
// tokens, which it drops from this process's cache; other processes stop using theirs within
// the cache's one second.

macro_rules! client_entry_cols {
    () => {
        "client_id, merchant_id, grants, created, revoked_at FROM api_clients"
    };
}
macro_rules! device_entry_cols {
    () => {
        "id, merchant_id, store_id, vendor_uid, created, revoked_at FROM devices"
    };
}
macro_rules! user_entry_cols {
    () => {
        // The back office's operator has no merchant: listed as `operator`.
        "id, COALESCE(merchant_id, 'operator') AS merchant_id, username, created, disabled_at \
         FROM users"
    };
}
macro_rules! of_merchant {
    () => {
        " WHERE (CAST($1 AS TEXT) IS NULL OR merchant_id = $1)"
    };
}

impl AdminTx for SqlTx<'_> {
    fn client_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<ClientEntry>> {
        let q = concat!(
            "SELECT ",
            client_entry_cols!(),
            of_merchant!(),
            " ORDER BY created, client_id"
        );
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn client_entry(&mut self, client_id: &str) -> Result<Option<ClientEntry>> {
        let q = concat!("SELECT ", client_entry_cols!(), " WHERE client_id = $1");
        self.q(q).bind(client_id).fetch_optional()
    }

    fn device_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<DeviceEntry>> {
        let q = concat!(
            "SELECT ",
            device_entry_cols!(),
            of_merchant!(),
            " ORDER BY created, id"
        );
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn device_entry(&mut self, id: &str) -> Result<Option<DeviceEntry>> {
        let q = concat!("SELECT ", device_entry_cols!(), " WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn user_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<UserEntry>> {
        let q = concat!(
            "SELECT ",
            user_entry_cols!(),
            of_merchant!(),
            " ORDER BY created, id"
        );
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn user_entry(&mut self, id_or_username: &str) -> Result<Option<UserEntry>> {
        let by_id = concat!("SELECT ", user_entry_cols!(), " WHERE id = $1");
        if let Some(user) = self.q(by_id).bind(id_or_username).fetch_optional()? {
            return Ok(Some(user));
        }
        let by_name = concat!("SELECT ", user_entry_cols!(), " WHERE username = $1");
        self.q(by_name).bind(id_or_username).fetch_optional()
    }

    fn device_revoked(&mut self, id: &str) -> Result<bool> {
        let n: i64 = self
            .q("SELECT COUNT(*) FROM devices WHERE id = $1 AND revoked_at IS NOT NULL")
            .bind(id)
            .scalar()?;
        Ok(n > 0)
    }

    fn user_disabled(&mut self, id: &str) -> Result<bool> {
        let n: i64 = self
            .q("SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NOT NULL")
            .bind(id)
            .scalar()?;
        Ok(n > 0)
    }

    fn mark_client_revoked(&mut self, client_id: &str, at: i64) -> Result<()> {
        self.q("UPDATE api_clients SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL")
            .bind(client_id)
            .bind(at)
            .execute()?;
        Ok(())
    }

    fn mark_device_revoked(&mut self, id: &str, at: i64) -> Result<()> {
        self.q("UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(at)
            .execute()?;
        Ok(())
    }

    fn mark_user_disabled(&mut self, id: &str, at: i64) -> Result<()> {
        self.q("UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL")
            .bind(id)
            .bind(at)
            .execute()?;
        Ok(())
    }

    fn revoke_tokens_by(&mut self, owner: Owner<'_>) -> Result<u64> {
        self.cache.revoked_tokens(&mut self.dirty);
        let (q, id) = match owner {
            Owner::Client(id) => (
                "UPDATE access_tokens SET revoked = $2 WHERE client_id = $1 AND revoked = $3",
                id,
            ),
            Owner::Device(id) => (
                "UPDATE access_tokens SET revoked = $2 WHERE device_id = $1 AND revoked = $3",
                id,
            ),
            Owner::User(id) => (
                "UPDATE access_tokens SET revoked = $2 WHERE user_id = $1 AND revoked = $3",
                id,
            ),
        };
        self.q(q).bind(id).bind(true).bind(false).execute()
    }

    fn revoke_authorizations_by(&mut self, owner: Owner<'_>) -> Result<u64> {
        let (q, registrations, id) = match owner {
            Owner::Client(id) => (
                "UPDATE authorizations SET revoked = $2 WHERE client_id = $1 AND revoked = $3",
                Some(
                    "UPDATE device_registrations SET state = 'consumed' \
                     WHERE client_id = $1 AND state <> 'consumed'",
                ),
                id,
            ),
            Owner::Device(id) => (
                "UPDATE authorizations SET revoked = $2 WHERE device_id = $1 AND revoked = $3",
                Some(
                    "UPDATE device_registrations SET state = 'consumed' \
                     WHERE device_id = $1 AND state <> 'consumed'",
                ),
                id,
            ),
            Owner::User(id) => (
                "UPDATE authorizations SET revoked = $2 WHERE user_id = $1 AND revoked = $3",
                None,
                id,
            ),
        };
        if let Some(registrations) = registrations {
            self.q(registrations).bind(id).execute()?;
        }
        self.q(q).bind(id).bind(true).bind(false).execute()
    }
}
