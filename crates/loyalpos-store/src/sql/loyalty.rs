impl LoyaltyTx for SqlTx<'_> {
    fn insert_cardgroup(&mut self, r: &CardgroupRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Cardgroup, &r.id);
        self.q(concat!(
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
        .execute()?;
        Ok(())
    }

    fn cardgroup(&mut self, id: &CardgroupId) -> Result<Option<CardgroupRow>> {
        let q = concat!("SELECT ", cardgroup_cols!(), " FROM cardgroups WHERE id = $1");
        self.cached(q, id)
    }

    fn cardgroups(&mut self, merchant_id: &MerchantId) -> Result<Vec<CardgroupRow>> {
        let q = concat!("SELECT ", cardgroup_cols!(), " FROM cardgroups WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn update_cardgroup(&mut self, r: &CardgroupRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Cardgroup, &r.id);
        self.q(
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
        .execute()?;
        Ok(())
    }

    fn cardgroup_has_cards(&mut self, id: &CardgroupId) -> Result<bool> {
        let n: i64 = self.q("SELECT COUNT(*) FROM merchantcards WHERE cardgroup_id = $1")
            .bind(id)
            .scalar()?;
        Ok(n > 0)
    }

    fn insert_card(&mut self, r: &CardRow) -> Result<()> {
        self.q("INSERT INTO cards (id, cardnumber, created) VALUES ($1,$2,$3)")
            .bind(&r.id)
            .bind(&r.cardnumber)
            .bind(r.created)
            .execute()?;
        Ok(())
    }

    fn card(&mut self, id: &CardId) -> Result<Option<CardRow>> {
        let q = "SELECT id, cardnumber, created FROM cards WHERE id = $1";
        self.q(q).bind(id).fetch_optional()
    }

    fn card_by_number(&mut self, cardnumber: &str) -> Result<Option<CardRow>> {
        let q = "SELECT id, cardnumber, created FROM cards WHERE cardnumber = $1";
        self.q(q).bind(cardnumber).fetch_optional()
    }

    fn cards_of_merchant(&mut self, merchant_id: &MerchantId) -> Result<Vec<CardRow>> {
        let q = "SELECT c.id, c.cardnumber, c.created FROM cards c \
                 JOIN merchantcards m ON m.card_id = c.id WHERE m.merchant_id = $1";
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn card_account(&mut self, merchant_id: &MerchantId, card_id: &CardId) -> Result<Option<String>> {
        let q = "SELECT account_id FROM card_assignments WHERE merchant_id = $1 AND card_id = $2";
        self.q(q).bind(merchant_id).bind(card_id).scalar_optional()
    }

    fn set_card_account(
        &mut self,
        merchant_id: &MerchantId,
        card_id: &CardId,
        account_id: Option<&str>,
    ) -> Result<()> {
        self.q("DELETE FROM card_assignments WHERE merchant_id = $1 AND card_id = $2")
            .bind(merchant_id)
            .bind(card_id)
            .execute()?;
        if let Some(account_id) = account_id {
            self.q(
                "INSERT INTO card_assignments (merchant_id, card_id, account_id) VALUES ($1,$2,$3)",
            )
            .bind(merchant_id)
            .bind(card_id)
            .bind(account_id)
            .execute()?;
        }
        Ok(())
    }

    fn insert_customer(&mut self, r: &CustomerRow) -> Result<()> {
        self.q(concat!(
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
        .execute()?;
        Ok(())
    }

    fn customer(&mut self, id: &CustomerId) -> Result<Option<CustomerRow>> {
        let q = concat!("SELECT ", customer_cols!(), " FROM customers WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn customers(&mut self, merchant_id: &MerchantId) -> Result<Vec<CustomerRow>> {
        let q = concat!("SELECT ", customer_cols!(), " FROM customers WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn update_customer(&mut self, r: &CustomerRow) -> Result<()> {
        self.q(
            "UPDATE customers SET merchant_contact = $2, customernumber = $3, note = $4, consent = $5, \
             additional_data = $6 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.merchant_contact)
        .bind(&r.customernumber)
        .bind(&r.note)
        .bind(r.consent)
        .bind(&r.additional_data)
        .execute()?;
        Ok(())
    }

    fn insert_merchantcard(&mut self, r: &MerchantcardRow) -> Result<()> {
        self.q(concat!(
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
        .bind(r.stock_status)
        .bind(r.lock_status)
        .bind(r.lock_reason)
        .bind(&r.lock_note)
        .bind(r.expiry_date)
        .bind(&r.csc_hash)
        .bind(&r.passcode_hash)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn merchantcard(&mut self, id: &MerchantcardId) -> Result<Option<MerchantcardRow>> {
        let q = concat!("SELECT ", merchantcard_cols!(), " FROM merchantcards WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn merchantcard_by_card(
        &mut self,
        merchant_id: &MerchantId,
        card_id: &CardId,
    ) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE merchant_id = $1 AND card_id = $2"
        );
        self.q(q)
            .bind(merchant_id)
            .bind(card_id)
            .fetch_optional()
    }

    fn merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE ",
            merchantcard_of_number!("merchantcards")
        );
        self.q(q)
            .bind(merchant_id)
            .bind(cardnumber)
            .fetch_optional()
    }

    fn full_merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<FullMerchantcard>> {
        self.full_merchantcard(
            full_merchantcard_query!(merchantcard_of_number!("mc"), ""),
            merchant_id,
            cardnumber,
        )
    }

    fn lock_full_merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<FullMerchantcard>> {
        self.full_merchantcard(
            full_merchantcard_query!(merchantcard_of_number!("mc"), lock_merchantcard_row!()),
            merchant_id,
            cardnumber,
        )
    }

    fn merchantcards(&mut self, merchant_id: &MerchantId) -> Result<Vec<MerchantcardRow>> {
        let q = concat!("SELECT ", merchantcard_cols!(), " FROM merchantcards WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn lock_merchantcard(&mut self, id: &MerchantcardId) -> Result<Option<MerchantcardRow>> {
        let q = concat!(
            "SELECT ",
            merchantcard_cols!(),
            " FROM merchantcards WHERE id = $1",
            for_update!()
        );
        self.q(q).bind(id).fetch_optional()
    }

    fn update_merchantcard(&mut self, r: &MerchantcardRow) -> Result<()> {
        self.q(
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
        .bind(r.stock_status)
        .bind(r.lock_status)
        .bind(r.lock_reason)
        .bind(&r.lock_note)
        .bind(r.expiry_date)
        .bind(&r.csc_hash)
        .bind(&r.passcode_hash)
        .execute()?;
        Ok(())
    }

    fn update_merchantcard_balances(&mut self, r: &MerchantcardRow) -> Result<()> {
        self.q(
            "UPDATE merchantcards SET cash_balance = $2, bonus_balance = $3, points = $4, \
             last_usage = $5, last_charge = $6 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(r.cash_balance)
        .bind(r.bonus_balance)
        .bind(r.points)
        .bind(r.last_usage)
        .bind(r.last_charge)
        .execute_later()
    }

    fn next_ta_code(&mut self) -> Result<i64> {
        let v: i64 = self.q(next_ta_code_sql!()).scalar()?;
        Ok(v)
    }

    fn raise_ta_code(&mut self, at_least: i64) -> Result<()> {
        self.q(raise_ta_code_sql!()).bind(at_least).execute()?;
        Ok(())
    }

    fn insert_ltx(&mut self, r: &LtxRow, bookings: &[BookingRow]) -> Result<()> {
        self.q(concat!(
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
        .bind(r.status)
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
        .execute_later()?;
        if bookings.is_empty() {
            return Ok(());
        }
        // All bookings of the transaction in one statement.
        let values: Vec<String> = (0..bookings.len())
            .map(|i| {
                let p = i * 6;
                format!("(${},${},${},${},${},${})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6)
            })
            .collect();
        let sql = format!(
            "INSERT INTO bookings (ltx_id, seq, merchantcard_id, kind, balance_kind, amount) VALUES {}",
            values.join(",")
        );
        let args = bookings.iter().flat_map(|b| {
            [
                Arg::from(&b.ltx_id),
                Arg::from(b.seq),
                Arg::from(&b.merchantcard_id),
                Arg::from(b.kind),
                Arg::from(b.balance_kind),
                Arg::from(b.amount),
            ]
        });
        self.q(&sql).bind_all(args).execute_later()
    }

    fn ltx(&mut self, id: &LtxId) -> Result<Option<LtxRow>> {
        let q = concat!("SELECT ", ltx_cols!(), " FROM loyalty_transactions WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn ltxs(&mut self, merchant_id: &MerchantId) -> Result<Vec<LtxRow>> {
        let q = concat!("SELECT ", ltx_cols!(), " FROM loyalty_transactions WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn ltxs_of_card(&mut self, merchantcard_id: &MerchantcardId) -> Result<Vec<LtxRow>> {
        let q = concat!(
            "SELECT ",
            ltx_cols!(),
            " FROM loyalty_transactions WHERE merchantcard_id = $1 ORDER BY trans_id"
        );
        self.q(q).bind(merchantcard_id).fetch_all()
    }

    fn mark_ltx_cancelled(&mut self, id: &LtxId, child_id: &LtxId, at: i64) -> Result<()> {
        self.q(
            "UPDATE loyalty_transactions SET status = 'cancelled', child_id = $2, last_change = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(child_id)
        .bind(at)
        .execute()?;
        Ok(())
    }

    fn bookings_of(&mut self, ltx_id: &LtxId) -> Result<Vec<BookingRow>> {
        let q = "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings \
                 WHERE ltx_id = $1 ORDER BY seq";
        self.q(q).bind(ltx_id).fetch_all()
    }

    fn bookings_of_ltxs(&mut self, ltx_ids: &[LtxId]) -> Result<Vec<BookingRow>> {
        if ltx_ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=ltx_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings \
             WHERE ltx_id IN ({}) ORDER BY ltx_id, seq",
            params.join(",")
        );
        self.q(&sql).bind_all(ltx_ids.iter().map(Arg::from)).fetch_all()
    }

    fn bookings_of_card(&mut self, merchantcard_id: &MerchantcardId) -> Result<Vec<BookingRow>> {
        let q = "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings \
                 WHERE merchantcard_id = $1";
        self.q(q).bind(merchantcard_id).fetch_all()
    }
}

/// A merchant card, its card and customer from one joined row.
struct JoinedMerchantcard(MerchantcardRow, CardRow, Option<CustomerRow>);

impl FromRecord for JoinedMerchantcard {
    fn from_record(mut r: Record) -> Result<Self> {
        let customer = r.split_prefixed("cu_");
        let card = r.split_prefixed("c_");
        let customer = if customer.is_null() {
            None
        } else {
            Some(CustomerRow::from_record(customer)?)
        };
        Ok(JoinedMerchantcard(
            MerchantcardRow::from_record(r)?,
            CardRow::from_record(card)?,
            customer,
        ))
    }
}

impl SqlTx<'_> {
    /// One statement for the merchant card, its card and customer; the group from the cache.
    fn full_merchantcard(
        &mut self,
        sql: &str,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<FullMerchantcard>> {
        let joined = self
            .q(sql)
            .bind(merchant_id)
            .bind(cardnumber)
            .fetch_optional()?;
        self.with_group(joined)
    }

    /// The joined merchant card with its group (from the cache).
    fn with_group(
        &mut self,
        joined: Option<JoinedMerchantcard>,
    ) -> Result<Option<FullMerchantcard>> {
        let Some(JoinedMerchantcard(merchantcard, card, customer)) = joined else {
            return Ok(None);
        };
        let group = self.cardgroup(&merchantcard.cardgroup_id)?.ok_or_else(|| {
            StoreError::Internal(format!("card group {} missing", merchantcard.cardgroup_id))
        })?;
        Ok(Some(FullMerchantcard {
            merchantcard,
            card,
            group,
            customer,
        }))
    }
}
