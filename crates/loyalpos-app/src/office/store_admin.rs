//! The stores page (office.md §2 "Stores", admin): the merchant's stores, creating and editing
//! one, and choosing the default store — through the API's store commands (`general::stores`),
//! with an audit entry for every change.

use loyalpos_store::{StoreRow, Tx};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::general::{self as stores, StoreChanges};
use crate::office::{OfficeUser, audit};

/// The address fields the page edits (keys of the store's Address object); others are kept.
pub const STORE_ADDRESS_FIELDS: [&str; 5] =
    ["street", "street_number", "postal_code", "city", "country"];

/// The merchant's stores (by name) and which one is the default.
pub struct Stores {
    pub stores: Vec<StoreRow>,
    pub default_store: Option<String>,
}

pub fn stores(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Stores> {
    user.require_admin()?;
    let mut rows = tx.stores(&user.merchant_id)?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let merchant = tx
        .merchant(&user.merchant_id)?
        .ok_or_else(|| ApiError::internal("the user's merchant vanished"))?;
    Ok(Stores {
        stores: rows,
        default_store: merchant.default_store_id.map(|id| id.to_string()),
    })
}

pub fn store(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<StoreRow> {
    user.require_admin()?;
    stores::store(tx, &user.principal(), id)
}

/// What the store form sends, by key: `name`, `phone`, `url_website` and the address fields. An
/// empty address field removes its key; an empty phone or website leaves the stored one (the API's
/// store changes cannot clear them).
#[derive(Debug, Clone, Default)]
pub struct StoreForm {
    pub fields: Vec<(String, String)>,
}

impl StoreForm {
    fn value(&self, key: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
    }

    fn changes(&self, stored_address: Map<String, Value>) -> StoreChanges {
        let mut address = stored_address;
        for key in STORE_ADDRESS_FIELDS {
            match self.value(key) {
                Some(v) if !v.is_empty() => {
                    address.insert(key.to_owned(), Value::String(v));
                }
                Some(_) => {
                    address.remove(key);
                }
                None => {}
            }
        }
        let given = |key: &str| self.value(key).filter(|v| !v.is_empty());
        StoreChanges {
            name: Some(self.value("name").unwrap_or_default()),
            address: Some(Value::Object(address)),
            phone: given("phone"),
            url_website: given("url_website"),
            ..StoreChanges::default()
        }
    }
}

/// The store's address as a JSON object (none: empty).
pub fn address_of(store: &StoreRow) -> Map<String, Value> {
    match store
        .address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
    {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

pub fn create(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    form: &StoreForm,
    now: i64,
) -> ApiResult<StoreRow> {
    user.require_admin()?;
    let row = stores::create_store(tx, &user.principal(), form.changes(Map::new()), now)?;
    audit(
        tx,
        user,
        "store_create",
        &row.id.to_string(),
        &row.name,
        now,
    )?;
    Ok(row)
}

pub fn update(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    form: &StoreForm,
    now: i64,
) -> ApiResult<()> {
    let stored = store(tx, user, id)?;
    let changes = form.changes(address_of(&stored));
    let row = stores::update_store(tx, &user.principal(), id, changes)?;
    audit(
        tx,
        user,
        "store_update",
        &row.id.to_string(),
        &row.name,
        now,
    )?;
    Ok(())
}

/// Makes the store the merchant's default (where registers are confirmed unless told otherwise).
pub fn set_default(tx: &mut dyn Tx, user: &OfficeUser, id: &str, now: i64) -> ApiResult<()> {
    user.require_admin()?;
    let merchant = stores::set_default_store(tx, &user.principal(), id)?;
    let store = merchant.default_store_id.map(|s| s.to_string());
    audit(
        tx,
        user,
        "store_default",
        &store.unwrap_or_default(),
        "",
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_address_edit_keeps_the_keys_the_form_does_not_show() {
        let Value::Object(stored) = json!({"street": "Alt", "city": "Berlin", "geo": "52,13"})
        else {
            unreachable!()
        };
        let form = StoreForm {
            fields: vec![
                ("name".into(), "Filiale Mitte".into()),
                ("street".into(), "Neu".into()),
                ("city".into(), "".into()),
            ],
        };
        let changes = form.changes(stored);
        assert_eq!(
            changes.address,
            Some(json!({"street": "Neu", "geo": "52,13"}))
        );
        assert_eq!(changes.name.as_deref(), Some("Filiale Mitte"));
        assert_eq!(changes.phone, None);
    }
}
