impl AuthTx for SqlTx<'_> {
    fn insert_client(&mut self, r: &ClientRow) -> Result<()> {
        self.q(
            "INSERT INTO api_clients (client_id, secret_hash, merchant_id, grants, created) \
             VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(&r.client_id)
        .bind(&r.secret_hash)
        .bind(&r.merchant_id)
        .bind(&r.grants)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn client(&mut self, client_id: &str) -> Result<Option<ClientRow>> {
        // A revoked client is unknown to every grant (`AdminTx::client_entry` still finds it).
        let q = "SELECT client_id, secret_hash, merchant_id, grants, created FROM api_clients \
                 WHERE client_id = $1 AND revoked_at IS NULL";
        self.q(q).bind(client_id).fetch_optional()
    }

    fn insert_user(&mut self, r: &UserRow) -> Result<()> {
        self.q(
            "INSERT INTO users (id, merchant_id, username, password_hash, created) VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.username)
        .bind(&r.password_hash)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>> {
        // A disabled user cannot sign in (`AdminTx::user_entry` still finds it); the back
        // office's operator (no merchant) is no user of the API.
        let q = "SELECT id, merchant_id, username, password_hash, created FROM users \
                 WHERE username = $1 AND disabled_at IS NULL AND merchant_id IS NOT NULL";
        self.q(q).bind(username).fetch_optional()
    }

    fn user(&mut self, id: &str) -> Result<Option<UserRow>> {
        let q = "SELECT id, merchant_id, username, password_hash, created FROM users \
                 WHERE id = $1 AND merchant_id IS NOT NULL";
        self.q(q).bind(id).fetch_optional()
    }

    fn update_user_password(&mut self, id: &str, password_hash: &str) -> Result<()> {
        self.q("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .execute()?;
        Ok(())
    }

    fn merchant_has_user(&mut self, merchant_id: &MerchantId) -> Result<bool> {
        let n: i64 = self.q("SELECT COUNT(*) FROM users WHERE merchant_id = $1")
            .bind(merchant_id)
            .scalar()?;
        Ok(n > 0)
    }

    fn insert_authorization(&mut self, r: &AuthorizationRow) -> Result<()> {
        self.q(concat!(
            "INSERT INTO authorizations (",
            authorization_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
        ))
        .bind(&r.id)
        .bind(&r.kind)
        .bind(&r.merchant_id)
        .bind(&r.client_id)
        .bind(&r.device_id)
        .bind(&r.store_id)
        .bind(&r.user_id)
        .bind(&r.refresh_hash)
        .bind(r.revoked)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn authorization(&mut self, id: &str) -> Result<Option<AuthorizationRow>> {
        let q = concat!("SELECT ", authorization_cols!(), " FROM authorizations WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn authorization_by_refresh(
        &mut self,
        refresh_hash: &str,
    ) -> Result<Option<AuthorizationRow>> {
        let q = concat!(
            "SELECT ",
            authorization_cols!(),
            " FROM authorizations WHERE refresh_hash = $1 AND revoked = $2"
        );
        self.q(q)
            .bind(refresh_hash)
            .bind(false)
            .fetch_optional()
    }

    fn live_token(&mut self, token_hash: &str) -> Result<Option<TokenRow>> {
        let (cache, dirty) = (self.cache, &self.dirty);
        cache.through(dirty, token_hash, || {
            Q::new(&mut *self.driver, live_token_query!())
                .bind(token_hash)
                .bind(false)
                .fetch_optional()
        })
    }

    fn insert_token(&mut self, r: &TokenRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Token, &r.token_hash);
        self.q(concat!(
            "INSERT INTO access_tokens (",
            token_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        ))
        .bind(&r.token_hash)
        .bind(&r.kind)
        .bind(&r.merchant_id)
        .bind(&r.client_id)
        .bind(&r.device_id)
        .bind(&r.store_id)
        .bind(&r.user_id)
        .bind(&r.authorization_id)
        .bind(r.expires_at)
        .bind(r.demo_only)
        .bind(r.revoked)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn revoke_tokens_of(&mut self, authorization_id: &str) -> Result<()> {
        self.cache.revoked_tokens(&mut self.dirty);
        self.q(
            "UPDATE access_tokens SET revoked = $2 WHERE authorization_id = $1 AND revoked = $3",
        )
        .bind(authorization_id)
        .bind(true)
        .bind(false)
        .execute()?;
        Ok(())
    }

    fn device_token_live(&mut self, device_id: &DeviceId, now: i64) -> Result<bool> {
        let n: i64 = self
            .q("SELECT COUNT(*) FROM access_tokens WHERE device_id = $1 AND revoked = $2 \
             AND (expires_at IS NULL OR expires_at > $3)")
            .bind(device_id)
            .bind(false)
            .bind(now)
            .scalar()?;
        Ok(n > 0)
    }

    fn device_sessions_until(&mut self, device_id: &DeviceId) -> Result<Option<i64>> {
        self.q("SELECT MAX(online_until) FROM device_sessions WHERE device_id = $1")
            .bind(device_id)
            .scalar()
    }

    fn refresh_device_session(
        &mut self,
        session: &str,
        device_id: &DeviceId,
        until: i64,
    ) -> Result<()> {
        self.q(
            "INSERT INTO device_sessions (session, device_id, online_until) VALUES ($1, $2, $3) \
             ON CONFLICT (session) DO UPDATE SET online_until = excluded.online_until, ended = NULL",
        )
        .bind(session)
        .bind(device_id)
        .bind(until)
        .execute()?;
        Ok(())
    }

    fn end_device_session(&mut self, session: &str, now: i64) -> Result<bool> {
        let ended = self
            .q(
                "UPDATE device_sessions SET ended = $2, \
                 online_until = CASE WHEN online_until > $2 THEN $2 ELSE online_until END \
                 WHERE session = $1 AND ended IS NULL",
            )
            .bind(session)
            .bind(now)
            .execute()?;
        Ok(ended > 0)
    }

    fn purge_device_sessions(&mut self, before: i64) -> Result<u64> {
        self.q("DELETE FROM device_sessions WHERE online_until < $1")
            .bind(before)
            .execute()
    }

    fn insert_registration(&mut self, r: &RegistrationRow) -> Result<()> {
        self.q(concat!(
            "INSERT INTO device_registrations (",
            registration_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        ))
        .bind(&r.device_code_hash)
        .bind(&r.user_code)
        .bind(&r.client_id)
        .bind(&r.uuid)
        .bind(&r.state)
        .bind(&r.merchant_id)
        .bind(&r.device_id)
        .bind(&r.store_id)
        .bind(&r.authorization_id)
        .bind(r.expires_at)
        .bind(r.reusable)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn registration(&mut self, device_code_hash: &str) -> Result<Option<RegistrationRow>> {
        let q = concat!(
            "SELECT ",
            registration_cols!(),
            " FROM device_registrations WHERE device_code_hash = $1",
            for_update!()
        );
        self.q(q)
            .bind(device_code_hash)
            .fetch_optional()
    }

    fn registration_by_user_code(
        &mut self,
        user_code: &str,
    ) -> Result<Option<RegistrationRow>> {
        let q = concat!(
            "SELECT ",
            registration_cols!(),
            " FROM device_registrations WHERE user_code = $1",
            for_update!()
        );
        self.q(q).bind(user_code).fetch_optional()
    }

    fn update_registration(&mut self, r: &RegistrationRow) -> Result<()> {
        self.q(
            "UPDATE device_registrations SET state = $2, merchant_id = $3, device_id = $4, \
             store_id = $5, authorization_id = $6 WHERE device_code_hash = $1",
        )
        .bind(&r.device_code_hash)
        .bind(&r.state)
        .bind(&r.merchant_id)
        .bind(&r.device_id)
        .bind(&r.store_id)
        .bind(&r.authorization_id)
        .execute()?;
        Ok(())
    }
}
