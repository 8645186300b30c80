//! The merchant's stores: creating and changing them, the default store, opening hours.

use jiff::Zoned;
use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{ListQuery, Listed, MerchantRow, StoreError, StoreRow, Tx};
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
        if let Some(hours) = &self.open_hours {
            check_open_hours(hours)?;
        }
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
    let mut row = new_store(tx, &merchant.id, "", now)?;
    changes.apply(&mut row)?;
    tx.insert_store(&row)?;
    Ok(row)
}

/// A new store of the merchant (not yet inserted); secuconnect's numeric store ids start at 200001
/// per merchant.
pub(crate) fn new_store(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    name: &str,
    now: i64,
) -> Result<StoreRow, StoreError> {
    let existing = tx.stores(merchant_id)?.len();
    Ok(StoreRow {
        id: new_id("STO").into(),
        merchant_id: merchant_id.to_owned(),
        id_old: (200_001 + existing as i64).to_string(),
        name: name.to_owned(),
        address: None,
        facebook_id: None,
        phone: None,
        url_website: None,
        photo_main: None,
        photo: "[]".into(),
        open_hours: "[]".into(),
        created: now,
    })
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

/// `open_hours` as the store object describes it (models.md §4): entries of exactly `open` and
/// `close`, each exactly `{day: 0–6, time: "HHMM"}`; anything else would be echoed by every later
/// GET and break clients that read the store strictly.
pub fn check_open_hours(hours: &[Value]) -> ApiResult<()> {
    for (i, entry) in hours.iter().enumerate() {
        let path = format!("open_hours[{i}]");
        let fields = exact_keys(entry, &path, &["open", "close"])?;
        for end in ["open", "close"] {
            check_day_time(&fields[end], &format!("{path}.{end}"))?;
        }
    }
    Ok(())
}

fn check_day_time(point: &Value, path: &str) -> ApiResult<()> {
    let fields = exact_keys(point, path, &["day", "time"])?;
    if fields["day"].as_u64().is_none_or(|d| d > 6) {
        return Err(ApiError::bad_request(format!(
            "{path}.day: expected an integer 0–6 (Sunday = 0)"
        )));
    }
    let time = fields["time"].as_str().unwrap_or("");
    let valid = time.len() == 4
        && time.bytes().all(|b| b.is_ascii_digit())
        && time[..2] <= *"24"
        && time[2..] <= *"59"
        && (time[..2] != *"24" || time[2..] == *"00");
    if !valid {
        return Err(ApiError::bad_request(format!(
            "{path}.time: expected a string \"HHMM\" (0000–2400)"
        )));
    }
    Ok(())
}

/// The object at `path`, which must hold exactly `keys`.
fn exact_keys<'a>(
    value: &'a Value,
    path: &str,
    keys: &[&str],
) -> ApiResult<&'a serde_json::Map<String, Value>> {
    let Some(fields) = value.as_object() else {
        return Err(ApiError::bad_request(format!("{path}: expected an object")));
    };
    if let Some(missing) = keys.iter().find(|k| !fields.contains_key(**k)) {
        return Err(ApiError::bad_request(format!(
            "{path}.{missing}: missing field"
        )));
    }
    if let Some(unknown) = fields.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "{path}.{unknown}: unknown field"
        )));
    }
    Ok(fields)
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
    fn open_hours_are_checked_against_the_store_object_with_the_json_path() {
        let ok = json!([{"open": {"day": 0, "time": "0800"}, "close": {"day": 6, "time": "2400"}}]);
        assert!(check_open_hours(ok.as_array().unwrap()).is_ok());
        for (bad, path) in [
            (json!([1]), "open_hours[0]: expected an object"),
            (
                json!([{"open": {"day": 1, "time": "0800"}}]),
                "open_hours[0].close: missing field",
            ),
            (
                json!([{"open": {"day": 7, "time": "0800"}, "close": {"day": 1, "time": "0900"}}]),
                "open_hours[0].open.day: expected",
            ),
            (
                json!([{"open": {"day": 1, "time": "0800"}, "close": {"day": 1, "time": "9:00"}}]),
                "open_hours[0].close.time: expected",
            ),
            (
                json!([{"open": {"day": 1, "time": "0800", "x": 1}, "close": {"day": 1, "time": "0900"}}]),
                "open_hours[0].open.x: unknown field",
            ),
        ] {
            let err = check_open_hours(bad.as_array().unwrap()).unwrap_err();
            assert!(err.details.starts_with(path), "{} vs {path}", err.details);
        }
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
