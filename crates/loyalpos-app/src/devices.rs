//! Smart/Devices (api.md §15): registering and changing the merchant's devices, their PINs, and
//! whether a device is online.

use loyalpos_store::{DeviceId, DeviceRow, ListQuery, Listed, MerchantRow, StoreError, Tx};
use serde_json::{Value, json};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::events;
use crate::secret::{hash_secret, new_id};
use crate::tenancy::{merchant_param, own_contract, own_device, own_merchant, own_store};

const DEVICE_TYPES: [&str; 4] = ["cashier", "zvt", "shopmodule", "webterminal"];

/// A device with what its views show besides the row: its store's name and whether it is online.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub device: DeviceRow,
    pub store_name: Option<String>,
    pub online: bool,
}

/// Device fields to set; an absent field stays as it is. Store and contract are ids of the
/// caller's merchant; `device`, `products` and `status` are documents stored as given.
#[derive(Debug, Clone, Default)]
pub struct DeviceChanges {
    pub store: Option<String>,
    pub contract: Option<String>,
    pub device: Option<Value>,
    pub vendor: Option<String>,
    pub vendor_uid: Option<String>,
    pub device_type: Option<String>,
    pub description: Option<String>,
    pub tid: Option<String>,
    pub products: Option<Value>,
    pub terminal_type: Option<String>,
    pub base_version: Option<String>,
    pub status: Option<Value>,
}

/// The PIN a terminal logs in with (`device_pin` grant).
#[derive(Debug, Clone)]
pub struct DevicePin {
    /// The merchant as the request names it (`me`, its id, or a demo alias).
    pub merchant: String,
    pub store: Option<String>,
    pub pin: String,
}

/// Which of the device's logins have a password or PIN set.
#[derive(Debug, Clone)]
pub struct PinSettings {
    pub device: DeviceRow,
    /// A merchant user exists: merchant and store logins have a password.
    pub merchant_password_set: bool,
}

/// The default `products` of a device: loyalty enabled with the device's terminal id.
pub fn default_products(tid: Option<&str>) -> Value {
    json!({"loyalty": {"enabled": true, "tid": tid, "webterminal_config": null}})
}

/// A new device row with loyalpos defaults (registration confirmation and the API).
pub fn new_device_row(
    merchant: &MerchantRow,
    store_id: &str,
    device_type: &str,
    vendor_uid: Option<&str>,
    vendor: Option<String>,
    now: i64,
) -> DeviceRow {
    DeviceRow {
        id: new_id("SDV").into(),
        merchant_id: merchant.id.clone(),
        store_id: store_id.into(),
        contract_id: merchant.default_contract_id.clone(),
        vendor,
        vendor_uid: vendor_uid.map(Into::into),
        device_type: device_type.into(),
        description: None,
        tid: None,
        products: default_products(None).to_string(),
        terminal_type: None,
        base_version: None,
        status: None,
        device: None,
        user_pin: None,
        pin_hash: None,
        next_receipt_number: 1,
        end_of_day_receipt: 0,
        created: now,
        updated: None,
    }
}

/// The caller's devices that the list query asks for.
pub fn devices(
    tx: &mut dyn Tx,
    caller: &Principal,
    query: ListQuery<'_>,
    now: i64,
) -> ApiResult<Listed<DeviceState>> {
    let found = tx.list_devices(&caller.merchant_id, query)?;
    let rows = found
        .rows
        .into_iter()
        .map(|row| state(tx, row, now))
        .collect::<ApiResult<_>>()?;
    Ok(Listed {
        total: found.total,
        rows,
    })
}

pub fn device(tx: &mut dyn Tx, caller: &Principal, id: &str, now: i64) -> ApiResult<DeviceState> {
    let row = own_device(tx, caller, id)?;
    state(tx, row, now)
}

pub fn register_device(
    tx: &mut dyn Tx,
    caller: &Principal,
    changes: DeviceChanges,
    now: i64,
) -> ApiResult<DeviceState> {
    if changes.device_type.is_none() {
        return Err(ApiError::bad_request("type: missing field"));
    }
    let merchant = own_merchant(tx, caller)?;
    let default_store = merchant
        .default_store_id
        .clone()
        .map(String::from)
        .unwrap_or_default();
    let mut row = new_device_row(&merchant, &default_store, "cashier", None, None, now);
    changes.apply(tx, caller, &mut row)?;
    tx.insert_device(&row).map_err(duplicate_uid)?;
    events::device_changed(tx, &row, now);
    state(tx, row, now)
}

pub fn update_device(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    changes: DeviceChanges,
    now: i64,
) -> ApiResult<DeviceState> {
    let mut row = own_device(tx, caller, id)?;
    changes.apply(tx, caller, &mut row)?;
    row.updated = Some(now);
    tx.update_device(&row).map_err(duplicate_uid)?;
    events::device_changed(tx, &row, now);
    state(tx, row, now)
}

/// Sets the PIN of the `device_pin` grant (and moves the device to another store if asked).
pub fn set_device_pin(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    pin: DevicePin,
    demo: bool,
    now: i64,
) -> ApiResult<DeviceRow> {
    if !(8..=64).contains(&pin.pin.chars().count()) {
        return Err(ApiError::bad_request("pin: must be 8 to 64 characters"));
    }
    merchant_param(demo, caller, &pin.merchant)?;
    let mut row = own_device(tx, caller, id)?;
    if let Some(store) = pin.store {
        row.store_id = own_store(tx, caller, &store)?.id;
    }
    row.pin_hash = Some(hash_secret(&pin.pin));
    row.updated = Some(now);
    tx.update_device(&row)?;
    Ok(row)
}

pub fn pin_settings(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<PinSettings> {
    let device = own_device(tx, caller, id)?;
    let merchant_password_set = tx.merchant_has_user(&device.merchant_id)?;
    Ok(PinSettings {
        device,
        merchant_password_set,
    })
}

pub fn set_user_pin(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    user_pin: String,
    now: i64,
) -> ApiResult<DeviceState> {
    let mut row = own_device(tx, caller, id)?;
    row.user_pin = Some(user_pin);
    row.updated = Some(now);
    tx.update_device(&row)?;
    state(tx, row, now)
}

/// A device by id, whoever's it is (an event's object); `None` when unknown.
pub fn by_id(tx: &mut dyn Tx, id: &DeviceId, now: i64) -> ApiResult<Option<DeviceState>> {
    match tx.device(id)? {
        Some(row) => state(tx, row, now).map(Some),
        None => Ok(None),
    }
}

fn state(tx: &mut dyn Tx, device: DeviceRow, now: i64) -> ApiResult<DeviceState> {
    let store_name = tx.store(&device.store_id)?.map(|s| s.name);
    let online = online(tx, &device.id, now)?;
    Ok(DeviceState {
        device,
        store_name,
        online,
    })
}

/// Whether a device is online (loyalpos rule, reconciling api.md §15 with push.md §2.2): a device
/// that keeps STOMP sessions is online exactly while one of them has an unexpired
/// `Auth.Sessions.refresh`; a device that has none (within the events' retention) — a register
/// that speaks only REST — while it holds an unexpired, unrevoked access token.
fn online(tx: &mut dyn Tx, device_id: &DeviceId, now: i64) -> ApiResult<bool> {
    Ok(match tx.device_sessions_until(device_id)? {
        Some(until) => until > now,
        None => tx.device_token_live(device_id, now)?,
    })
}

/// How long a refresh keeps a device online when it names no interval (push.md §2.2).
pub const DEFAULT_REFRESH_INTERVAL: i64 = 390;
/// The longest refresh interval taken: a day.
const MAX_REFRESH_INTERVAL: i64 = 86_400;

/// `exec:Auth.Sessions.refresh` over STOMP (push.md §2.2): the caller's device stays online
/// through connection `session` until `interval` seconds pass without another refresh. A token
/// bound to no device has nothing to mark. When the device's `online` turns, a `smart.devices`
/// `changed` event says so.
pub fn refresh_session(
    tx: &mut dyn Tx,
    caller: &Principal,
    session: &str,
    interval: i64,
    now: i64,
) -> ApiResult<()> {
    if !(1..=MAX_REFRESH_INTERVAL).contains(&interval) {
        return Err(ApiError::bad_request(format!(
            "refresh_interval: seconds from 1 to {MAX_REFRESH_INTERVAL}"
        )));
    }
    let Some(device_id) = &caller.device_id else {
        return Ok(());
    };
    let was_online = online(tx, device_id, now)?;
    tx.refresh_device_session(session, device_id, now + interval)?;
    if !was_online {
        note_changed(tx, device_id, now)?;
    }
    Ok(())
}

/// Session `session` of the device ended at `now`: its connection closed, or its last refresh
/// lapsed. When that takes the device offline, a `smart.devices` `changed` event says so.
pub fn end_session(
    tx: &mut dyn Tx,
    device_id: &DeviceId,
    session: &str,
    now: i64,
) -> ApiResult<()> {
    if tx.end_device_session(session, now)? && !online(tx, device_id, now)? {
        note_changed(tx, device_id, now)?;
    }
    Ok(())
}

fn note_changed(tx: &mut dyn Tx, device_id: &DeviceId, now: i64) -> ApiResult<()> {
    if let Some(row) = tx.device(device_id)? {
        events::device_changed(tx, &row, now);
    }
    Ok(())
}

fn duplicate_uid(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate(_) => {
            ApiError::new(Code::AlreadyExists, "vendor_uid is already used")
        }
        other => other.into(),
    }
}

impl DeviceChanges {
    /// Checks references and enumerations against the caller's merchant, then writes into `row`.
    fn apply(mut self, tx: &mut dyn Tx, caller: &Principal, row: &mut DeviceRow) -> ApiResult<()> {
        self.check_documents()?;
        if let Some(t) = self.device_type {
            if !DEVICE_TYPES.contains(&t.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "type: unknown device type {t}"
                )));
            }
            row.device_type = t;
        }
        if let Some(store) = self.store {
            row.store_id = own_store(tx, caller, &store)?.id;
        }
        if let Some(contract) = self.contract {
            row.contract_id = Some(own_contract(tx, caller, &contract)?.id);
        }
        if let Some(uid) = self.vendor_uid {
            claim_vendor_uid(tx, row, &uid)?;
            row.vendor_uid = Some(uid);
        }
        if let Some(tid) = self.tid {
            row.tid = Some(tid);
        }
        if let Some(products) = self.products {
            row.products = products.to_string();
        } else if row.updated.is_none() && row.tid.is_some() {
            // A device that gets its terminal id before its first change gets loyalty for that tid.
            row.products = default_products(row.tid.as_deref()).to_string();
        }
        row.device = self.device.map(|v| v.to_string()).or(row.device.take());
        row.vendor = self.vendor.or(row.vendor.take());
        row.description = self.description.or(row.description.take());
        row.terminal_type = self.terminal_type.or(row.terminal_type.take());
        row.base_version = self.base_version.or(row.base_version.take());
        row.status = self.status.map(|v| v.to_string()).or(row.status.take());
        Ok(())
    }
}

impl DeviceChanges {
    /// `products` and `status` are objects, `device` an object (a bare id string becomes the
    /// reference `{object, id}`): the device object (models.md §5.1) echoes them as such.
    fn check_documents(&mut self) -> ApiResult<()> {
        if let Some(Value::String(id)) = &self.device {
            self.device = Some(json!({"object": "smart.devices", "id": id}));
        }
        for (name, value) in [
            ("device", &self.device),
            ("products", &self.products),
            ("status", &self.status),
        ] {
            if value.as_ref().is_some_and(|v| !v.is_object()) {
                return Err(ApiError::bad_request(format!("{name}: expected an object")));
            }
        }
        Ok(())
    }
}

/// A vendor uid names one device of a merchant.
fn claim_vendor_uid(tx: &mut dyn Tx, row: &DeviceRow, uid: &str) -> ApiResult<()> {
    let taken = tx.device_by_vendor_uid(Some(&row.merchant_id), uid)?;
    if taken.iter().any(|d| d.id != row.id) {
        return Err(ApiError::new(
            Code::AlreadyExists,
            format!("vendor_uid {uid} is already used"),
        ));
    }
    Ok(())
}
