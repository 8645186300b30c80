//! `loyalpos import FILE.json` (spec import.md): brings a merchant's data in keeping ids, card
//! numbers, credentials and balances. Everything is validated first; on any problem nothing is
//! written and every problem is listed with its JSON path. Importing the same document again
//! changes nothing; an existing object with other data is a problem, never silently overwritten.

mod document;

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::LtxId;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use loyalpos_domain::DomainError;
use loyalpos_domain::booking::{BalanceKind, BookingType, LtxStatus};
use loyalpos_domain::card::{CardNumber, LockStatus, StockStatus};
use loyalpos_domain::money::Cents;
use loyalpos_store::{
    BookingRow, CardRow, CardgroupRow, ClientRow, ContractRow, CustomerRow, DeviceRow, LtxRow,
    MerchantRow, MerchantcardRow, StoreError, StoreRow, Tx, UserRow,
};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::devices::default_products;
use crate::loyalty::rules::{card_rules, consent};
use crate::oauth::GRANTS;
use crate::secret::{
    PasswordCheck, hash_password, hash_secret, is_id, new_id, verify_password, verify_secret,
};

pub use document::Document;
use document::{
    CardItem, CardgroupItem, ClientItem, ContractItem, CustomerItem, DeviceItem, MerchantItem,
    MerchantcardItem, OpeningItem, StoreItem, UserItem,
};

/// Counts per key: (created, already present).
pub type ImportReport = BTreeMap<&'static str, (usize, usize)>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the import document has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports a document in the caller's unit of work: all of it, or (on `Err`) nothing, once the
/// job's unit is rolled back.
pub fn import(
    tx: &mut dyn Tx,
    clock: &Clock,
    doc: &Document,
    now: i64,
) -> Result<ImportReport, ImportError> {
    // Pass 1 validates everything without writing; pass 2 writes only if pass 1 found nothing.
    Pass::new(tx, clock, doc, now, true).run()?;
    Pass::new(tx, clock, doc, now, false).run()
}

/// The kinds of object a document item may reference, each with its id prefix.
#[derive(Clone, Copy)]
enum Object {
    Store,
    Contract,
    Cardgroup,
    Customer,
}

impl Object {
    fn prefix(self) -> &'static str {
        match self {
            Object::Store => "STO",
            Object::Contract => "GCR",
            Object::Cardgroup => "CRG",
            Object::Customer => "CUS",
        }
    }
}

/// One pass over the document: validating only (`dry_run`), or validating and writing.
struct Pass<'a> {
    tx: &'a mut dyn Tx,
    clock: &'a Clock,
    doc: &'a Document,
    now: i64,
    dry_run: bool,
    problems: Vec<String>,
    report: ImportReport,
    /// Which merchant every object of the document belongs to (merchants own themselves).
    owners: BTreeMap<String, MerchantId>,
    /// The object ids met so far, to find duplicates.
    ids: HashSet<String>,
    /// The currency of every card group of the document.
    currency_of: BTreeMap<String, String>,
    /// Merchants that got opening bookings, which may lie in past days.
    booked_for: BTreeSet<MerchantId>,
}

impl<'a> Pass<'a> {
    fn new(
        tx: &'a mut dyn Tx,
        clock: &'a Clock,
        doc: &'a Document,
        now: i64,
        dry_run: bool,
    ) -> Self {
        Pass {
            tx,
            clock,
            doc,
            now,
            dry_run,
            problems: doc.problems.clone(),
            report: ImportReport::new(),
            owners: BTreeMap::new(),
            ids: HashSet::new(),
            currency_of: BTreeMap::new(),
            booked_for: BTreeSet::new(),
        }
    }

    fn run(mut self) -> Result<ImportReport, ImportError> {
        let doc = self.doc;
        for (i, item) in doc.merchants.iter().enumerate() {
            self.merchant(&format!("general.merchants[{i}]"), item)?;
        }
        for (i, item) in doc.contracts.iter().enumerate() {
            self.contract(&format!("general.contracts[{i}]"), item)?;
        }
        for (i, item) in doc.stores.iter().enumerate() {
            self.store(&format!("general.stores[{i}]"), item)?;
        }
        self.link_defaults()?;
        for (i, item) in doc.devices.iter().enumerate() {
            self.device(&format!("smart.devices[{i}]"), item)?;
        }
        for (i, item) in doc.cardgroups.iter().enumerate() {
            self.cardgroup(&format!("loyalty.cardgroups[{i}]"), item)?;
        }
        for (i, item) in doc.customers.iter().enumerate() {
            self.customer(&format!("loyalty.customers[{i}]"), item)?;
        }
        let mut numbers = HashSet::new();
        for (i, item) in doc.cards.iter().enumerate() {
            self.card(&format!("loyalty.cards[{i}]"), item, &mut numbers)?;
        }
        for (i, item) in doc.merchantcards.iter().enumerate() {
            self.merchantcard(&format!("loyalty.merchantcards[{i}]"), item)?;
        }
        for (i, item) in doc.clients.iter().enumerate() {
            self.client(&format!("clients[{i}]"), item)?;
        }
        for (i, item) in doc.users.iter().enumerate() {
            self.user(&format!("users[{i}]"), item)?;
        }
        // The back office's kept day figures do not know the opening bookings of past days.
        for merchant in std::mem::take(&mut self.booked_for) {
            self.tx.forget_day_figures(&merchant)?;
        }
        if self.problems.is_empty() {
            Ok(self.report)
        } else {
            Err(ImportError::Invalid(self.problems))
        }
    }

    fn time(&mut self, path: &str, value: Option<&str>) -> i64 {
        match value {
            None => self.now,
            Some(t) => self.clock.parse(t).unwrap_or_else(|| {
                self.problems
                    .push(format!("{path}: not an ISO 8601 timestamp"));
                self.now
            }),
        }
    }

    /// A named value of the document (`lock_status`, …): `default` when absent, a problem when the
    /// domain does not know the name.
    fn named<T>(
        &mut self,
        path: &str,
        value: Option<&str>,
        parse: fn(&str) -> Result<T, DomainError>,
        default: T,
    ) -> T {
        match value.map(parse) {
            None => default,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                self.problems.push(format!("{path}: {}", e.detail()));
                default
            }
        }
    }

    /// Counts an object of the document that already exists (it must agree with the document:
    /// `conflict` names how it does not) or creates it with `insert` (in the writing pass only).
    fn keep_or_create<R>(
        &mut self,
        key: &'static str,
        existing: Option<R>,
        conflict: impl FnOnce(&R) -> Option<String>,
        insert: impl FnOnce(&mut dyn Tx) -> loyalpos_store::Result<()>,
    ) -> Result<(), ImportError> {
        let created = match existing {
            Some(row) => {
                self.problems.extend(conflict(&row));
                false
            }
            None => {
                if !self.dry_run {
                    insert(&mut *self.tx)?;
                }
                true
            }
        };
        self.count(key, created);
        Ok(())
    }

    fn count(&mut self, key: &'static str, created: bool) {
        let entry = self.report.entry(key).or_default();
        if created { entry.0 += 1 } else { entry.1 += 1 }
    }

    /// An object id must be well-formed and unique in the document.
    fn check_id(&mut self, path: &str, id: &str, prefix: &str) {
        if !is_id(id, prefix) {
            self.problems.push(format!(
                "{path}: malformed id {id} (expected {prefix}_ + 30 [A-Z0-9])"
            ));
        }
        if !self.ids.insert(id.to_owned()) {
            self.problems.push(format!("{path}.id: duplicate id {id}"));
        }
    }

    /// The merchant an item belongs to must be in the document or already in the database.
    fn ensure_merchant(&mut self, path: &str, merchant_id: &MerchantId) -> Result<(), ImportError> {
        if !self.owners.contains_key(merchant_id.as_str())
            && self.tx.merchant(merchant_id)?.is_none()
        {
            self.problems
                .push(format!("{path}: unknown merchant {merchant_id}"));
        }
        Ok(())
    }

    /// A reference must name an object of `merchant`, in the document or already in the database.
    fn same_merchant(
        &mut self,
        path: &str,
        object: Object,
        id: &str,
        merchant: &MerchantId,
    ) -> Result<(), ImportError> {
        let owner = if !is_id(id, object.prefix()) {
            None
        } else if let Some(owner) = self.owners.get(id) {
            Some(owner.clone())
        } else {
            self.stored_owner(object, id)?
        };
        match owner {
            None => self
                .problems
                .push(format!("{path}: unknown reference {id}")),
            Some(m) if m != *merchant => self
                .problems
                .push(format!("{path}: {id} belongs to another merchant")),
            Some(_) => {}
        }
        Ok(())
    }

    fn stored_owner(&mut self, object: Object, id: &str) -> Result<Option<MerchantId>, StoreError> {
        Ok(match object {
            Object::Store => self.tx.store(&id.into())?.map(|r| r.merchant_id),
            Object::Contract => self.tx.contract(&id.into())?.map(|r| r.merchant_id),
            Object::Cardgroup => self.tx.cardgroup(&id.into())?.map(|r| r.merchant_id),
            Object::Customer => self.tx.customer(&id.into())?.map(|r| r.merchant_id),
        })
    }

    fn merchant(&mut self, path: &str, m: &MerchantItem) -> Result<(), ImportError> {
        self.check_id(path, &m.id, "MRC");
        // Default store and contract are linked once they exist (`link_defaults`).
        let id = MerchantId::new(m.id.clone());
        let row = MerchantRow {
            id: id.clone(),
            id_old: m.id_old.unwrap_or(100_000),
            companyname: m.companyname.clone(),
            user_type: m.user_type.clone().unwrap_or_else(|| "46".into()),
            project_name: m.project_name.clone(),
            legal_details: "[]".into(),
            urls: "[]".into(),
            categories: m.categories.clone().unwrap_or(json!([])).to_string(),
            default_store_id: None,
            default_contract_id: None,
            is_demo: false,
            created: self.time(&format!("{path}.created"), m.created.as_deref()),
        };
        self.owners.insert(m.id.clone(), id.clone());
        let existing = self.tx.merchant(&id)?;
        self.keep_or_create(
            "general.merchants",
            existing,
            |e| {
                (e.companyname != row.companyname || e.id_old != row.id_old)
                    .then(|| format!("{path}: merchant {} exists with other data", m.id))
            },
            |tx| tx.insert_merchant(&row),
        )
    }

    fn contract(&mut self, path: &str, c: &ContractItem) -> Result<(), ImportError> {
        self.check_id(path, &c.id, "GCR");
        self.ensure_merchant(&format!("{path}.merchant"), &c.merchant.merchant_id())?;
        let row = ContractRow {
            id: c.id.clone().into(),
            merchant_id: c.merchant.merchant_id(),
            created: self.now,
        };
        let existing = self.tx.contract(&c.id.as_str().into())?;
        self.keep_or_create(
            "general.contracts",
            existing,
            |e| {
                (e.merchant_id != row.merchant_id)
                    .then(|| format!("{path}: contract {} exists for another merchant", c.id))
            },
            |tx| tx.insert_contract(&row),
        )?;
        self.owners.insert(c.id.clone(), c.merchant.merchant_id());
        Ok(())
    }

    fn store(&mut self, path: &str, s: &StoreItem) -> Result<(), ImportError> {
        self.check_id(path, &s.id, "STO");
        self.ensure_merchant(&format!("{path}.merchant"), &s.merchant.merchant_id())?;
        let row = StoreRow {
            id: s.id.clone().into(),
            merchant_id: s.merchant.merchant_id(),
            id_old: s.id_old.clone().unwrap_or_else(|| "200000".into()),
            name: s.name.clone(),
            address: s.address.as_ref().map(Value::to_string),
            facebook_id: s.facebook_id.clone(),
            phone: s.phone.clone(),
            url_website: s.url_website.clone(),
            photo_main: s.photo_main.clone(),
            photo: json!(s.photo.clone().unwrap_or_default()).to_string(),
            open_hours: Value::Array(s.open_hours.clone().unwrap_or_default()).to_string(),
            created: self.time(&format!("{path}.created"), s.created.as_deref()),
        };
        let existing = self.tx.store(&s.id.as_str().into())?;
        self.keep_or_create(
            "general.stores",
            existing,
            |e| {
                (e.merchant_id != row.merchant_id || e.name != row.name)
                    .then(|| format!("{path}: store {} exists with other data", s.id))
            },
            |tx| tx.insert_store(&row),
        )?;
        self.owners.insert(s.id.clone(), s.merchant.merchant_id());
        Ok(())
    }

    /// Gives every merchant of the document without a default store or contract the ones the
    /// document names.
    fn link_defaults(&mut self) -> Result<(), ImportError> {
        if self.dry_run {
            return Ok(());
        }
        let doc = self.doc;
        for m in &doc.merchants {
            let id = MerchantId::new(m.id.clone());
            let Some(mut row) = self.tx.merchant(&id)? else {
                continue;
            };
            let mut changed = false;
            if row.default_store_id.is_none() {
                row.default_store_id = doc.default_store(&id).map(|s| s.id.clone().into());
                changed |= row.default_store_id.is_some();
            }
            if row.default_contract_id.is_none() {
                row.default_contract_id = doc.first_contract(&id).map(|c| c.id.clone().into());
                changed |= row.default_contract_id.is_some();
            }
            if changed {
                self.tx.update_merchant(&row)?;
            }
        }
        Ok(())
    }

    fn device(&mut self, path: &str, dv: &DeviceItem) -> Result<(), ImportError> {
        self.check_id(path, &dv.id, "SDV");
        let merchant = dv.merchant.merchant_id();
        self.ensure_merchant(&format!("{path}.merchant"), &merchant)?;
        self.same_merchant(
            &format!("{path}.store"),
            Object::Store,
            &dv.store.0,
            &merchant,
        )?;
        if let Some(c) = &dv.contract {
            self.same_merchant(
                &format!("{path}.contract"),
                Object::Contract,
                &c.0,
                &merchant,
            )?;
        }
        // Without a contract of its own a device gets its merchant's default contract, named in
        // the document or already in the database.
        let contract_id = match &dv.contract {
            Some(c) => Some(c.0.clone().into()),
            None => match self.doc.first_contract(&merchant) {
                Some(c) => Some(c.id.clone().into()),
                None => self
                    .tx
                    .merchant(&merchant)?
                    .and_then(|m| m.default_contract_id),
            },
        };
        let row = DeviceRow {
            id: dv.id.clone().into(),
            merchant_id: merchant.clone(),
            store_id: dv.store.0.clone().into(),
            contract_id,
            vendor: dv.vendor.clone(),
            vendor_uid: dv.vendor_uid.clone(),
            device_type: dv.device_type.clone(),
            description: dv.description.clone(),
            tid: dv.tid.clone(),
            products: dv
                .products
                .clone()
                .unwrap_or_else(|| default_products(dv.tid.as_deref()))
                .to_string(),
            terminal_type: None,
            base_version: None,
            status: None,
            device: None,
            user_pin: None,
            pin_hash: dv.device_pin.as_deref().map(hash_secret),
            next_receipt_number: dv.next_receipt_number.unwrap_or(1),
            end_of_day_receipt: 0,
            created: self.time(&format!("{path}.created"), dv.created.as_deref()),
            updated: None,
        };
        let existing = self.tx.device(&dv.id.as_str().into())?;
        self.keep_or_create(
            "smart.devices",
            existing,
            |e| {
                (e.merchant_id != row.merchant_id || e.vendor_uid != row.vendor_uid)
                    .then(|| format!("{path}: device {} exists with other data", dv.id))
            },
            |tx| tx.insert_device(&row),
        )?;
        self.owners.insert(dv.id.clone(), merchant);
        Ok(())
    }

    fn cardgroup(&mut self, path: &str, g: &CardgroupItem) -> Result<(), ImportError> {
        self.check_id(path, &g.id, "CRG");
        self.ensure_merchant(&format!("{path}.merchant"), &g.merchant.merchant_id())?;
        let bonus = g.bonus.as_ref();
        let filter = bonus.and_then(|b| b.filter.as_ref());
        let row = CardgroupRow {
            id: g.id.clone().into(),
            merchant_id: g.merchant.merchant_id(),
            display_name: g.display_name.clone(),
            picture: g.picture.clone(),
            stock_warn_limit: g.stock_warn_limit.unwrap_or(0),
            description: g.description.clone(),
            cancel_selected: g.cancel_selected.unwrap_or(false),
            currency: g.currency.clone().unwrap_or_else(|| "EUR".into()),
            bonus_rate: bonus.and_then(|b| b.rate).unwrap_or(0),
            bonus_base: bonus
                .and_then(|b| b.base.clone())
                .unwrap_or_else(|| "full".into()),
            filter_mode: filter
                .and_then(|f| f.mode.clone())
                .unwrap_or_else(|| "none".into()),
            filter_codes: json!(filter.and_then(|f| f.codes.clone()).unwrap_or_default())
                .to_string(),
            bonus_products: Value::Array(
                bonus.and_then(|b| b.products.clone()).unwrap_or_default(),
            )
            .to_string(),
            overdraft_allowed: g.overdraft_allowed.unwrap_or(false),
            overdraft_limit: Cents(g.overdraft_limit.unwrap_or(0)),
            passcode_policy: g.passcode_policy.unwrap_or(0),
            card_creation_via_stx: g.card_creation_via_stx.unwrap_or(false),
            created: self.time(&format!("{path}.created"), g.created.as_deref()),
        };
        if let Err(e) = card_rules(&row) {
            self.problems.push(format!("{path}: {e}"));
        }
        self.currency_of
            .insert(row.id.to_string(), row.currency.clone());
        let existing = self.tx.cardgroup(&g.id.as_str().into())?;
        self.keep_or_create(
            "loyalty.cardgroups",
            existing,
            |e| {
                (e.merchant_id != row.merchant_id || e.display_name != row.display_name)
                    .then(|| format!("{path}: card group {} exists with other data", g.id))
            },
            |tx| tx.insert_cardgroup(&row),
        )?;
        self.owners.insert(g.id.clone(), g.merchant.merchant_id());
        Ok(())
    }

    fn customer(&mut self, path: &str, c: &CustomerItem) -> Result<(), ImportError> {
        self.check_id(path, &c.id, "CUS");
        self.ensure_merchant(&format!("{path}.merchant"), &c.merchant.merchant_id())?;
        let consent = consent(c.consent_for_communication.as_ref()).unwrap_or_else(|e| {
            self.problems
                .push(format!("{path}.consent_for_communication: {e}"));
            None
        });
        let contact = c.merchant_contact.as_ref().or(c.contact.as_ref());
        let row = CustomerRow {
            id: c.id.clone().into(),
            merchant_id: c.merchant.merchant_id(),
            merchant_contact: contact.map(Value::to_string),
            customernumber: c.customernumber.clone(),
            note: c.note.clone(),
            consent,
            additional_data: c.additional_data.as_ref().map(Value::to_string),
            created: self.time(&format!("{path}.created"), c.created.as_deref()),
        };
        let existing = self.tx.customer(&c.id.as_str().into())?;
        self.keep_or_create(
            "loyalty.customers",
            existing,
            |e| {
                (e.merchant_id != row.merchant_id)
                    .then(|| format!("{path}: customer {} exists for another merchant", c.id))
            },
            |tx| tx.insert_customer(&row),
        )?;
        self.owners.insert(c.id.clone(), c.merchant.merchant_id());
        Ok(())
    }

    fn card(
        &mut self,
        path: &str,
        c: &CardItem,
        numbers: &mut HashSet<String>,
    ) -> Result<(), ImportError> {
        self.check_id(path, &c.id, "CRD");
        if CardNumber::parse(&c.cardnumber).is_err() {
            self.problems
                .push(format!("{path}.cardnumber: must be 16 digits"));
        }
        if !numbers.insert(c.cardnumber.clone()) {
            self.problems
                .push(format!("{path}.cardnumber: duplicate card number"));
        }
        let row = CardRow {
            id: c.id.clone().into(),
            cardnumber: c.cardnumber.clone(),
            created: self.time(&format!("{path}.created"), c.created.as_deref()),
        };
        let existing = self.tx.card(&c.id.as_str().into())?;
        if existing.is_none() && self.tx.card_by_number(&c.cardnumber)?.is_some() {
            self.problems.push(format!(
                "{path}.cardnumber: number already used by another card"
            ));
            return Ok(());
        }
        self.keep_or_create(
            "loyalty.cards",
            existing,
            |e| {
                (e.cardnumber != row.cardnumber)
                    .then(|| format!("{path}: card {} exists with another number", c.id))
            },
            |tx| tx.insert_card(&row),
        )
    }

    fn merchantcard(&mut self, path: &str, mc: &MerchantcardItem) -> Result<(), ImportError> {
        self.check_id(path, &mc.id, "MCD");
        self.check_merchantcard_refs(path, mc)?;
        self.check_merchantcard_secrets(path, mc);
        if mc.bonus_balance.unwrap_or(0) < 0 || mc.points.unwrap_or(0) < 0 {
            self.problems.push(format!(
                "{path}: opening bonus and points must not be negative"
            ));
        }
        let row = self.merchantcard_row(path, mc);
        if let Some(existing) = self.tx.merchantcard(&mc.id.as_str().into())? {
            if existing.card_id != row.card_id || existing.merchant_id != row.merchant_id {
                self.problems.push(format!(
                    "{path}: merchant card {} exists with other data",
                    mc.id
                ));
            } else {
                self.same_opening_and_csc(path, &existing, &row, mc)?;
            }
            self.count("loyalty.merchantcards", false);
            return Ok(());
        }
        if self
            .tx
            .merchantcard_by_card(&row.merchant_id, &row.card_id)?
            .is_some()
        {
            self.problems.push(format!(
                "{path}: card {} already has a merchant card here",
                mc.card.0
            ));
        }
        self.count("loyalty.merchantcards", true);
        if self.dry_run {
            return Ok(());
        }
        self.tx.insert_merchantcard(&row)?;
        if row.cash_balance != Cents::ZERO || row.bonus_balance != Cents::ZERO || row.points != 0 {
            self.book_opening(&row, mc.opening_transaction.as_ref())?;
        }
        Ok(())
    }

    /// A merchant card already imported keeps its opening balances (the bookings of its opening
    /// transaction, whatever was booked since) and its CSC: a document that says otherwise is a
    /// problem naming the field and the card, masked (import.md: no silent overwrite).
    fn same_opening_and_csc(
        &mut self,
        path: &str,
        existing: &MerchantcardRow,
        row: &MerchantcardRow,
        mc: &MerchantcardItem,
    ) -> Result<(), ImportError> {
        let card = self.masked_number(&existing.card_id)?;
        let opening = self.tx.bookings_of_card(&existing.id)?;
        let opened = |kind: BalanceKind| -> i64 {
            opening
                .iter()
                .filter(|b| b.kind == BookingType::Opening && b.balance_kind == kind)
                .map(|b| b.amount)
                .sum()
        };
        for (field, kind, said) in [
            ("cash_balance", BalanceKind::Cash, row.cash_balance.0),
            ("bonus_balance", BalanceKind::Bonus, row.bonus_balance.0),
            ("points", BalanceKind::Points, row.points),
        ] {
            let stored = opened(kind);
            if stored != said {
                self.problems.push(format!(
                    "{path}.{field}: merchant card {} (card {card}) was imported with opening \
                     {field} {stored}, the document says {said}",
                    existing.id
                ));
            }
        }
        let csc = match (mc.csc.as_deref(), existing.csc_hash.as_deref()) {
            (Some(said), Some(stored)) if !verify_secret(said, stored) => "another CSC",
            (Some(_), None) => "no CSC",
            (None, Some(_)) => "a CSC the document does not give",
            _ => return Ok(()),
        };
        self.problems.push(format!(
            "{path}.csc: merchant card {} (card {card}) exists with {csc}",
            existing.id
        ));
        Ok(())
    }

    /// A card's number as logs and messages show it (`927600******2845`).
    fn masked_number(&mut self, card_id: &str) -> Result<String, ImportError> {
        let number = self.tx.card(&card_id.into())?.map(|c| c.cardnumber);
        Ok(match number.as_deref().map(CardNumber::parse) {
            Some(Ok(n)) => n.masked(),
            _ => card_id.to_owned(),
        })
    }

    fn check_merchantcard_refs(
        &mut self,
        path: &str,
        mc: &MerchantcardItem,
    ) -> Result<(), ImportError> {
        let merchant = &mc.merchant.merchant_id();
        self.ensure_merchant(&format!("{path}.merchant"), merchant)?;
        self.same_merchant(
            &format!("{path}.cardgroup"),
            Object::Cardgroup,
            &mc.cardgroup.0,
            merchant,
        )?;
        if let Some(c) = &mc.customer {
            self.same_merchant(
                &format!("{path}.customer"),
                Object::Customer,
                &c.0,
                merchant,
            )?;
        }
        if let Some(s) = &mc.created_for_store {
            let path = format!("{path}.created_for_store");
            self.same_merchant(&path, Object::Store, &s.0, merchant)?;
        }
        let card_known = self.doc.cards.iter().any(|c| c.id == mc.card.0)
            || self.tx.card(&mc.card.0.as_str().into())?.is_some();
        if !card_known {
            self.problems
                .push(format!("{path}.card: unknown card {}", mc.card.0));
        }
        Ok(())
    }

    fn check_merchantcard_secrets(&mut self, path: &str, mc: &MerchantcardItem) {
        if let Some(csc) = &mc.csc
            && (csc.len() != 4 || !csc.bytes().all(|b| b.is_ascii_digit()))
        {
            self.problems.push(format!("{path}.csc: must be 4 digits"));
        }
        if mc.passcode_pin.is_some_and(|p| !(0..=9999).contains(&p)) {
            self.problems
                .push(format!("{path}.passcode_pin: must be 0 to 9999"));
        }
    }

    fn merchantcard_row(&mut self, path: &str, mc: &MerchantcardItem) -> MerchantcardRow {
        let created = self.time(&format!("{path}.created"), mc.created.as_deref());
        let mut optional_time = |field: &str, value: Option<&str>| {
            value.map(|t| self.time(&format!("{path}.{field}"), Some(t)))
        };
        let customer_assignment_date = mc.customer.as_ref().map(|_| {
            optional_time(
                "customer_assignment_date",
                mc.customer_assignment_date.as_deref(),
            )
            .unwrap_or(created)
        });
        let last_usage = optional_time("last_usage", mc.last_usage.as_deref());
        let last_charge = optional_time("last_charge", mc.last_charge.as_deref());
        let expiry_date = optional_time("expiry_date", mc.expiry_date.as_deref());
        let stock_status = self.named(
            &format!("{path}.stock_status"),
            mc.stock_status.as_deref(),
            StockStatus::parse,
            StockStatus::Active,
        );
        let lock_status = self.named(
            &format!("{path}.lock_status"),
            mc.lock_status.as_deref(),
            LockStatus::parse,
            LockStatus::Unlocked,
        );
        MerchantcardRow {
            id: mc.id.clone().into(),
            merchant_id: mc.merchant.merchant_id(),
            card_id: mc.card.0.clone().into(),
            cardgroup_id: mc.cardgroup.0.clone().into(),
            created_for_merchant_id: mc.merchant.merchant_id(),
            created_for_store_id: mc.created_for_store.as_ref().map(|s| s.0.clone().into()),
            customer_id: mc.customer.as_ref().map(|c| c.0.clone().into()),
            customer_assignment_date,
            is_base_card: mc.is_base_card.unwrap_or(true),
            cash_balance: Cents(mc.cash_balance.unwrap_or(0)),
            bonus_balance: Cents(mc.bonus_balance.unwrap_or(0)),
            points: mc.points.unwrap_or(0),
            last_usage,
            last_charge,
            stock_status,
            lock_status,
            lock_reason: mc.lock_reason,
            lock_note: mc.lock_note.clone(),
            expiry_date,
            csc_hash: mc.csc.as_deref().map(hash_secret),
            passcode_hash: mc.passcode_pin.map(|p| hash_secret(&p.to_string())),
            created,
        }
    }

    /// Opening balances are bookings of one opening loyalty transaction ("Saldovortrag").
    fn book_opening(
        &mut self,
        card: &MerchantcardRow,
        opening: Option<&OpeningItem>,
    ) -> Result<(), ImportError> {
        let id = opening
            .and_then(|o| o.id.clone())
            .unwrap_or_else(|| new_id("LTX"));
        let id = LtxId::new(id);
        let trans_id = match opening.and_then(|o| o.trans_id) {
            Some(t) => {
                self.tx.raise_ta_code(t)?;
                t
            }
            None => self.tx.next_ta_code()?,
        };
        let created = opening
            .and_then(|o| o.created.as_deref())
            .and_then(|t| self.clock.parse(t))
            .unwrap_or(self.now);
        let bookings: Vec<BookingRow> = [
            (BalanceKind::Cash, card.cash_balance.0),
            (BalanceKind::Bonus, card.bonus_balance.0),
            (BalanceKind::Points, card.points),
        ]
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .enumerate()
        .map(|(seq, (kind, amount))| BookingRow {
            ltx_id: id.clone(),
            seq: seq as i64,
            merchantcard_id: card.id.clone(),
            kind: BookingType::Opening,
            balance_kind: kind,
            amount,
        })
        .collect();
        let balance = card
            .cash_balance
            .checked_add(card.bonus_balance)
            .map_err(|e| ImportError::Invalid(vec![format!("merchant card {}: {e}", card.id)]))?;
        let row = LtxRow {
            id,
            merchant_id: card.merchant_id.clone(),
            merchantcard_id: card.id.clone(),
            cardgroup_id: card.cardgroup_id.clone(),
            store_id: card.created_for_store_id.clone(),
            trans_id,
            tid: None,
            status: LtxStatus::Ok,
            amount: balance,
            currency: self.currency_of_group(&card.cardgroup_id)?,
            balance,
            description: "Saldovortrag".into(),
            purpose: None,
            additional_data: None,
            receipt: "[]".into(),
            figures: None,
            is_cancelling: false,
            revenue: Cents::ZERO,
            smart_transaction_id: None,
            parent_id: None,
            child_id: None,
            created,
            last_change: created,
        };
        self.tx.insert_ltx(&row, &bookings)?;
        self.booked_for.insert(row.merchant_id);
        Ok(())
    }

    /// The currency of a card group of the document or of the database.
    fn currency_of_group(&mut self, cardgroup_id: &str) -> Result<String, StoreError> {
        if let Some(currency) = self.currency_of.get(cardgroup_id) {
            return Ok(currency.clone());
        }
        Ok(self
            .tx
            .cardgroup(&cardgroup_id.into())?
            .map_or_else(|| "EUR".into(), |g| g.currency))
    }

    fn client(&mut self, path: &str, c: &ClientItem) -> Result<(), ImportError> {
        if let Some(m) = &c.merchant {
            self.ensure_merchant(&format!("{path}.merchant"), &m.merchant_id())?;
        }
        let grants = c
            .grants
            .clone()
            .unwrap_or_else(|| GRANTS.iter().map(|g| g.to_string()).collect());
        for g in grants.iter().filter(|g| !GRANTS.contains(&g.as_str())) {
            self.problems
                .push(format!("{path}.grants: unknown grant {g}"));
        }
        let merchant_id = c.merchant.as_ref().map(|m| m.merchant_id());
        if self
            .tx
            .client_entry(&c.client_id)?
            .is_some_and(|e| e.revoked_at.is_some())
        {
            self.problems.push(format!(
                "{path}: client {} was revoked and cannot be imported again",
                c.client_id
            ));
            return Ok(());
        }
        let existing = self.tx.client(&c.client_id)?;
        let now = self.now;
        self.keep_or_create(
            "clients",
            existing,
            |e| {
                let same =
                    verify_secret(&c.client_secret, &e.secret_hash) && e.merchant_id == merchant_id;
                (!same).then(|| format!("{path}: client {} exists with other data", c.client_id))
            },
            |tx| {
                tx.insert_client(&ClientRow {
                    client_id: c.client_id.clone(),
                    secret_hash: hash_secret(&c.client_secret),
                    merchant_id: merchant_id.clone(),
                    grants: grants.join(","),
                    created: now,
                })
            },
        )
    }

    fn user(&mut self, path: &str, u: &UserItem) -> Result<(), ImportError> {
        self.ensure_merchant(&format!("{path}.merchant"), &u.merchant.merchant_id())?;
        if self
            .tx
            .user_entry(&u.username)?
            .is_some_and(|e| e.username == u.username && e.disabled_at.is_some())
        {
            self.problems.push(format!(
                "{path}: user {} was disabled and cannot be imported again",
                u.username
            ));
            return Ok(());
        }
        let existing = self.tx.user_by_username(&u.username)?;
        let now = self.now;
        self.keep_or_create(
            "users",
            existing,
            |e| {
                let same = e.merchant_id == u.merchant.0
                    && verify_password(&u.password, &e.password_hash) != PasswordCheck::Wrong;
                (!same).then(|| format!("{path}: user {} exists with other data", u.username))
            },
            |tx| {
                tx.insert_user(&UserRow {
                    id: u.id.clone().unwrap_or_else(|| new_id("ACC")),
                    merchant_id: u.merchant.merchant_id(),
                    username: u.username.clone(),
                    password_hash: hash_password(&u.password),
                    created: now,
                })
            },
        )
    }
}
