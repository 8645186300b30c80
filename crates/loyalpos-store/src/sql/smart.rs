/// Reads and locks a smart transaction (`$1` its id).
const LOCK_STX: &str = concat!(
    "SELECT ",
    stx_cols!(),
    " FROM smart_transactions WHERE id = $1",
    for_update!()
);

impl SmartTx for SqlTx<'_> {
    fn insert_stx(&mut self, r: &StxRow) -> Result<()> {
        let doc = StoredDocument::of(&r.doc);
        self.q(concat!(
            "INSERT INTO smart_transactions (",
            stx_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(r.status)
        .bind(&r.device_id)
        .bind(r.receipt_number)
        .bind(&r.trans_id)
        .bind(&r.merchant_ref)
        .bind(&r.transaction_ref)
        .bind(&r.cardnumber)
        .bind(doc.arg())
        .bind(r.created)
        .bind(r.updated)
        .execute_later()
    }

    fn stx(&mut self, id: &StxId) -> Result<Option<StxRow>> {
        let q = concat!("SELECT ", stx_cols!(), " FROM smart_transactions WHERE id = $1");
        self.q(q).bind(id).fetch_optional()
    }

    fn lock_stx(&mut self, id: &StxId) -> Result<Option<StxRow>> {
        self.q(LOCK_STX).bind(id).fetch_optional()
    }

    fn lock_stx_with_card(&mut self, id: &StxId, lock_card: bool) -> Result<Option<LockedStx>> {
        #[allow(
            clippy::if_same_then_else,
            reason = "SQLite's lock clause is empty: its one writer serialises every unit"
        )]
        let card = if lock_card {
            full_merchantcard_query!(merchantcard_of_stx!("mc"), lock_merchantcard_row!())
        } else {
            full_merchantcard_query!(merchantcard_of_stx!("mc"), "")
        };
        self.statements += 2;
        let args = [Arg::from(id)];
        // The card first: the lock order of the paths that lock a booked transaction.
        let (card, stx) = self.driver.query_pair((card, &args), (LOCK_STX, &args))?;
        let Some(stx) = first::<StxRow>(stx)? else {
            return Ok(None);
        };
        let card = self.with_group(first::<JoinedMerchantcard>(card)?)?;
        Ok(Some(LockedStx { stx, card }))
    }

    fn stxs(&mut self, merchant_id: &MerchantId) -> Result<Vec<StxRow>> {
        let q = concat!("SELECT ", stx_cols!(), " FROM smart_transactions WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn stx_by_receipt_number(
        &mut self,
        device_id: &DeviceId,
        receipt_number: i64,
    ) -> Result<Option<StxRow>> {
        let q = concat!(
            "SELECT ",
            stx_cols!(),
            " FROM smart_transactions WHERE device_id = $1 AND receipt_number = $2"
        );
        self.q(q)
            .bind(device_id)
            .bind(receipt_number)
            .fetch_optional()
    }

    fn update_stx(&mut self, r: &StxRow) -> Result<()> {
        let doc = StoredDocument::of(&r.doc);
        self.q(
            "UPDATE smart_transactions SET status = $2, trans_id = $3, doc = $4, updated = $5 \
             WHERE id = $1",
        )
        .bind(&r.id)
        .bind(r.status)
        .bind(&r.trans_id)
        .bind(doc.arg())
        .bind(r.updated)
        .execute_later()
    }

    fn set_stx_receipt_number(&mut self, r: &StxRow) -> Result<()> {
        self.q("UPDATE smart_transactions SET receipt_number = $2 WHERE id = $1")
            .bind(&r.id)
            .bind(r.receipt_number)
            .execute_later()
    }

    fn update_stx_keys(&mut self, r: &StxRow) -> Result<()> {
        self.q(
            "UPDATE smart_transactions SET merchant_ref = $2, transaction_ref = $3, cardnumber = $4 \
             WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.merchant_ref)
        .bind(&r.transaction_ref)
        .bind(&r.cardnumber)
        .execute_later()
    }

    fn stxs_of_device_after_receipt(
        &mut self,
        device_id: &DeviceId,
        after: i64,
    ) -> Result<Vec<StxRow>> {
        let q = concat!(
            "SELECT ",
            stx_cols!(),
            " FROM smart_transactions WHERE device_id = $1 AND receipt_number > $2 ORDER BY receipt_number"
        );
        self.q(q)
            .bind(device_id)
            .bind(after)
            .fetch_all()
    }

    fn insert_reserved_ltx_id(&mut self, stx_id: &StxId, ltx_id: &LtxId) -> Result<()> {
        self.q(
            "INSERT INTO reserved_ltx_ids (smart_transaction_id, ltx_id) VALUES ($1,$2) \
             ON CONFLICT (smart_transaction_id) DO NOTHING",
        )
        .bind(stx_id)
        .bind(ltx_id)
        .execute()?;
        Ok(())
    }

    fn take_reserved_ltx_id(&mut self, stx_id: &StxId) -> Result<Option<LtxId>> {
        let id: Option<LtxId> = self.q(
            "DELETE FROM reserved_ltx_ids WHERE smart_transaction_id = $1 RETURNING ltx_id",
        )
        .bind(stx_id)
        .scalar_optional()?;
        Ok(id)
    }
}

/// A smart transaction's document as this backend stores it: packed where `stx_doc_packed!`.
enum StoredDocument<'a> {
    Packed(Vec<u8>),
    Text(&'a str),
}

impl<'a> StoredDocument<'a> {
    fn of(doc: &'a str) -> Self {
        if stx_doc_packed!() {
            StoredDocument::Packed(crate::packing::pack_text(doc))
        } else {
            StoredDocument::Text(doc)
        }
    }

    fn arg(&self) -> Arg<'_> {
        match self {
            StoredDocument::Packed(packed) => Arg::Bytes(packed),
            StoredDocument::Text(text) => Arg::Text(text),
        }
    }
}
