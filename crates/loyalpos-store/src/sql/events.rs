// The transactional outbox (push.md §1). See the migrations `0009_events` and, on PostgreSQL,
// `0017_event_numbers` for the numbering.

/// Outbox INSERTs of up to this many rows keep their SQL text (each is prepared once per
/// connection); the SQLite writer inserts a batch's events in chunks of at most this many.
const OUTBOX_INSERT_TEXTS: usize = 8;

/// The outbox INSERT of `rows` rows: one text per row count, whatever the rows hold, so that the
/// connection's prepared statements serve every batch.
fn outbox_insert_sql(rows: usize) -> std::borrow::Cow<'static, str> {
    static TEXTS: [std::sync::OnceLock<String>; OUTBOX_INSERT_TEXTS] =
        [const { std::sync::OnceLock::new() }; OUTBOX_INSERT_TEXTS];
    match TEXTS.get(rows.wrapping_sub(1)) {
        Some(text) => std::borrow::Cow::Borrowed(text.get_or_init(|| build_outbox_insert_sql(rows))),
        None => std::borrow::Cow::Owned(build_outbox_insert_sql(rows)),
    }
}

fn build_outbox_insert_sql(rows: usize) -> String {
    let numbered = events_numbered_at_insert!();
    let per_row = if numbered { 10 } else { 8 };
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=per_row).map(|c| format!("${}", r * per_row + c)).collect();
            format!("({})", params.join(","))
        })
        .collect();
    if numbered {
        // Both numbers follow the newest kept row (the retention keeps each merchant's newest),
        // plus the row's place (`n`) and its place among its merchant's rows (`k`). An INSERT
        // that reads its own table reads all of it before it inserts (SQL's statement snapshot),
        // so every row adds its place to the same maxima.
        format!(
            "WITH new (n, k, id, merchant_id, device_id, target, kind, object_id, created, packed) \
             AS (VALUES {}) \
             INSERT INTO events (relay_pos, seq, id, merchant_id, device_id, target, kind, object_id, created, packed) \
             SELECT (SELECT COALESCE(MAX(relay_pos), 0) FROM events) + n, \
             (SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.merchant_id = new.merchant_id) + k, \
             id, merchant_id, device_id, target, kind, object_id, created, packed FROM new",
            values.join(",")
        )
    } else {
        // Each row also joins the queue of rows the relay has yet to number.
        format!(
            "WITH new AS (INSERT INTO events (id, merchant_id, device_id, target, kind, object_id, created, packed) \
             VALUES {} RETURNING pos, merchant_id) \
             INSERT INTO event_queue (pos, merchant_id) SELECT pos, merchant_id FROM new",
            values.join(",")
        )
    }
}

/// An array literal for PostgreSQL (`{1,2,3}`), bound as text where a statement casts it.
fn array_literal(numbers: &[i64]) -> String {
    let items: Vec<String> = numbers.iter().map(i64::to_string).collect();
    format!("{{{}}}", items.join(","))
}

/// The row of `event_counters` that holds the last relay position.
const RELAY_COUNTER: &str = "*";

impl SqlTx<'_> {
    /// Adds to counters of `event_counters` in one statement; returns each counter's last number
    /// now taken, in the order asked.
    fn take_event_numbers(&mut self, wanted: &[(&str, i64)]) -> Result<Vec<i64>> {
        let values: Vec<String> = (0..wanted.len())
            .map(|i| format!("(${},${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO event_counters (merchant_id, last_seq) VALUES {} \
             ON CONFLICT (merchant_id) DO UPDATE SET last_seq = event_counters.last_seq + excluded.last_seq \
             RETURNING merchant_id, last_seq",
            values.join(",")
        );
        let args = wanted
            .iter()
            .flat_map(|(counter, n)| [Arg::from(*counter), Arg::from(*n)]);
        let taken: Vec<TakenNumbers> = self.q(&sql).bind_all(args).fetch_all()?;
        wanted
            .iter()
            .map(|(counter, _)| {
                taken
                    .iter()
                    .find(|t| t.merchant_id == *counter)
                    .map(|t| t.last_seq)
                    .ok_or_else(|| StoreError::Internal(format!("event counter {counter} not taken")))
            })
            .collect()
    }
}

impl EventTx for SqlTx<'_> {
    fn record_event(&mut self, event: NewEvent) {
        self.pending.push(event);
    }

    fn carries_event_object(&self, target: &str, object_id: &str) -> bool {
        self.pending
            .iter()
            .any(|e| e.wants_object() && e.target == target && e.object_id == object_id)
    }

    fn carry_event_object(&mut self, target: &str, object_id: &str, object: Carried) {
        for event in self
            .pending
            .iter_mut()
            .filter(|e| e.wants_object() && e.target == target && e.object_id == object_id)
        {
            event.object = Some(object.clone());
        }
    }

    fn take_pending_events(&mut self) -> Vec<NewEvent> {
        self.pending_mark = 0;
        std::mem::take(&mut self.pending)
    }

    fn write_events(&mut self, events: PendingEvents) -> Result<()> {
        match &mut self.deferred_events {
            Some(deferred) => {
                deferred.push(events);
                Ok(())
            }
            None => self.insert_events(&events.pack()?),
        }
    }

    fn insert_events(&mut self, events: &[(NewEvent, Vec<u8>)]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let numbered = events_numbered_at_insert!();
        let sql = outbox_insert_sql(events.len());
        let mut q = self.q(&sql);
        for (r, (e, packed)) in events.iter().enumerate() {
            if numbered {
                // The row's place in the statement, and among the statement's rows of its merchant.
                let of_merchant = events[..r]
                    .iter()
                    .filter(|(earlier, _)| earlier.merchant_id == e.merchant_id)
                    .count();
                q = q.bind(r as i64 + 1).bind(of_merchant as i64 + 1);
            }
            q = q
                .bind(&e.id)
                .bind(&e.merchant_id)
                .bind(&e.device_id)
                .bind(e.target)
                .bind(e.kind)
                .bind(&e.object_id)
                .bind(e.created)
                .bind(packed.as_slice());
        }
        q.execute_later()
    }

    fn number_events(&mut self) -> Result<u64> {
        if events_numbered_at_insert!() {
            return Ok(0);
        }
        if !relay_lock_sql!().is_empty() {
            self.q(relay_lock_sql!()).execute_later()?;
        }
        let pending: Vec<UnnumberedEvent> = self
            .q("SELECT pos, merchant_id FROM event_queue ORDER BY pos LIMIT $1")
            .bind(crate::events::NUMBER_BATCH)
            .fetch_all()?;
        if pending.is_empty() {
            return Ok(0);
        }
        let mut per_merchant: Vec<(MerchantId, i64)> = Vec::new();
        for row in &pending {
            match per_merchant.iter_mut().find(|(m, _)| *m == row.merchant_id) {
                Some((_, n)) => *n += 1,
                None => per_merchant.push((row.merchant_id.clone(), 1)),
            }
        }
        // Each merchant's numbers and the relay positions, in one statement.
        let count = pending.len() as i64;
        let mut wanted: Vec<(&str, i64)> = per_merchant
            .iter()
            .map(|(merchant_id, n)| (merchant_id.as_str(), *n))
            .collect();
        wanted.push((RELAY_COUNTER, count));
        let last = self.take_event_numbers(&wanted)?;
        let mut next_seq: Vec<(MerchantId, i64)> = per_merchant
            .iter()
            .zip(&last)
            .map(|((merchant_id, n), last)| (merchant_id.clone(), last - n + 1))
            .collect();
        let mut relay_pos = last[per_merchant.len()] - count + 1;
        // In `pos` order: relay positions and each merchant's numbers follow the order the rows
        // were written (and one object's changes are written in the order they happened).
        let (mut positions, mut relay_positions, mut seqs) = (Vec::new(), Vec::new(), Vec::new());
        for row in &pending {
            let Some((_, seq)) = next_seq.iter_mut().find(|(m, _)| *m == row.merchant_id) else {
                continue;
            };
            positions.push(row.pos);
            relay_positions.push(relay_pos);
            seqs.push(*seq);
            *seq += 1;
            relay_pos += 1;
        }
        // All of them in one statement (a statement per row was most of the relay's statements).
        let (positions, relay_positions, seqs) = (
            array_literal(&positions),
            array_literal(&relay_positions),
            array_literal(&seqs),
        );
        self.q(number_rows_sql!())
            .bind(&positions)
            .bind(&relay_positions)
            .bind(&seqs)
            .execute_later()?;
        // The other processes' relays hand on what this one numbered.
        self.wake_relays_at_commit()?;
        Ok(pending.len() as u64)
    }

    fn wake_relays_at_commit(&mut self) -> Result<()> {
        if !notify_events_sql!().is_empty() {
            self.statements += 1;
            self.driver.batch_later(notify_events_sql!())?;
        }
        Ok(())
    }

    fn events_after(&mut self, relay_pos: i64, limit: i64) -> Result<Vec<EventRow>> {
        self.q(events_after_sql!())
            .bind(relay_pos)
            .bind(limit)
            .fetch_all()
    }

    fn merchant_events_after(
        &mut self,
        merchant_id: &MerchantId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        self.q(merchant_events_after_sql!())
            .bind(merchant_id)
            .bind(seq)
            .bind(limit)
            .fetch_all()
    }

    fn first_event_seq(&mut self, merchant_id: &MerchantId) -> Result<Option<i64>> {
        self.q(concat!("SELECT MIN(seq) FROM ", event_numbers!(), " WHERE merchant_id = $1"))
            .bind(merchant_id)
            .scalar()
    }

    fn last_event_seq(&mut self, merchant_id: &MerchantId) -> Result<i64> {
        self.q(concat!("SELECT COALESCE(MAX(seq), 0) FROM ", event_numbers!(), " WHERE merchant_id = $1"))
            .bind(merchant_id)
            .scalar()
    }

    fn last_relay_pos(&mut self) -> Result<i64> {
        self.q(concat!("SELECT COALESCE(MAX(relay_pos), 0) FROM ", event_numbers!())).scalar()
    }

    fn stomp_session_acked(
        &mut self,
        session: &str,
        merchant_id: &MerchantId,
    ) -> Result<Option<i64>> {
        self.q("SELECT acked_seq FROM stomp_sessions WHERE session = $1 AND merchant_id = $2")
            .bind(session)
            .bind(merchant_id)
            .scalar_optional()
    }

    fn save_stomp_session(
        &mut self,
        session: &str,
        merchant_id: &MerchantId,
        acked_seq: i64,
        now: i64,
    ) -> Result<()> {
        self.q(
            "INSERT INTO stomp_sessions (session, merchant_id, acked_seq, updated) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (session) DO UPDATE SET \
             acked_seq = CASE WHEN excluded.acked_seq > stomp_sessions.acked_seq \
             THEN excluded.acked_seq ELSE stomp_sessions.acked_seq END, updated = excluded.updated",
        )
        .bind(session)
        .bind(merchant_id)
        .bind(acked_seq)
        .bind(now)
        .execute()?;
        Ok(())
    }

    fn purge_stomp_sessions(&mut self, before: i64) -> Result<u64> {
        self.q("DELETE FROM stomp_sessions WHERE updated < $1")
            .bind(before)
            .execute()
    }

    fn purge_events(&mut self, before: i64) -> Result<u64> {
        self.q(purge_events_sql!()).bind(before).execute()
    }
}
