#[async_trait]
impl LoyaltyTx for SqlTx {
    async fn insert_cardgroup(&mut self, r: &CardgroupRow) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO cardgroups (",
            cardgroup_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.display_name)
        .bind(&r.picture)
        .bind(r.stock_warn_limit)
        .bind(&r.description)
        .bind(r.cancel_selected)
        .bind(&r.currency)
        .bind(r.bonus_rate)
        .bind(&r.bonus_base)
        .bind(&r.filter_mode)
        .bind(&r.filter_codes)
        .bind(&r.bonus_products)
        .bind(r.overdraft_allowed)
        .bind(r.overdraft_limit)
        .bind(r.passcode_policy)
        .bind(r.card_creation_via_stx)
        .bind(r.created)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn cardgroup(&mut self, id: &str) -> Result<Option<CardgroupRow>> {
        let q = concat!("SELECT ", cardgroup_cols!(), " FROM cardgroups WHERE id = $1");
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn cardgroups(&mut self, merchant_id: &str) -> Result<Vec<CardgroupRow>> {
        let q = concat!("SELECT ", cardgroup_cols!(), " FROM cardgroups WHERE merchant_id = $1");
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn update_cardgroup(&mut self, r: &CardgroupRow) -> Result<()> {
        sqlx::query(
            "UPDATE cardgroups SET display_name = $2, picture = $3, stock_warn_limit = $4, \
             description = $5, cancel_selected = $6, currency = $7, bonus_rate = $8, bonus_base = $9, \
             filter_mode = $10, filter_codes = $11, bonus_products = $12, overdraft_allowed = $13, \
             overdraft_limit = $14, passcode_policy = $15, card_creation_via_stx = $16 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.display_name)
        .bind(&r.picture)
        .bind(r.stock_warn_limit)
        .bind(&r.description)
        .bind(r.cancel_selected)
        .bind(&r.currency)
        .bind(r.bonus_rate)
        .bind(&r.bonus_base)
        .bind(&r.filter_mode)
        .bind(&r.filter_codes)
        .bind(&r.bonus_products)
        .bind(r.overdraft_allowed)
        .bind(r.overdraft_limit)
        .bind(r.passcode_policy)
        .bind(r.card_creation_via_stx)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn cardgroup_has_cards(&mut self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM merchantcards WHERE cardgroup_id = $1")
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n > 0)
    }

    async fn insert_card(&mut self, r: &CardRow) -> Result<()> {
        sqlx::query("INSERT INTO cards (id, cardnumber, account_id, created) VALUES ($1,$2,$3,$4)")
            .bind(&r.id)
            .bind(&r.cardnumber)
            .bind(&r.account_id)
            .bind(r.created)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn card(&mut self, id: &str) -> Result<Option<CardRow>> {
        let q = "SELECT id, cardnumber, account_id, created FROM cards WHERE id = $1";
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn card_by_number(&mut self, cardnumber: &str) -> Result<Option<CardRow>> {
        let q = "SELECT id, cardnumber, account_id, created FROM cards WHERE cardnumber = $1";
        Ok(sqlx::query_as(q).bind(cardnumber).fetch_optional(&mut *self.tx).await?)
    }

    async fn cards_of_merchant(&mut self, merchant_id: &str) -> Result<Vec<CardRow>> {
        let q = "SELECT c.id, c.cardnumber, c.account_id, c.created FROM cards c \
                 JOIN merchantcards m ON m.card_id = c.id WHERE m.merchant_id = $1";
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn update_card(&mut self, r: &CardRow) -> Result<()> {
        sqlx::query("UPDATE cards SET account_id = $2 WHERE id = $1")
            .bind(&r.id)
            .bind(&r.account_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_customer(&mut self, r: &CustomerRow) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO customers (",
            customer_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.merchant_contact)
        .bind(&r.customernumber)
        .bind(&r.note)
        .bind(r.consent)
        .bind(&r.additional_data)
        .bind(r.created)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn customer(&mut self, id: &str) -> Result<Option<CustomerRow>> {
        let q = concat!("SELECT ", customer_cols!(), " FROM customers WHERE id = $1");
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn customers(&mut self, merchant_id: &str) -> Result<Vec<CustomerRow>> {
        let q = concat!("SELECT ", customer_cols!(), " FROM customers WHERE merchant_id = $1");
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn update_customer(&mut self, r: &CustomerRow) -> Result<()> {
        sqlx::query(
            "UPDATE customers SET merchant_contact = $2, customernumber = $3, note = $4, consent = $5, \
             additional_data = $6 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.merchant_contact)
        .bind(&r.customernumber)
        .bind(&r.note)
        .bind(r.consent)
        .bind(&r.additional_data)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn insert_merchantcard(&mut self, r: &MerchantcardRow) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO merchantcards (",
            merchantcard_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.card_id)
        .bind(&r.cardgroup_id)
        .bind(&r.created_for_merchant_id)
        .bind(&r.created_for_store_id)
        .bind(&r.customer_id)
        .bind(r.customer_assignment_date)
        .bind(r.is_base_card)
        .bind(r.cash_balance)
        .bind(r.bonus_balance)
        .bind(r.points)
        .bind(r.last_usage)
        .bind(r.last_charge)
        .bind(&r.stock_status)
        .bind(&r.lock_status)
        .bind(r.lock_reason)
        .bind(&r.lock_note)
        .bind(r.expiry_date)
        .bind(&r.csc_hash)
        .bind(&r.passcode_hash)
        .bind(r.created)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn merchantcard(&mut self, id: &str) -> Result<Option<MerchantcardRow>> {
        let q = concat!("SELECT ", merchantcard_cols!(), " FROM merchantcards WHERE id = $1");
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn merchantcard_by_card(
        &mut self,
        merchant_id: &str,
        card_id: &str,
    ) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE merchant_id = $1 AND card_id = $2"
        );
        Ok(sqlx::query_as(q)
            .bind(merchant_id)
            .bind(card_id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn merchantcard_by_number(
        &mut self,
        merchant_id: &str,
        cardnumber: &str,
    ) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE merchant_id = $1 \
             AND card_id = (SELECT id FROM cards WHERE cardnumber = $2)"
        );
        Ok(sqlx::query_as(q)
            .bind(merchant_id)
            .bind(cardnumber)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn merchantcards(&mut self, merchant_id: &str) -> Result<Vec<MerchantcardRow>> {
        let q = concat!("SELECT ", merchantcard_cols!(), " FROM merchantcards WHERE merchant_id = $1");
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn lock_merchantcard(&mut self, id: &str) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE id = $1",
            for_update!()
        );
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn update_merchantcard(&mut self, r: &MerchantcardRow) -> Result<()> {
        sqlx::query(
            "UPDATE merchantcards SET cardgroup_id = $2, customer_id = $3, customer_assignment_date = $4, \
             cash_balance = $5, bonus_balance = $6, points = $7, last_usage = $8, last_charge = $9, \
             stock_status = $10, lock_status = $11, lock_reason = $12, lock_note = $13, \
             expiry_date = $14, csc_hash = $15, passcode_hash = $16 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.cardgroup_id)
        .bind(&r.customer_id)
        .bind(r.customer_assignment_date)
        .bind(r.cash_balance)
        .bind(r.bonus_balance)
        .bind(r.points)
        .bind(r.last_usage)
        .bind(r.last_charge)
        .bind(&r.stock_status)
        .bind(&r.lock_status)
        .bind(r.lock_reason)
        .bind(&r.lock_note)
        .bind(r.expiry_date)
        .bind(&r.csc_hash)
        .bind(&r.passcode_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn next_ta_code(&mut self) -> Result<i64> {
        let v: i64 = sqlx::query_scalar(next_ta_code_sql!()).fetch_one(&mut *self.tx).await?;
        Ok(v)
    }

    async fn raise_ta_code(&mut self, at_least: i64) -> Result<()> {
        sqlx::query(raise_ta_code_sql!()).bind(at_least).execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn insert_ltx(&mut self, r: &LtxRow, bookings: &[BookingRow]) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO loyalty_transactions (",
            ltx_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.merchantcard_id)
        .bind(&r.cardgroup_id)
        .bind(&r.store_id)
        .bind(r.trans_id)
        .bind(&r.tid)
        .bind(&r.status)
        .bind(r.amount)
        .bind(&r.currency)
        .bind(r.balance)
        .bind(&r.description)
        .bind(&r.purpose)
        .bind(&r.additional_data)
        .bind(&r.receipt)
        .bind(&r.figures)
        .bind(r.is_cancelling)
        .bind(r.revenue)
        .bind(&r.smart_transaction_id)
        .bind(&r.parent_id)
        .bind(&r.child_id)
        .bind(r.created)
        .bind(r.last_change)
        .execute(&mut *self.tx)
        .await?;
        for b in bookings {
            sqlx::query(
                "INSERT INTO bookings (ltx_id, seq, merchantcard_id, kind, balance_kind, amount) \
                 VALUES ($1,$2,$3,$4,$5,$6)",
            )
            .bind(&b.ltx_id)
            .bind(b.seq)
            .bind(&b.merchantcard_id)
            .bind(&b.kind)
            .bind(&b.balance_kind)
            .bind(b.amount)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn ltx(&mut self, id: &str) -> Result<Option<LtxRow>> {
        let q = concat!("SELECT ", ltx_cols!(), " FROM loyalty_transactions WHERE id = $1");
        Ok(sqlx::query_as(q).bind(id).fetch_optional(&mut *self.tx).await?)
    }

    async fn ltxs(&mut self, merchant_id: &str) -> Result<Vec<LtxRow>> {
        let q = concat!("SELECT ", ltx_cols!(), " FROM loyalty_transactions WHERE merchant_id = $1");
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn ltxs_of_card(&mut self, merchantcard_id: &str) -> Result<Vec<LtxRow>> {
        let q = concat!(
            "SELECT ",
            ltx_cols!(),
            " FROM loyalty_transactions WHERE merchantcard_id = $1 ORDER BY trans_id"
        );
        Ok(sqlx::query_as(q).bind(merchantcard_id).fetch_all(&mut *self.tx).await?)
    }

    async fn mark_ltx_cancelled(&mut self, id: &str, child_id: &str, at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE loyalty_transactions SET status = 'cancelled', child_id = $2, last_change = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(child_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn bookings_of(&mut self, ltx_id: &str) -> Result<Vec<BookingRow>> {
        let q = "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings \
                 WHERE ltx_id = $1 ORDER BY seq";
        Ok(sqlx::query_as(q).bind(ltx_id).fetch_all(&mut *self.tx).await?)
    }

    async fn bookings_of_merchant(&mut self, merchant_id: &str) -> Result<Vec<BookingRow>> {
        let q = "SELECT b.ltx_id, b.seq, b.merchantcard_id, b.kind, b.balance_kind, b.amount \
                 FROM bookings b JOIN loyalty_transactions l ON l.id = b.ltx_id \
                 WHERE l.merchant_id = $1 ORDER BY b.ltx_id, b.seq";
        Ok(sqlx::query_as(q).bind(merchant_id).fetch_all(&mut *self.tx).await?)
    }

    async fn bookings_of_card(&mut self, merchantcard_id: &str) -> Result<Vec<BookingRow>> {
        let q = "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings \
                 WHERE merchantcard_id = $1";
        Ok(sqlx::query_as(q).bind(merchantcard_id).fetch_all(&mut *self.tx).await?)
    }
}
