//! `loyalpos import FILE.json` (spec import.md): brings a merchant's data in keeping ids, card
//! numbers, credentials and balances. Everything is validated first; on any problem nothing is
//! written and every problem is listed with its JSON path. Importing the same document again
//! changes nothing; an existing object with other data is a problem, never silently overwritten.

use std::collections::{BTreeMap, HashSet};

use loyalpos_store::{
    BookingRow, CardRow, CardgroupRow, ClientRow, ContractRow, CustomerRow, DeviceRow, LtxRow,
    MerchantRow, MerchantcardRow, StoreRow, Tx, UserRow,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::clock::Clock;
use crate::devices::default_products;
use crate::oauth::GRANTS;
use crate::secret::{hash_secret, is_id, new_id, verify_secret};
use crate::wire::IdRef;

/// Counts per key: (created, already present).
pub type ImportReport = BTreeMap<&'static str, (usize, usize)>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the import document has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] loyalpos_store::StoreError),
}

#[derive(Deserialize)]
struct MerchantItem {
    id: String,
    companyname: String,
    id_old: Option<i64>,
    #[serde(rename = "type")]
    user_type: Option<String>,
    project_name: Option<String>,
    categories: Option<Value>,
    created: Option<String>,
}

#[derive(Deserialize)]
struct ContractItem {
    id: String,
    merchant: IdRef,
}

#[derive(Deserialize)]
struct StoreItem {
    id: String,
    merchant: IdRef,
    name: String,
    id_old: Option<String>,
    is_default: Option<bool>,
    address: Option<Value>,
    facebook_id: Option<String>,
    phone: Option<String>,
    url_website: Option<String>,
    photo_main: Option<String>,
    photo: Option<Vec<String>>,
    open_hours: Option<Vec<Value>>,
    created: Option<String>,
}

#[derive(Deserialize)]
struct DeviceItem {
    id: String,
    merchant: IdRef,
    store: IdRef,
    #[serde(rename = "type")]
    device_type: String,
    contract: Option<IdRef>,
    vendor: Option<String>,
    vendor_uid: Option<String>,
    description: Option<String>,
    tid: Option<String>,
    products: Option<Value>,
    device_pin: Option<String>,
    /// loyalpos extension: the device's next receipt number (default 1).
    next_receipt_number: Option<i64>,
    created: Option<String>,
}

#[derive(Deserialize, Default)]
struct BonusItem {
    rate: Option<i64>,
    base: Option<String>,
    filter: Option<FilterItem>,
    products: Option<Vec<Value>>,
}

#[derive(Deserialize, Default)]
struct FilterItem {
    mode: Option<String>,
    codes: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CardgroupItem {
    id: String,
    merchant: IdRef,
    display_name: String,
    picture: Option<String>,
    stock_warn_limit: Option<i64>,
    description: Option<String>,
    cancel_selected: Option<bool>,
    currency: Option<String>,
    bonus: Option<BonusItem>,
    overdraft_allowed: Option<bool>,
    overdraft_limit: Option<i64>,
    passcode_policy: Option<i64>,
    card_creation_via_stx: Option<bool>,
    created: Option<String>,
}

#[derive(Deserialize)]
struct CustomerItem {
    id: String,
    merchant: IdRef,
    merchant_contact: Option<Value>,
    contact: Option<Value>,
    customernumber: Option<String>,
    note: Option<String>,
    consent_for_communication: Option<Value>,
    additional_data: Option<Value>,
    created: Option<String>,
}

#[derive(Deserialize)]
struct CardItem {
    id: String,
    cardnumber: String,
    created: Option<String>,
}

#[derive(Deserialize)]
struct MerchantcardItem {
    id: String,
    merchant: IdRef,
    card: IdRef,
    cardgroup: IdRef,
    created_for_store: Option<IdRef>,
    customer: Option<IdRef>,
    customer_assignment_date: Option<String>,
    is_base_card: Option<bool>,
    cash_balance: Option<i64>,
    bonus_balance: Option<i64>,
    points: Option<i64>,
    last_usage: Option<String>,
    last_charge: Option<String>,
    stock_status: Option<String>,
    lock_status: Option<String>,
    lock_reason: Option<i64>,
    lock_note: Option<String>,
    expiry_date: Option<String>,
    csc: Option<String>,
    passcode_pin: Option<i64>,
    created: Option<String>,
    /// loyalpos extension: id, TA code and time of the opening loyalty transaction.
    opening_transaction: Option<OpeningItem>,
}

#[derive(Deserialize)]
struct OpeningItem {
    id: Option<String>,
    trans_id: Option<i64>,
    created: Option<String>,
}

#[derive(Deserialize)]
struct ClientItem {
    client_id: String,
    client_secret: String,
    merchant: Option<IdRef>,
    grants: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct UserItem {
    /// loyalpos extension: keep an account id (`ACC_…`).
    id: Option<String>,
    username: String,
    password: String,
    merchant: IdRef,
}

/// Reads the items of one key, collecting decode problems with their paths.
fn items<T: DeserializeOwned>(doc: &Value, key: &str, problems: &mut Vec<String>) -> Vec<T> {
    let Some(value) = doc.get(key) else {
        return Vec::new();
    };
    let Some(array) = value.as_array() else {
        problems.push(format!("{key}: expected an array"));
        return Vec::new();
    };
    array
        .iter()
        .enumerate()
        .filter_map(
            |(i, item)| match serde_path_to_error::deserialize::<_, T>(item.clone()) {
                Ok(v) => Some(v),
                Err(e) => {
                    problems.push(format!("{key}[{i}].{}: {}", e.path(), e.inner()));
                    None
                }
            },
        )
        .collect()
}

struct Doc {
    merchants: Vec<MerchantItem>,
    contracts: Vec<ContractItem>,
    stores: Vec<StoreItem>,
    devices: Vec<DeviceItem>,
    cardgroups: Vec<CardgroupItem>,
    customers: Vec<CustomerItem>,
    cards: Vec<CardItem>,
    merchantcards: Vec<MerchantcardItem>,
    clients: Vec<ClientItem>,
    users: Vec<UserItem>,
}

const KEYS: [&str; 10] = [
    "general.merchants",
    "general.contracts",
    "general.stores",
    "smart.devices",
    "loyalty.cardgroups",
    "loyalty.customers",
    "loyalty.cards",
    "loyalty.merchantcards",
    "clients",
    "users",
];

/// Imports a document in one unit of work of `tx` (the caller commits).
pub async fn import(
    tx: &mut dyn Tx,
    clock: &Clock,
    doc: &Value,
) -> Result<ImportReport, ImportError> {
    let mut problems = Vec::new();
    let Some(obj) = doc.as_object() else {
        return Err(ImportError::Invalid(vec![
            "the document must be a JSON object".into(),
        ]));
    };
    for key in obj.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(format!("{key}: unknown key"));
        }
    }
    let d = Doc {
        merchants: items(doc, "general.merchants", &mut problems),
        contracts: items(doc, "general.contracts", &mut problems),
        stores: items(doc, "general.stores", &mut problems),
        devices: items(doc, "smart.devices", &mut problems),
        cardgroups: items(doc, "loyalty.cardgroups", &mut problems),
        customers: items(doc, "loyalty.customers", &mut problems),
        cards: items(doc, "loyalty.cards", &mut problems),
        merchantcards: items(doc, "loyalty.merchantcards", &mut problems),
        clients: items(doc, "clients", &mut problems),
        users: items(doc, "users", &mut problems),
    };
    let mut writer = Writer {
        tx,
        clock,
        problems,
        report: ImportReport::new(),
        dry_run: true,
        doc: &d,
    };
    // Pass 1 validates everything without writing; pass 2 writes only if pass 1 found nothing.
    writer.run().await?;
    if !writer.problems.is_empty() {
        return Err(ImportError::Invalid(writer.problems));
    }
    writer.dry_run = false;
    writer.report.clear();
    writer.run().await?;
    if !writer.problems.is_empty() {
        return Err(ImportError::Invalid(writer.problems));
    }
    Ok(writer.report)
}

struct Writer<'a> {
    tx: &'a mut dyn Tx,
    clock: &'a Clock,
    problems: Vec<String>,
    report: ImportReport,
    dry_run: bool,
    doc: &'a Doc,
}

/// Which merchant every imported object belongs to (for the consistency checks).
#[derive(Default)]
struct Owners {
    of: BTreeMap<String, String>,
}

impl Writer<'_> {
    fn time(&mut self, path: &str, value: Option<&str>, default: i64) -> i64 {
        match value {
            None => default,
            Some(t) => self.clock.parse(t).unwrap_or_else(|| {
                self.problems
                    .push(format!("{path}: not an ISO 8601 timestamp"));
                default
            }),
        }
    }

    fn count(&mut self, key: &'static str, created: bool) {
        let entry = self.report.entry(key).or_default();
        if created { entry.0 += 1 } else { entry.1 += 1 }
    }

    fn check_id(&mut self, path: &str, id: &str, prefix: &str) {
        if !is_id(id, prefix) {
            self.problems.push(format!(
                "{path}: malformed id {id} (expected {prefix}_ + 30 [A-Z0-9])"
            ));
        }
    }

    /// Resolves a reference to an object of `merchant` (in the document or the database).
    fn same_merchant(&mut self, owners: &Owners, path: &str, id: &str, merchant: &str) {
        match owners.of.get(id) {
            None => self
                .problems
                .push(format!("{path}: unknown reference {id}")),
            Some(m) if m != merchant => self
                .problems
                .push(format!("{path}: {id} belongs to another merchant")),
            Some(_) => {}
        }
    }

    async fn run(&mut self) -> Result<(), ImportError> {
        let now = self.clock.now();
        let mut owners = Owners::default();
        let mut seen: HashSet<String> = HashSet::new();
        let doc = self.doc;

        for (i, m) in doc.merchants.iter().enumerate() {
            let path = format!("general.merchants[{i}]");
            self.check_id(&path, &m.id, "MRC");
            if !seen.insert(m.id.clone()) {
                self.problems
                    .push(format!("{path}.id: duplicate id {}", m.id));
            }
            let row = MerchantRow {
                id: m.id.clone(),
                id_old: m.id_old.unwrap_or(100_000),
                companyname: m.companyname.clone(),
                user_type: m.user_type.clone().unwrap_or_else(|| "46".into()),
                project_name: m.project_name.clone(),
                legal_details: "[]".into(),
                urls: "[]".into(),
                categories: m
                    .categories
                    .clone()
                    .unwrap_or(Value::Array(vec![]))
                    .to_string(),
                default_store_id: doc
                    .stores
                    .iter()
                    .find(|s| s.merchant.0 == m.id && s.is_default == Some(true))
                    .map(|s| s.id.clone()),
                default_contract_id: doc
                    .contracts
                    .iter()
                    .find(|c| c.merchant.0 == m.id)
                    .map(|c| c.id.clone()),
                is_demo: false,
                created: self.time(&format!("{path}.created"), m.created.as_deref(), now),
            };
            owners.of.insert(m.id.clone(), m.id.clone());
            match self.tx.merchant(&m.id).await? {
                Some(existing) => {
                    let same =
                        existing.companyname == row.companyname && existing.id_old == row.id_old;
                    if !same {
                        self.problems
                            .push(format!("{path}: merchant {} exists with other data", m.id));
                    }
                    self.count("general.merchants", false);
                }
                None => {
                    if !self.dry_run {
                        // Default store and contract are linked once they exist (below).
                        let mut first = row.clone();
                        first.default_store_id = None;
                        first.default_contract_id = None;
                        self.tx.insert_merchant(&first).await?;
                    }
                    self.count("general.merchants", true);
                }
            }
        }
        for m in &doc.merchants {
            owners.of.insert(m.id.clone(), m.id.clone());
        }

        for (i, c) in doc.contracts.iter().enumerate() {
            let path = format!("general.contracts[{i}]");
            self.check_id(&path, &c.id, "GCR");
            self.ensure_merchant(&owners, &format!("{path}.merchant"), &c.merchant.0)
                .await?;
            match self.tx.contract(&c.id).await? {
                Some(existing) => {
                    if existing.merchant_id != c.merchant.0 {
                        self.problems.push(format!(
                            "{path}: contract {} exists for another merchant",
                            c.id
                        ));
                    }
                    self.count("general.contracts", false);
                }
                None => {
                    if !self.dry_run {
                        let row = ContractRow {
                            id: c.id.clone(),
                            merchant_id: c.merchant.0.clone(),
                            created: now,
                        };
                        self.tx.insert_contract(&row).await?;
                    }
                    self.count("general.contracts", true);
                }
            }
            owners.of.insert(c.id.clone(), c.merchant.0.clone());
        }

        for (i, s) in doc.stores.iter().enumerate() {
            let path = format!("general.stores[{i}]");
            self.check_id(&path, &s.id, "STO");
            self.ensure_merchant(&owners, &format!("{path}.merchant"), &s.merchant.0)
                .await?;
            let row = StoreRow {
                id: s.id.clone(),
                merchant_id: s.merchant.0.clone(),
                id_old: s.id_old.clone().unwrap_or_else(|| "200000".into()),
                name: s.name.clone(),
                address: s.address.as_ref().map(Value::to_string),
                facebook_id: s.facebook_id.clone(),
                phone: s.phone.clone(),
                url_website: s.url_website.clone(),
                photo_main: s.photo_main.clone(),
                photo: serde_json::json!(s.photo.clone().unwrap_or_default()).to_string(),
                open_hours: Value::Array(s.open_hours.clone().unwrap_or_default()).to_string(),
                created: self.time(&format!("{path}.created"), s.created.as_deref(), now),
            };
            match self.tx.store(&s.id).await? {
                Some(existing) => {
                    if existing.merchant_id != row.merchant_id || existing.name != row.name {
                        self.problems
                            .push(format!("{path}: store {} exists with other data", s.id));
                    }
                    self.count("general.stores", false);
                }
                None => {
                    if !self.dry_run {
                        self.tx.insert_store(&row).await?;
                    }
                    self.count("general.stores", true);
                }
            }
            owners.of.insert(s.id.clone(), s.merchant.0.clone());
        }
        self.link_defaults().await?;

        for (i, dv) in doc.devices.iter().enumerate() {
            let path = format!("smart.devices[{i}]");
            self.check_id(&path, &dv.id, "SDV");
            let merchant = dv.merchant.0.clone();
            self.ensure_merchant(&owners, &format!("{path}.merchant"), &merchant)
                .await?;
            self.same_merchant(&owners, &format!("{path}.store"), &dv.store.0, &merchant);
            if let Some(c) = &dv.contract {
                self.same_merchant(&owners, &format!("{path}.contract"), &c.0, &merchant);
            }
            let row = DeviceRow {
                id: dv.id.clone(),
                merchant_id: merchant.clone(),
                store_id: dv.store.0.clone(),
                contract_id: dv.contract.as_ref().map(|c| c.0.clone()).or_else(|| {
                    doc.contracts
                        .iter()
                        .find(|c| c.merchant.0 == merchant)
                        .map(|c| c.id.clone())
                }),
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
                created: self.time(&format!("{path}.created"), dv.created.as_deref(), now),
                updated: None,
            };
            match self.tx.device(&dv.id).await? {
                Some(existing) => {
                    if existing.merchant_id != row.merchant_id
                        || existing.vendor_uid != row.vendor_uid
                    {
                        self.problems
                            .push(format!("{path}: device {} exists with other data", dv.id));
                    }
                    self.count("smart.devices", false);
                }
                None => {
                    if !self.dry_run {
                        self.tx.insert_device(&row).await?;
                    }
                    self.count("smart.devices", true);
                }
            }
            owners.of.insert(dv.id.clone(), merchant);
        }

        self.import_loyalty(&mut owners, now).await?;
        self.import_credentials(&owners, now).await?;
        Ok(())
    }

    async fn ensure_merchant(
        &mut self,
        owners: &Owners,
        path: &str,
        merchant_id: &str,
    ) -> Result<(), ImportError> {
        if owners.of.contains_key(merchant_id) || self.tx.merchant(merchant_id).await?.is_some() {
            return Ok(());
        }
        self.problems
            .push(format!("{path}: unknown merchant {merchant_id}"));
        Ok(())
    }

    async fn link_defaults(&mut self) -> Result<(), ImportError> {
        if self.dry_run {
            return Ok(());
        }
        for m in &self.doc.merchants {
            let Some(mut row) = self.tx.merchant(&m.id).await? else {
                continue;
            };
            let default_store = self
                .doc
                .stores
                .iter()
                .find(|s| s.merchant.0 == m.id && s.is_default == Some(true));
            let default_contract = self.doc.contracts.iter().find(|c| c.merchant.0 == m.id);
            let mut changed = false;
            if row.default_store_id.is_none() {
                row.default_store_id = default_store.map(|s| s.id.clone());
                changed |= row.default_store_id.is_some();
            }
            if row.default_contract_id.is_none() {
                row.default_contract_id = default_contract.map(|c| c.id.clone());
                changed |= row.default_contract_id.is_some();
            }
            if changed {
                self.tx.update_merchant(&row).await?;
            }
        }
        Ok(())
    }

    async fn import_loyalty(&mut self, owners: &mut Owners, now: i64) -> Result<(), ImportError> {
        let doc = self.doc;
        let mut currency_of: BTreeMap<String, String> = BTreeMap::new();
        for (i, g) in doc.cardgroups.iter().enumerate() {
            let path = format!("loyalty.cardgroups[{i}]");
            self.check_id(&path, &g.id, "CRG");
            self.ensure_merchant(owners, &format!("{path}.merchant"), &g.merchant.0)
                .await?;
            let bonus = g.bonus.as_ref();
            let filter = bonus.and_then(|b| b.filter.as_ref());
            let row = CardgroupRow {
                id: g.id.clone(),
                merchant_id: g.merchant.0.clone(),
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
                filter_codes: serde_json::json!(
                    filter.and_then(|f| f.codes.clone()).unwrap_or_default()
                )
                .to_string(),
                bonus_products: Value::Array(
                    bonus.and_then(|b| b.products.clone()).unwrap_or_default(),
                )
                .to_string(),
                overdraft_allowed: g.overdraft_allowed.unwrap_or(false),
                overdraft_limit: g.overdraft_limit.unwrap_or(0),
                passcode_policy: g.passcode_policy.unwrap_or(0),
                card_creation_via_stx: g.card_creation_via_stx.unwrap_or(false),
                created: self.time(&format!("{path}.created"), g.created.as_deref(), now),
            };
            if let Err(e) = crate::loyalty_rules::card_rules(&row) {
                self.problems.push(format!("{path}: {e}"));
            }
            currency_of.insert(row.id.clone(), row.currency.clone());
            match self.tx.cardgroup(&g.id).await? {
                Some(existing) => {
                    if existing.merchant_id != row.merchant_id
                        || existing.display_name != row.display_name
                    {
                        self.problems.push(format!(
                            "{path}: card group {} exists with other data",
                            g.id
                        ));
                    }
                    self.count("loyalty.cardgroups", false);
                }
                None => {
                    if !self.dry_run {
                        self.tx.insert_cardgroup(&row).await?;
                    }
                    self.count("loyalty.cardgroups", true);
                }
            }
            owners.of.insert(g.id.clone(), g.merchant.0.clone());
        }

        for (i, c) in doc.customers.iter().enumerate() {
            let path = format!("loyalty.customers[{i}]");
            self.check_id(&path, &c.id, "CUS");
            self.ensure_merchant(owners, &format!("{path}.merchant"), &c.merchant.0)
                .await?;
            let consent = match crate::loyalty_rules::consent(c.consent_for_communication.as_ref())
            {
                Ok(v) => v,
                Err(e) => {
                    self.problems
                        .push(format!("{path}.consent_for_communication: {e}"));
                    None
                }
            };
            let contact = c.merchant_contact.clone().or_else(|| c.contact.clone());
            let row = CustomerRow {
                id: c.id.clone(),
                merchant_id: c.merchant.0.clone(),
                merchant_contact: contact.map(|v| v.to_string()),
                customernumber: c.customernumber.clone(),
                note: c.note.clone(),
                consent,
                additional_data: c.additional_data.as_ref().map(Value::to_string),
                created: self.time(&format!("{path}.created"), c.created.as_deref(), now),
            };
            match self.tx.customer(&c.id).await? {
                Some(existing) => {
                    if existing.merchant_id != row.merchant_id {
                        self.problems.push(format!(
                            "{path}: customer {} exists for another merchant",
                            c.id
                        ));
                    }
                    self.count("loyalty.customers", false);
                }
                None => {
                    if !self.dry_run {
                        self.tx.insert_customer(&row).await?;
                    }
                    self.count("loyalty.customers", true);
                }
            }
            owners.of.insert(c.id.clone(), c.merchant.0.clone());
        }

        let mut numbers = HashSet::new();
        for (i, c) in doc.cards.iter().enumerate() {
            let path = format!("loyalty.cards[{i}]");
            self.check_id(&path, &c.id, "CRD");
            if loyalpos_domain::card::CardNumber::parse(&c.cardnumber).is_err() {
                self.problems
                    .push(format!("{path}.cardnumber: must be 16 digits"));
            }
            if !numbers.insert(c.cardnumber.clone()) {
                self.problems
                    .push(format!("{path}.cardnumber: duplicate card number"));
            }
            let row = CardRow {
                id: c.id.clone(),
                cardnumber: c.cardnumber.clone(),
                account_id: None,
                created: self.time(&format!("{path}.created"), c.created.as_deref(), now),
            };
            let by_number = self.tx.card_by_number(&c.cardnumber).await?;
            match self.tx.card(&c.id).await? {
                Some(existing) => {
                    if existing.cardnumber != row.cardnumber {
                        self.problems
                            .push(format!("{path}: card {} exists with another number", c.id));
                    }
                    self.count("loyalty.cards", false);
                }
                None if by_number.is_some() => {
                    self.problems.push(format!(
                        "{path}.cardnumber: number already used by another card"
                    ));
                }
                None => {
                    if !self.dry_run {
                        self.tx.insert_card(&row).await?;
                    }
                    self.count("loyalty.cards", true);
                }
            }
        }

        for (i, mc) in doc.merchantcards.iter().enumerate() {
            self.import_merchantcard(owners, &currency_of, i, mc, now)
                .await?;
        }
        Ok(())
    }

    async fn import_merchantcard(
        &mut self,
        owners: &Owners,
        currency_of: &BTreeMap<String, String>,
        i: usize,
        mc: &MerchantcardItem,
        now: i64,
    ) -> Result<(), ImportError> {
        let path = format!("loyalty.merchantcards[{i}]");
        self.check_id(&path, &mc.id, "MCD");
        let merchant = mc.merchant.0.clone();
        self.ensure_merchant(owners, &format!("{path}.merchant"), &merchant)
            .await?;
        self.same_merchant(
            owners,
            &format!("{path}.cardgroup"),
            &mc.cardgroup.0,
            &merchant,
        );
        if let Some(c) = &mc.customer {
            self.same_merchant(owners, &format!("{path}.customer"), &c.0, &merchant);
        }
        if let Some(s) = &mc.created_for_store {
            self.same_merchant(
                owners,
                &format!("{path}.created_for_store"),
                &s.0,
                &merchant,
            );
        }
        let card_known = self.doc.cards.iter().any(|c| c.id == mc.card.0)
            || self.tx.card(&mc.card.0).await?.is_some();
        if !card_known {
            self.problems
                .push(format!("{path}.card: unknown card {}", mc.card.0));
        }
        if let Some(csc) = &mc.csc
            && (csc.len() != 4 || !csc.bytes().all(|b| b.is_ascii_digit()))
        {
            self.problems.push(format!("{path}.csc: must be 4 digits"));
        }
        if mc.passcode_pin.is_some_and(|p| !(0..=9999).contains(&p)) {
            self.problems
                .push(format!("{path}.passcode_pin: must be 0 to 9999"));
        }
        let (cash, bonus, points) = (
            mc.cash_balance.unwrap_or(0),
            mc.bonus_balance.unwrap_or(0),
            mc.points.unwrap_or(0),
        );
        if bonus < 0 || points < 0 {
            self.problems.push(format!(
                "{path}: opening bonus and points must not be negative"
            ));
        }
        let created = self.time(&format!("{path}.created"), mc.created.as_deref(), now);
        let row = MerchantcardRow {
            id: mc.id.clone(),
            merchant_id: merchant.clone(),
            card_id: mc.card.0.clone(),
            cardgroup_id: mc.cardgroup.0.clone(),
            created_for_merchant_id: merchant.clone(),
            created_for_store_id: mc.created_for_store.as_ref().map(|s| s.0.clone()),
            customer_id: mc.customer.as_ref().map(|c| c.0.clone()),
            customer_assignment_date: match (&mc.customer, &mc.customer_assignment_date) {
                (Some(_), Some(t)) => {
                    Some(self.time(&format!("{path}.customer_assignment_date"), Some(t), now))
                }
                (Some(_), None) => Some(created),
                _ => None,
            },
            is_base_card: mc.is_base_card.unwrap_or(true),
            cash_balance: cash,
            bonus_balance: bonus,
            points,
            last_usage: mc
                .last_usage
                .as_deref()
                .map(|t| self.time(&format!("{path}.last_usage"), Some(t), now)),
            last_charge: mc
                .last_charge
                .as_deref()
                .map(|t| self.time(&format!("{path}.last_charge"), Some(t), now)),
            stock_status: mc.stock_status.clone().unwrap_or_else(|| "active".into()),
            lock_status: mc.lock_status.clone().unwrap_or_else(|| "unlocked".into()),
            lock_reason: mc.lock_reason,
            lock_note: mc.lock_note.clone(),
            expiry_date: mc
                .expiry_date
                .as_deref()
                .map(|t| self.time(&format!("{path}.expiry_date"), Some(t), now)),
            csc_hash: mc.csc.as_deref().map(hash_secret),
            passcode_hash: mc.passcode_pin.map(|p| hash_secret(&p.to_string())),
            created,
        };
        if let Some(existing) = self.tx.merchantcard(&mc.id).await? {
            if existing.card_id != row.card_id || existing.merchant_id != row.merchant_id {
                self.problems.push(format!(
                    "{path}: merchant card {} exists with other data",
                    mc.id
                ));
            }
            self.count("loyalty.merchantcards", false);
            return Ok(());
        }
        if self
            .tx
            .merchantcard_by_card(&merchant, &mc.card.0)
            .await?
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
        self.tx.insert_merchantcard(&row).await?;
        if cash != 0 || bonus != 0 || points != 0 {
            let currency = currency_of
                .get(&row.cardgroup_id)
                .cloned()
                .unwrap_or_else(|| "EUR".into());
            self.book_opening(&row, mc.opening_transaction.as_ref(), &currency, now)
                .await?;
        }
        Ok(())
    }

    /// Opening balances are bookings of one opening loyalty transaction ("Saldovortrag").
    async fn book_opening(
        &mut self,
        card: &MerchantcardRow,
        opening: Option<&OpeningItem>,
        currency: &str,
        now: i64,
    ) -> Result<(), ImportError> {
        let id = opening
            .and_then(|o| o.id.clone())
            .unwrap_or_else(|| new_id("LTX"));
        let trans_id = match opening.and_then(|o| o.trans_id) {
            Some(t) => {
                self.tx.raise_ta_code(t).await?;
                t
            }
            None => self.tx.next_ta_code().await?,
        };
        let created = match opening.and_then(|o| o.created.as_deref()) {
            Some(t) => self.clock.parse(t).unwrap_or(now),
            None => now,
        };
        let bookings: Vec<BookingRow> = [
            ("cash", card.cash_balance),
            ("bonus", card.bonus_balance),
            ("points", card.points),
        ]
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .enumerate()
        .map(|(seq, (kind, amount))| BookingRow {
            ltx_id: id.clone(),
            seq: seq as i64,
            merchantcard_id: card.id.clone(),
            kind: "opening".into(),
            balance_kind: kind.into(),
            amount,
        })
        .collect();
        let balance = card.cash_balance + card.bonus_balance;
        let row = LtxRow {
            id,
            merchant_id: card.merchant_id.clone(),
            merchantcard_id: card.id.clone(),
            cardgroup_id: card.cardgroup_id.clone(),
            store_id: card.created_for_store_id.clone(),
            trans_id,
            tid: None,
            status: "ok".into(),
            amount: balance,
            currency: currency.into(),
            balance,
            description: "Saldovortrag".into(),
            purpose: None,
            additional_data: None,
            receipt: "[]".into(),
            figures: None,
            is_cancelling: false,
            revenue: 0,
            smart_transaction_id: None,
            parent_id: None,
            child_id: None,
            created,
            last_change: created,
        };
        self.tx.insert_ltx(&row, &bookings).await?;
        Ok(())
    }

    async fn import_credentials(&mut self, owners: &Owners, now: i64) -> Result<(), ImportError> {
        let doc = self.doc;
        for (i, c) in doc.clients.iter().enumerate() {
            let path = format!("clients[{i}]");
            if let Some(m) = &c.merchant {
                self.ensure_merchant(owners, &format!("{path}.merchant"), &m.0)
                    .await?;
            }
            let grants = c
                .grants
                .clone()
                .unwrap_or_else(|| GRANTS.iter().map(|g| g.to_string()).collect());
            for g in &grants {
                if !GRANTS.contains(&g.as_str()) {
                    self.problems
                        .push(format!("{path}.grants: unknown grant {g}"));
                }
            }
            match self.tx.client(&c.client_id).await? {
                Some(existing) => {
                    let same = verify_secret(&c.client_secret, &existing.secret_hash)
                        && existing.merchant_id == c.merchant.as_ref().map(|m| m.0.clone());
                    if !same {
                        self.problems.push(format!(
                            "{path}: client {} exists with other data",
                            c.client_id
                        ));
                    }
                    self.count("clients", false);
                }
                None => {
                    if !self.dry_run {
                        let row = ClientRow {
                            client_id: c.client_id.clone(),
                            secret_hash: hash_secret(&c.client_secret),
                            merchant_id: c.merchant.as_ref().map(|m| m.0.clone()),
                            grants: grants.join(","),
                            created: now,
                        };
                        self.tx.insert_client(&row).await?;
                    }
                    self.count("clients", true);
                }
            }
        }
        for (i, u) in doc.users.iter().enumerate() {
            let path = format!("users[{i}]");
            self.ensure_merchant(owners, &format!("{path}.merchant"), &u.merchant.0)
                .await?;
            match self.tx.user_by_username(&u.username).await? {
                Some(existing) => {
                    let same = existing.merchant_id == u.merchant.0
                        && verify_secret(&u.password, &existing.password_hash);
                    if !same {
                        self.problems.push(format!(
                            "{path}: user {} exists with other data",
                            u.username
                        ));
                    }
                    self.count("users", false);
                }
                None => {
                    if !self.dry_run {
                        let row = UserRow {
                            id: u.id.clone().unwrap_or_else(|| new_id("ACC")),
                            merchant_id: u.merchant.0.clone(),
                            username: u.username.clone(),
                            password_hash: hash_secret(&u.password),
                            created: now,
                        };
                        self.tx.insert_user(&row).await?;
                    }
                    self.count("users", true);
                }
            }
        }
        Ok(())
    }
}
