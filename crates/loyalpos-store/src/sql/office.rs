impl OfficeTx for SqlTx<'_> {
    fn office_user(&mut self, username: &str) -> Result<Option<OfficeUserRow>> {
        let q = "SELECT id, merchant_id, username, password_hash, role FROM users \
                 WHERE username = $1 AND disabled_at IS NULL";
        self.q(q).bind(username).fetch_optional()
    }

    fn set_user_role(&mut self, user_id: &str, role: &str) -> Result<()> {
        self.q("UPDATE users SET role = $2 WHERE id = $1")
            .bind(user_id)
            .bind(role)
            .execute()?;
        Ok(())
    }

    fn merchant_users(&mut self, merchant_id: &MerchantId) -> Result<Vec<OfficeUserListRow>> {
        let q = "SELECT id, username, role, created, disabled_at FROM users \
                 WHERE merchant_id = $1 ORDER BY username";
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn end_office_sessions_of(&mut self, user_id: &str) -> Result<()> {
        self.q("DELETE FROM office_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute()?;
        Ok(())
    }

    fn latest_sign_in_failures(&mut self, username: &str, limit: i64) -> Result<Vec<i64>> {
        let q = "SELECT at FROM sign_in_failures WHERE username = $1 ORDER BY at DESC LIMIT $2";
        let rows: Vec<crate::office::FailureRow> = self.q(q).bind(username).bind(limit).fetch_all()?;
        Ok(rows.into_iter().map(|r| r.at).collect())
    }

    fn record_sign_in_failure(&mut self, username: &str, at: i64) -> Result<()> {
        self.q("INSERT INTO sign_in_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(at)
            .execute()?;
        Ok(())
    }

    fn clear_sign_in_failures(&mut self, username: &str, before: i64) -> Result<()> {
        self.q("DELETE FROM sign_in_failures WHERE username = $1 OR at < $2")
            .bind(username)
            .bind(before)
            .execute()?;
        Ok(())
    }

    fn insert_office_session(
        &mut self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        lang: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.q(
            "INSERT INTO office_sessions (id_hash, user_id, csrf, lang, created, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(lang)
        .bind(now)
        .execute()?;
        Ok(())
    }

    fn office_session(&mut self, id_hash: &str) -> Result<Option<OfficeSessionRow>> {
        let q = "SELECT s.id_hash, s.user_id, s.csrf, s.lang, s.created, s.last_seen, \
                 u.username, u.role, u.merchant_id, s.merchant_id AS switched_merchant_id, \
                 m.companyname AS switched_merchant_name \
                 FROM office_sessions s JOIN users u ON u.id = s.user_id \
                 LEFT JOIN merchants m ON m.id = s.merchant_id \
                 WHERE s.id_hash = $1 AND u.disabled_at IS NULL";
        self.q(q).bind(id_hash).fetch_optional()
    }

    fn touch_office_session(
        &mut self,
        id_hash: &str,
        last_seen: i64,
        lang: Option<&str>,
    ) -> Result<()> {
        self.q("UPDATE office_sessions SET last_seen = $2, lang = $3 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(last_seen)
            .bind(lang)
            .execute()?;
        Ok(())
    }

    fn delete_office_session(&mut self, id_hash: &str) -> Result<()> {
        self.q("DELETE FROM office_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute()?;
        Ok(())
    }

    fn set_office_session_merchant(
        &mut self,
        id_hash: &str,
        merchant_id: Option<&MerchantId>,
    ) -> Result<()> {
        self.q("UPDATE office_sessions SET merchant_id = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(merchant_id)
            .execute()?;
        Ok(())
    }

    fn insert_operator(
        &mut self,
        id: &str,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<()> {
        self.q(
            "INSERT INTO users (id, merchant_id, username, password_hash, created, role) \
             VALUES ($1, NULL, $2, $3, $4, 'operator')",
        )
        .bind(id)
        .bind(username)
        .bind(password_hash)
        .bind(now)
        .execute()?;
        Ok(())
    }

    fn merchants_page(
        &mut self,
        after: Option<&MerchantId>,
        limit: i64,
    ) -> Result<Vec<OfficeMerchantRow>> {
        let q = "SELECT id, companyname, created FROM merchants \
                 WHERE (CAST($1 AS TEXT) IS NULL OR id > $1) ORDER BY id LIMIT $2";
        self.q(q).bind(after).bind(limit).fetch_all()
    }

    fn purge_office_sessions(&mut self, idle_before: i64, created_before: i64) -> Result<u64> {
        self.q("DELETE FROM office_sessions WHERE last_seen < $1 OR created < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute()
    }

    fn insert_audit(
        &mut self,
        merchant_id: &MerchantId,
        at: i64,
        actor: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<()> {
        self.q(
            "INSERT INTO audit_trail (merchant_id, at, actor, action, object, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(merchant_id)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(detail)
        .execute()?;
        Ok(())
    }

    fn audit_page(
        &mut self,
        merchant_id: &MerchantId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let q = "SELECT id, merchant_id, at, actor, action, object, detail FROM audit_trail \
                 WHERE merchant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        self.q(q)
            .bind(merchant_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all()
    }

    fn recent_ltxs(&mut self, merchant_id: &MerchantId, limit: i64) -> Result<Vec<LtxRow>> {
        let q = concat!(
            "SELECT ",
            ltx_cols!(),
            " FROM loyalty_transactions WHERE merchant_id = $1 \
             ORDER BY created DESC, trans_id DESC LIMIT $2"
        );
        self.q(q).bind(merchant_id).bind(limit).fetch_all()
    }

    fn ltxs_in_period(
        &mut self,
        merchant_id: &MerchantId,
        from: i64,
        to: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LtxRow>> {
        let q = concat!(
            "SELECT ",
            ltx_cols!(),
            " FROM loyalty_transactions WHERE merchant_id = $1 AND created >= $2 AND created < $3 \
             AND trans_id > $4 ORDER BY trans_id LIMIT $5"
        );
        self.q(q)
            .bind(merchant_id)
            .bind(from)
            .bind(to)
            .bind(after)
            .bind(limit)
            .fetch_all()
    }

    fn card_numbers(&mut self, merchantcard_ids: &[MerchantcardId]) -> Result<Vec<(String, String)>> {
        if merchantcard_ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=merchantcard_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT m.id AS id, c.cardnumber AS cardnumber FROM merchantcards m \
             JOIN cards c ON c.id = m.card_id WHERE m.id IN ({})",
            params.join(",")
        );
        let rows: Vec<crate::office::CardNumberRow> = self
            .q(&sql)
            .bind_all(merchantcard_ids.iter().map(Arg::from))
            .fetch_all()?;
        Ok(rows.into_iter().map(|r| (r.id, r.cardnumber)).collect())
    }

    fn transactions_per_hour(
        &mut self,
        merchant_id: &MerchantId,
        since: i64,
    ) -> Result<Vec<HourOfTransactions>> {
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
        let q = "SELECT created / 3600 AS hour, COUNT(*) AS bookings, \
                 CAST(SUM(revenue) AS BIGINT) AS revenue FROM loyalty_transactions \
                 WHERE merchant_id = $1 AND created >= $2 GROUP BY created / 3600";
        self.q(q).bind(merchant_id).bind(since).fetch_all()
    }

    fn bookings_per_hour(&mut self, merchant_id: &MerchantId, since: i64) -> Result<Vec<HourOfBookings>> {
        // CROSS JOIN keeps SQLite's planner from scanning every booking: the period's transactions
        // (by their merchant/created index) drive, each finds its bookings by key. PostgreSQL reads
        // it (the condition in WHERE, as PostgreSQL's CROSS JOIN takes no ON) as the inner join it is.
        let q = "SELECT l.created / 3600 AS hour, b.kind AS kind, \
                 CAST(SUM(b.amount) AS BIGINT) AS amount \
                 FROM loyalty_transactions l CROSS JOIN bookings b \
                 WHERE b.ltx_id = l.id AND l.merchant_id = $1 AND l.created >= $2 \
                 GROUP BY l.created / 3600, b.kind";
        self.q(q).bind(merchant_id).bind(since).fetch_all()
    }

    fn payments_per_hour(
        &mut self,
        merchant_id: &MerchantId,
        from: i64,
        to: i64,
    ) -> Result<Vec<HourOfPayments>> {
        // The payment method and amounts live in the transaction's document: read for the
        // period's rows only (index smart_transactions_status: merchant, status, created). Service
        // transactions (endOfDay, diagnosis) have no payment method and are no payments.
        let (method, amount) = if LIST_ON_POSTGRES {
            (
                "(doc::json ->> 'payment_method')",
                "COALESCE((doc::json ->> 'terminal_amount')::bigint, (doc::json ->> 'sum')::bigint)",
            )
        } else {
            (
                "json_extract(stx_doc(doc), '$.payment_method')",
                "COALESCE(json_extract(stx_doc(doc), '$.terminal_amount'), json_extract(stx_doc(doc), '$.sum'))",
            )
        };
        let q = format!(
            "SELECT device_id, created / 3600 AS hour, {method} AS method, COUNT(*) AS payments, \
             CAST(SUM({amount}) AS BIGINT) AS amount FROM smart_transactions \
             WHERE merchant_id = $1 AND status = 'ok' AND created >= $2 AND created < $3 \
             AND {method} IS NOT NULL GROUP BY 1, 2, 3"
        );
        self.q(&q)
            .bind(merchant_id)
            .bind(from)
            .bind(to)
            .fetch_all()
    }

    fn cards_in_use_since(&mut self, merchant_id: &MerchantId, since: i64) -> Result<i64> {
        // Index merchantcards_last_usage: one entry per card used since, no booking read.
        let q = "SELECT COUNT(*) FROM merchantcards WHERE merchant_id = $1 AND last_usage >= $2";
        self.q(q).bind(merchant_id).bind(since).scalar()
    }

    fn day_figures(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DayFiguresRow>> {
        let q = "SELECT day, turnover, bookings, bonus_granted, bonus_redeemed, cash_redeemed \
                 FROM office_day_figures \
                 WHERE merchant_id = $1 AND zone = $2 AND day >= $3 AND day <= $4 ORDER BY day";
        self.q(q)
            .bind(merchant_id)
            .bind(zone)
            .bind(from)
            .bind(to)
            .fetch_all()
    }

    fn keep_day_figures(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        days: &[DayFiguresRow],
    ) -> Result<()> {
        for d in days {
            self.q(
                "INSERT INTO office_day_figures (merchant_id, zone, day, turnover, bookings, \
                 bonus_granted, bonus_redeemed, cash_redeemed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(merchant_id)
            .bind(zone)
            .bind(d.day.as_str())
            .bind(d.turnover)
            .bind(d.bookings)
            .bind(d.bonus_granted)
            .bind(d.bonus_redeemed)
            .bind(d.cash_redeemed)
            .execute()?;
        }
        Ok(())
    }

    fn forget_day_figures(&mut self, merchant_id: &MerchantId) -> Result<()> {
        self.q("DELETE FROM office_day_figures WHERE merchant_id = $1")
            .bind(merchant_id)
            .execute()?;
        self.count_payment_generation(merchant_id)?;
        self.q("DELETE FROM office_day_payments WHERE merchant_id = $1")
            .bind(merchant_id)
            .execute()?;
        self.q("DELETE FROM office_payment_days WHERE merchant_id = $1")
            .bind(merchant_id)
            .execute()?;
        Ok(())
    }

    fn payment_generation(&mut self, merchant_id: &MerchantId) -> Result<i64> {
        let q = "SELECT COALESCE(MAX(generation), 0) FROM office_payment_generations \
                 WHERE merchant_id = $1";
        self.q(q).bind(merchant_id).scalar()
    }

    fn kept_payment_days(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        from: &str,
        to: &str,
    ) -> Result<(Vec<String>, Vec<DayPaymentsRow>)> {
        let days: Vec<crate::office::KeptDayRow> = self
            .q("SELECT day FROM office_payment_days \
                WHERE merchant_id = $1 AND zone = $2 AND day >= $3 AND day <= $4 ORDER BY day")
            .bind(merchant_id)
            .bind(zone)
            .bind(from)
            .bind(to)
            .fetch_all()?;
        let payments = self
            .q("SELECT day, device_id, method, payments, amount FROM office_day_payments \
                WHERE merchant_id = $1 AND zone = $2 AND day >= $3 AND day <= $4 \
                ORDER BY day, device_id, method")
            .bind(merchant_id)
            .bind(zone)
            .bind(from)
            .bind(to)
            .fetch_all()?;
        Ok((days.into_iter().map(|d| d.day).collect(), payments))
    }

    fn keep_payment_days(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        generation: i64,
        days: &[PaymentDay],
        payments: &[DayPaymentsRow],
    ) -> Result<bool> {
        // The generation row is locked (PostgreSQL) so that a change that forgets days waits for
        // this keep, or this keep sees its count.
        self.q("INSERT INTO office_payment_generations (merchant_id, generation) VALUES ($1, 0) \
                ON CONFLICT (merchant_id) DO NOTHING")
            .bind(merchant_id)
            .execute()?;
        let current: i64 = self
            .q(concat!(
                "SELECT generation FROM office_payment_generations WHERE merchant_id = $1",
                for_update!()
            ))
            .bind(merchant_id)
            .scalar()?;
        if current != generation {
            return Ok(false);
        }
        for d in days {
            self.q("INSERT INTO office_payment_days (merchant_id, zone, day, day_start, day_end) \
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                .bind(merchant_id)
                .bind(zone)
                .bind(d.day.as_str())
                .bind(d.start)
                .bind(d.end)
                .execute()?;
        }
        for p in payments {
            self.q("INSERT INTO office_day_payments \
                    (merchant_id, zone, day, device_id, method, payments, amount) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
                .bind(merchant_id)
                .bind(zone)
                .bind(p.day.as_str())
                .bind(p.device_id.as_str())
                .bind(p.method.as_str())
                .bind(p.payments)
                .bind(p.amount)
                .execute()?;
        }
        Ok(true)
    }

    fn forget_payment_day(&mut self, merchant_id: &MerchantId, at: i64) -> Result<()> {
        self.count_payment_generation(merchant_id)?;
        self.q("DELETE FROM office_day_payments WHERE merchant_id = $1 AND (zone, day) IN \
                (SELECT zone, day FROM office_payment_days \
                 WHERE merchant_id = $1 AND day_start <= $2 AND day_end > $2)")
            .bind(merchant_id)
            .bind(at)
            .execute()?;
        self.q("DELETE FROM office_payment_days \
                WHERE merchant_id = $1 AND day_start <= $2 AND day_end > $2")
            .bind(merchant_id)
            .bind(at)
            .execute()?;
        Ok(())
    }

    fn new_cards_since(&mut self, merchant_id: &MerchantId, since: i64) -> Result<i64> {
        self.q("SELECT COUNT(*) FROM merchantcards WHERE merchant_id = $1 AND created >= $2")
            .bind(merchant_id)
            .bind(since)
            .scalar()
    }

    fn search_customers(
        &mut self,
        merchant_id: &MerchantId,
        text: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        const ALL: &str = concat!(
            "SELECT ",
            customer_cols!(),
            " FROM customers WHERE merchant_id = $1 ORDER BY created DESC, id LIMIT $2 OFFSET $3"
        );
        // The same match as the cards page's customer search.
        const MATCHING: &str = concat!(
            "SELECT ",
            customer_cols!(),
            " FROM customers WHERE merchant_id = $1 \
             AND (customernumber = $5 OR LOWER(merchant_contact) LIKE $4 ESCAPE '\\') \
             ORDER BY created DESC, id LIMIT $2 OFFSET $3"
        );
        match text {
            None => self
                .q(ALL)
                .bind(merchant_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(),
            Some(text) => {
                let pattern = format!("%{}%", like_escaped(&text.to_lowercase()));
                self.q(MATCHING)
                    .bind(merchant_id)
                    .bind(limit)
                    .bind(offset)
                    .bind(pattern.as_str())
                    .bind(text)
                    .fetch_all()
            }
        }
    }

    fn search_merchantcards(
        &mut self,
        merchant_id: &MerchantId,
        search: &CardSearch,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<MerchantcardRow>> {
        macro_rules! page {
            ($condition:literal) => {
                concat!(
                    "SELECT ",
                    merchantcard_cols!(),
                    " FROM merchantcards WHERE merchant_id = $1",
                    $condition,
                    " ORDER BY created DESC, id LIMIT $2 OFFSET $3"
                )
            };
        }
        let (q, term) = match search {
            CardSearch::All => (page!(""), None),
            CardSearch::Number(number) => (
                page!(" AND card_id IN (SELECT id FROM cards WHERE cardnumber = $4)"),
                Some(number.clone()),
            ),
            // The last four digits find the candidates through `cards_last4`; the rest of the
            // digits filter them.
            CardSearch::NumberEnding(digits) => (
                page!(
                    " AND card_id IN (SELECT id FROM cards WHERE substr(cardnumber, 13, 4) = $5 \
                     AND cardnumber LIKE $4 ESCAPE '\\')"
                ),
                Some(format!("%{}", like_escaped(digits))),
            ),
            CardSearch::Customer(text) => (
                page!(
                    " AND customer_id IN (SELECT id FROM customers WHERE merchant_id = $1 \
                     AND (customernumber = $5 OR LOWER(merchant_contact) LIKE $4 ESCAPE '\\'))"
                ),
                Some(format!("%{}%", like_escaped(&text.to_lowercase()))),
            ),
        };
        let mut statement = self.q(q).bind(merchant_id).bind(limit).bind(offset);
        if let Some(term) = &term {
            statement = statement.bind(term);
        }
        match search {
            CardSearch::Customer(text) => statement = statement.bind(text),
            CardSearch::NumberEnding(digits) => {
                statement = statement.bind(&digits[digits.len().saturating_sub(4)..])
            }
            CardSearch::All | CardSearch::Number(_) => {}
        }
        statement.fetch_all()
    }
}

impl SqlTx<'_> {
    /// Counts the merchant's payment generation up (first count: 1).
    fn count_payment_generation(&mut self, merchant_id: &MerchantId) -> Result<()> {
        self.q("INSERT INTO office_payment_generations (merchant_id, generation) VALUES ($1, 1) \
                ON CONFLICT (merchant_id) DO UPDATE \
                SET generation = office_payment_generations.generation + 1")
            .bind(merchant_id)
            .execute()?;
        Ok(())
    }
}

/// A user's text inside a LIKE pattern, matching itself only.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
