impl TenancyTx for SqlTx<'_> {
    fn insert_merchant(&mut self, r: &MerchantRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Merchant, r.id.as_str());
        self.q(concat!(
            "INSERT INTO merchants (",
            merchant_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        ))
        .bind(&r.id)
        .bind(r.id_old)
        .bind(&r.companyname)
        .bind(&r.user_type)
        .bind(&r.project_name)
        .bind(&r.legal_details)
        .bind(&r.urls)
        .bind(&r.categories)
        .bind(&r.default_store_id)
        .bind(&r.default_contract_id)
        .bind(r.is_demo)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn merchant(&mut self, id: &MerchantId) -> Result<Option<MerchantRow>> {
        let q = concat!("SELECT ", merchant_cols!(), " FROM merchants WHERE id = $1");
        self.cached(q, id.as_str())
    }

    fn update_merchant(&mut self, r: &MerchantRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Merchant, r.id.as_str());
        self.q(
            "UPDATE merchants SET companyname = $2, project_name = $3, legal_details = $4, urls = $5, \
             categories = $6, default_store_id = $7, default_contract_id = $8, is_demo = $9 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.companyname)
        .bind(&r.project_name)
        .bind(&r.legal_details)
        .bind(&r.urls)
        .bind(&r.categories)
        .bind(&r.default_store_id)
        .bind(&r.default_contract_id)
        .bind(r.is_demo)
        .execute()?;
        Ok(())
    }

    fn demo_merchant_exists(&mut self) -> Result<bool> {
        let n: i64 = self.q("SELECT COUNT(*) FROM merchants WHERE is_demo = $1")
            .bind(true)
            .scalar()?;
        Ok(n > 0)
    }

    fn insert_contract(&mut self, r: &ContractRow) -> Result<()> {
        self.q("INSERT INTO contracts (id, merchant_id, created) VALUES ($1,$2,$3)")
            .bind(&r.id)
            .bind(&r.merchant_id)
            .bind(r.created)
            .execute()?;
        Ok(())
    }

    fn contract(&mut self, id: &ContractId) -> Result<Option<ContractRow>> {
        let q = "SELECT id, merchant_id, created FROM contracts WHERE id = $1";
        self.q(q).bind(id).fetch_optional()
    }

    fn insert_store(&mut self, r: &StoreRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Store, r.id.as_str());
        self.q(concat!(
            "INSERT INTO stores (",
            store_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.id_old)
        .bind(&r.name)
        .bind(&r.address)
        .bind(&r.facebook_id)
        .bind(&r.phone)
        .bind(&r.url_website)
        .bind(&r.photo_main)
        .bind(&r.photo)
        .bind(&r.open_hours)
        .bind(r.created)
        .execute()?;
        Ok(())
    }

    fn store(&mut self, id: &StoreId) -> Result<Option<StoreRow>> {
        let q = concat!("SELECT ", store_cols!(), " FROM stores WHERE id = $1");
        self.cached(q, id.as_str())
    }

    fn stores(&mut self, merchant_id: &MerchantId) -> Result<Vec<StoreRow>> {
        let q = concat!("SELECT ", store_cols!(), " FROM stores WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn update_store(&mut self, r: &StoreRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Store, r.id.as_str());
        self.q(
            "UPDATE stores SET name = $2, address = $3, facebook_id = $4, phone = $5, url_website = $6, \
             photo_main = $7, photo = $8, open_hours = $9 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.name)
        .bind(&r.address)
        .bind(&r.facebook_id)
        .bind(&r.phone)
        .bind(&r.url_website)
        .bind(&r.photo_main)
        .bind(&r.photo)
        .bind(&r.open_hours)
        .execute()?;
        Ok(())
    }

    fn insert_device(&mut self, r: &DeviceRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Device, &r.id);
        self.q(concat!(
            "INSERT INTO devices (",
            device_cols!(),
            ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"
        ))
        .bind(&r.id)
        .bind(&r.merchant_id)
        .bind(&r.store_id)
        .bind(&r.contract_id)
        .bind(&r.vendor)
        .bind(&r.vendor_uid)
        .bind(&r.device_type)
        .bind(&r.description)
        .bind(&r.tid)
        .bind(&r.products)
        .bind(&r.terminal_type)
        .bind(&r.base_version)
        .bind(&r.status)
        .bind(&r.device)
        .bind(&r.user_pin)
        .bind(&r.pin_hash)
        .bind(r.next_receipt_number)
        .bind(r.end_of_day_receipt)
        .bind(r.created)
        .bind(r.updated)
        .execute()?;
        Ok(())
    }

    fn device(&mut self, id: &DeviceId) -> Result<Option<DeviceRow>> {
        let q = concat!("SELECT ", device_cols!(), " FROM devices WHERE id = $1");
        self.cached(q, id)
    }

    fn devices(&mut self, merchant_id: &MerchantId) -> Result<Vec<DeviceRow>> {
        let q = concat!("SELECT ", device_cols!(), " FROM devices WHERE merchant_id = $1");
        self.q(q).bind(merchant_id).fetch_all()
    }

    fn device_by_vendor_uid(
        &mut self,
        merchant_id: Option<&MerchantId>,
        vendor_uid: &str,
    ) -> Result<Vec<DeviceRow>> {
        let q = concat!(
            "SELECT ",
            device_cols!(),
            " FROM devices WHERE vendor_uid = $1 AND (CAST($2 AS TEXT) IS NULL OR merchant_id = $2)"
        );
        self.q(q)
            .bind(vendor_uid)
            .bind(merchant_id)
            .fetch_all()
    }

    fn update_device(&mut self, r: &DeviceRow) -> Result<()> {
        self.cache.wrote(&mut self.dirty, Kind::Device, &r.id);
        self.q(
            "UPDATE devices SET store_id = $2, contract_id = $3, vendor = $4, vendor_uid = $5, \
             device_type = $6, description = $7, tid = $8, products = $9, terminal_type = $10, \
             base_version = $11, status = $12, device = $13, user_pin = $14, pin_hash = $15, \
             next_receipt_number = $16, end_of_day_receipt = $17, updated = $18 WHERE id = $1",
        )
        .bind(&r.id)
        .bind(&r.store_id)
        .bind(&r.contract_id)
        .bind(&r.vendor)
        .bind(&r.vendor_uid)
        .bind(&r.device_type)
        .bind(&r.description)
        .bind(&r.tid)
        .bind(&r.products)
        .bind(&r.terminal_type)
        .bind(&r.base_version)
        .bind(&r.status)
        .bind(&r.device)
        .bind(&r.user_pin)
        .bind(&r.pin_hash)
        .bind(r.next_receipt_number)
        .bind(r.end_of_day_receipt)
        .bind(r.updated)
        .execute()?;
        Ok(())
    }

    fn lock_device(&mut self, id: &DeviceId) -> Result<Option<DeviceRow>> {
        let q = concat!(
            "SELECT ",
            device_cols!(),
            " FROM devices WHERE id = $1",
            for_update!()
        );
        self.q(q).bind(id).fetch_optional()
    }
}
