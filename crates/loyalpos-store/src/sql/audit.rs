impl AuditTx for SqlTx<'_> {
    fn all_merchantcards(&mut self) -> Result<Vec<MerchantcardRow>> {
        let q = concat!("SELECT ", merchantcard_cols!(), " FROM merchantcards ORDER BY id");
        self.q(q).fetch_all()
    }

    fn all_cardgroups(&mut self) -> Result<Vec<CardgroupRow>> {
        let q = concat!("SELECT ", cardgroup_cols!(), " FROM cardgroups ORDER BY id");
        self.q(q).fetch_all()
    }

    fn all_ltxs(&mut self) -> Result<Vec<LtxRow>> {
        let q = concat!("SELECT ", ltx_cols!(), " FROM loyalty_transactions ORDER BY trans_id");
        self.q(q).fetch_all()
    }

    fn all_bookings(&mut self) -> Result<Vec<BookingRow>> {
        let q = "SELECT ltx_id, seq, merchantcard_id, kind, balance_kind, amount FROM bookings ORDER BY ltx_id, seq";
        self.q(q).fetch_all()
    }

    fn all_stxs(&mut self) -> Result<Vec<StxRow>> {
        let q = concat!("SELECT ", stx_cols!(), " FROM smart_transactions ORDER BY id");
        self.q(q).fetch_all()
    }
}
