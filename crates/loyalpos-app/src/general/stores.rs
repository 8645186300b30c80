//! The merchant's stores: creating and changing them, the default store, opening hours.

use jiff::Zoned;
use loyalpos_store::{ListQuery, Listed, MerchantRow, StoreRow, Tx};
use serde_json::{Value, json};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::secret::new_id;
use crate::tenancy::{own_merchant, own_store};

/// Store fields to set; an absent field stays as it is.
#[derive(Debug, Clone, Default)]
pub struct StoreChanges {
    pub name: Option<String>,
    /// An Address object (`street`, `street_number`, `postal_code`, `city`, `country`).
    pub address: Option<Value>,
    pub facebook_id: Option<String>,
    pub phone: Option<String>,
    pub url_website: Option<String>,
    pub photo_main: Option<String>,
    pub photo: Option<Vec<String>>,
    pub open_hours: Option<Vec<Value>>,
}

impl StoreChanges {
    fn apply(self, row: &mut StoreRow) -> ApiResult<()> {
        if let Some(name) = self.name {
            if name.trim().is_empty() {
                return Err(ApiError::bad_request("name: must not be empty"));
            }
            row.name = name;
        }
        if let Some(address) = self.address {
            if !address.is_object() {
                return Err(ApiError::bad_request("address: expected an object"));
            }
            row.address = Some(address.to_string());
        }
        row.facebook_id = self.facebook_id.or(row.facebook_id.take());
        row.phone = self.phone.or(row.phone.take());
        row.url_website = self.url_website.or(row.url_website.take());
        row.photo_main = self.photo_main.or(row.photo_main.take());
        if let Some(photo) = self.photo {
            row.photo = json!(photo).to_string();
        }
        if let Some(hours) = self.open_hours {
            row.open_hours = Value::Array(hours).to_string();
        }
        Ok(())
    }
}

/// The caller's stores that the list query asks for.
pub fn stores(
    tx: &mut dyn Tx,
    caller: &Principal,
    query: ListQuery<'_>,
) -> ApiResult<Listed<StoreRow>> {
    Ok(tx.list_stores(&caller.merchant_id, query)?)
}

pub fn store(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<StoreRow> {
    own_store(tx, caller, id)
}

pub fn create_store(
    tx: &mut dyn Tx,
    caller: &Principal,
    changes: StoreChanges,
    now: i64,
) -> ApiResult<StoreRow> {
    if changes.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("name: missing field"));
    }
    let merchant = own_merchant(tx, caller)?;
    let existing = tx.stores(&merchant.id)?.len();
    let mut row = StoreRow {
        id: new_id("STO"),
        merchant_id: merchant.id,
        id_old: old_store_id(existing),
        name: String::new(),
        address: None,
        facebook_id: None,
        phone: None,
        url_website: None,
        photo_main: None,
        photo: "[]".into(),
        open_hours: "[]".into(),
        created: now,
    };
    changes.apply(&mut row)?;
    tx.insert_store(&row)?;
    Ok(row)
}

/// secuconnect's numeric store ids start at 200001 per merchant.
fn old_store_id(existing_stores: usize) -> String {
    (200_001 + existing_stores as i64).to_string()
}

pub fn update_store(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    changes: StoreChanges,
) -> ApiResult<StoreRow> {
    let mut row = own_store(tx, caller, id)?;
    changes.apply(&mut row)?;
    tx.update_store(&row)?;
    Ok(row)
}

pub fn set_default_store(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<MerchantRow> {
    let store = own_store(tx, caller, id)?;
    let mut merchant = own_merchant(tx, caller)?;
    merchant.default_store_id = Some(store.id);
    tx.update_merchant(&merchant)?;
    Ok(merchant)
}

/// Whether the store is open at `at`, by its `open_hours` entries
/// `{open: {day, time: "HHMM"}, close: {day, time}}` (Sunday = 0).
pub fn open_at(open_hours: &Value, at: &Zoned) -> bool {
    let current = i64::from(at.weekday().to_sunday_zero_offset()) * 1440
        + i64::from(at.hour()) * 60
        + i64::from(at.minute());
    let Some(entries) = open_hours.as_array() else {
        return false;
    };
    entries.iter().any(|entry| {
        match (week_minute(&entry["open"]), week_minute(&entry["close"])) {
            (Some(open), Some(close)) if open <= close => (open..close).contains(&current),
            // wraps past Saturday midnight
            (Some(open), Some(close)) => current >= open || current < close,
            _ => false,
        }
    })
}

/// `{day, time: "HHMM"}` as minutes since Sunday 00:00.
fn week_minute(point: &Value) -> Option<i64> {
    let day = point["day"].as_i64().unwrap_or(-1);
    let hhmm: i64 = point["time"].as_str().unwrap_or("").parse().ok()?;
    Some(day * 1440 + (hhmm / 100) * 60 + hhmm % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Zoned {
        text.parse().unwrap()
    }

    #[test]
    fn a_store_is_open_between_its_opening_and_closing_minute() {
        let hours =
            json!([{"open": {"day": 1, "time": "0800"}, "close": {"day": 1, "time": "1800"}}]);
        assert!(open_at(
            &hours,
            &at("2024-01-08T08:00:00+01:00[Europe/Berlin]")
        ));
        assert!(!open_at(
            &hours,
            &at("2024-01-08T18:00:00+01:00[Europe/Berlin]")
        ));
        assert!(!open_at(
            &hours,
            &at("2024-01-09T09:00:00+01:00[Europe/Berlin]")
        ));
    }

    #[test]
    fn opening_hours_may_wrap_past_saturday_midnight() {
        let hours =
            json!([{"open": {"day": 6, "time": "2200"}, "close": {"day": 0, "time": "0200"}}]);
        assert!(open_at(
            &hours,
            &at("2024-01-07T01:00:00+01:00[Europe/Berlin]")
        ));
        assert!(!open_at(
            &hours,
            &at("2024-01-07T03:00:00+01:00[Europe/Berlin]")
        ));
    }
}
