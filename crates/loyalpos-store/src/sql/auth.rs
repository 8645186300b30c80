#[async_trait]
impl AuthTx for SqlTx {
    async fn insert_client(&mut self, r: &ClientRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_clients (client_id, secret_hash, merchant_id, grants, created) \
             VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(&r.client_id)
        .bind(&r.secret_hash)
        .bind(&r.merchant_id)
        .bind(&r.grants)
        .bind(r.created)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn client(&mut self, client_id: &str) -> Result<Option<ClientRow>> {
        let q = "SELECT client_id, secret_hash, merchant_id, grants, created FROM api_clients \
                 WHERE client_id = $1";
        Ok(sqlx::query_as(q).bind(client_id).fetch_optional(&mut *self.tx).await?)
    }

    async fn insert_user(&mut self, r: &UserRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, merchant_id, username, password_hash, created) VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.username)
        .bind(&r.password_hash)
        .bind(r.created)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>> {
        let q = "SELECT id, merchant_id, username, password_hash, created FROM users WHERE username = $1";
        Ok(sqlx::query_as(q).bind(username).fetch_optional(&mut *self.tx).await?)
    }

    async fn user(&mut self, id: &str) -> Result<Option<UserRow>> {
        let q = "SELECT id, merchant_id, username, password_hash, created FROM users WHERE id = $1";
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn merchant_has_user(&mut self, merchant_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n > 0)
    }

    async fn insert_authorization(&mut self, r: &AuthorizationRow) -> Result<()> {
        sqlx::query(concat!(
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
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn authorization(&mut self, id: &str) -> Result<Option<AuthorizationRow>> {
        let q = concat!("SELECT ", authorization_cols!(), " FROM authorizations WHERE id = $1");
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn authorization_by_refresh(
        &mut self,
        refresh_hash: &str,
    ) -> Result<Option<AuthorizationRow>> {
        let q = concat!(
            "SELECT ",
            authorization_cols!(),
            " FROM authorizations WHERE refresh_hash = $1 AND revoked = $2"
        );
        Ok(sqlx::query_as(q)
            .bind(refresh_hash)
            .bind(false)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn insert_token(&mut self, r: &TokenRow) -> Result<()> {
        sqlx::query(concat!(
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
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn revoke_tokens_of(&mut self, authorization_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE access_tokens SET revoked = $2 WHERE authorization_id = $1 AND revoked = $3",
        )
        .bind(authorization_id)
        .bind(true)
        .bind(false)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn device_online(&mut self, device_id: &str, now: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_tokens WHERE device_id = $1 AND revoked = $2 \
             AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(device_id)
        .bind(false)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(n > 0)
    }

    async fn insert_registration(&mut self, r: &RegistrationRow) -> Result<()> {
        sqlx::query(concat!(
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
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn registration(&mut self, device_code_hash: &str) -> Result<Option<RegistrationRow>> {
        let q = concat!(
            "SELECT ",
            registration_cols!(),
            " FROM device_registrations WHERE device_code_hash = $1",
            for_update!()
        );
        Ok(sqlx::query_as(q)
            .bind(device_code_hash)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn registration_by_user_code(
        &mut self,
        user_code: &str,
    ) -> Result<Option<RegistrationRow>> {
        let q = concat!(
            "SELECT ",
            registration_cols!(),
            " FROM device_registrations WHERE user_code = $1",
            for_update!()
        );
        Ok(sqlx::query_as(q).bind(user_code).fetch_optional(&mut *self.tx).await?)
    }

    async fn update_registration(&mut self, r: &RegistrationRow) -> Result<()> {
        sqlx::query(
            "UPDATE device_registrations SET state = $2, merchant_id = $3, device_id = $4, \
             store_id = $5, authorization_id = $6 WHERE device_code_hash = $1",
        )
        .bind(&r.device_code_hash)
        .bind(&r.state)
        .bind(&r.merchant_id)
        .bind(&r.device_id)
        .bind(&r.store_id)
        .bind(&r.authorization_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
