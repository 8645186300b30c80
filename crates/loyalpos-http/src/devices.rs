//! Smart/Devices (api.md §15).

use std::sync::Arc;

use axum::response::Response;
use loyalpos_store::{DeviceRow, MerchantRow, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{App, Req, ok_json};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::list;
use crate::secret::{hash_secret, new_id};
use crate::tenancy::{merchant_param, own_contract, own_device, own_merchant, own_store};
use crate::wire::{IdRef, ObjRef, stored_json};

const MAIN_FIELDS: &[&str] = &["id", "description", "vendor_uid", "tid"];
const DEVICE_TYPES: [&str; 4] = ["cashier", "zvt", "shopmodule", "webterminal"];

#[derive(Serialize)]
pub struct DeviceView {
    object: &'static str,
    id: String,
    created: String,
    updated: Option<String>,
    merchant: ObjRef,
    store: StoreRefWithName,
    contract: Option<ObjRef>,
    vendor: Option<String>,
    vendor_uid: Option<String>,
    #[serde(rename = "type")]
    device_type: String,
    device: Value,
    routing: Option<Value>,
    user_pin: Option<String>,
    products: Value,
    description: Option<String>,
    tid: Option<String>,
    idle_screen_register: Option<Value>,
    idle_screen_terminal: Option<Value>,
    online: bool,
    refresh: Option<Value>,
    connection_type: &'static str,
    terminal_type: Option<String>,
    base_version: Option<String>,
    status: Value,
}

#[derive(Serialize)]
struct StoreRefWithName {
    object: &'static str,
    id: String,
    name: Option<String>,
}

pub async fn device_view(app: &App, tx: &mut dyn Tx, d: DeviceRow) -> ApiResult<DeviceView> {
    let store_name = tx.store(&d.store_id).await?.map(|s| s.name);
    let online = tx.device_online(&d.id, app.clock.now()).await?;
    Ok(DeviceView {
        object: "smart.devices",
        created: app.clock.render(d.created),
        updated: app.clock.render_opt(d.updated),
        merchant: ObjRef::new("general.merchants", d.merchant_id),
        store: StoreRefWithName {
            object: "general.stores",
            id: d.store_id,
            name: store_name,
        },
        contract: ObjRef::opt("general.contracts", d.contract_id.as_deref()),
        vendor: d.vendor,
        vendor_uid: d.vendor_uid,
        device_type: d.device_type,
        device: stored_json(d.device.as_deref()),
        routing: None,
        user_pin: d.user_pin,
        products: stored_json(Some(&d.products)),
        description: d.description,
        tid: d.tid,
        idle_screen_register: None,
        idle_screen_terminal: None,
        online,
        refresh: None,
        connection_type: "https",
        terminal_type: d.terminal_type,
        base_version: d.base_version,
        status: stored_json(d.status.as_deref()),
        id: d.id,
    })
}

/// The default `products` of a device: loyalty enabled with the device's terminal id.
pub fn default_products(tid: Option<&str>) -> Value {
    json!({"loyalty": {"enabled": true, "tid": tid, "webterminal_config": null}})
}

/// A new device row with loyalpos defaults (used by registration confirmation and the API).
pub fn new_device_row(
    merchant: &MerchantRow,
    store_id: &str,
    device_type: &str,
    vendor_uid: Option<&str>,
    vendor: Option<String>,
    now: i64,
) -> DeviceRow {
    DeviceRow {
        id: new_id("SDV"),
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

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::DEVICES)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_devices(&req.caller().merchant_id, plan.query())
        .await?;
    let mut items = Vec::with_capacity(found.rows.len());
    for row in found.rows {
        let view = device_view(&app, &mut *tx, row).await?;
        items.push(serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?);
    }
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&device_view(&app, &mut *tx, row).await?)
}

#[derive(Deserialize, Default)]
struct DeviceDto {
    store: Option<IdRef>,
    contract: Option<IdRef>,
    device: Option<Value>,
    vendor: Option<String>,
    vendor_uid: Option<String>,
    #[serde(rename = "type")]
    device_type: Option<String>,
    description: Option<String>,
    tid: Option<String>,
    products: Option<Value>,
    terminal_type: Option<String>,
    base_version: Option<String>,
    status: Option<Value>,
}

impl DeviceDto {
    /// Validates references and enumerations against the caller's merchant, then writes into `row`.
    async fn apply(
        self,
        tx: &mut dyn Tx,
        caller: &Principal,
        row: &mut DeviceRow,
    ) -> ApiResult<()> {
        if let Some(t) = self.device_type {
            if !DEVICE_TYPES.contains(&t.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "type: unknown device type {t}"
                )));
            }
            row.device_type = t;
        }
        if let Some(IdRef(store)) = self.store {
            row.store_id = own_store(tx, caller, &store).await?.id;
        }
        if let Some(IdRef(contract)) = self.contract {
            row.contract_id = Some(own_contract(tx, caller, &contract).await?.id);
        }
        if let Some(uid) = self.vendor_uid {
            let taken = tx
                .device_by_vendor_uid(Some(&row.merchant_id), &uid)
                .await?;
            if taken.iter().any(|d| d.id != row.id) {
                return Err(ApiError::new(
                    Code::AlreadyExists,
                    format!("vendor_uid {uid} is already used"),
                ));
            }
            row.vendor_uid = Some(uid);
        }
        if let Some(tid) = self.tid {
            row.tid = Some(tid);
        }
        if let Some(products) = self.products {
            row.products = products.to_string();
        } else if row.updated.is_none() && row.tid.is_some() {
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

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeviceDto = json::body(&req.body)?;
    if dto.device_type.is_none() {
        return Err(ApiError::bad_request("type: missing field"));
    }
    let mut tx = app.store.write().await?;
    let merchant = own_merchant(&mut *tx, req.caller()).await?;
    let default_store = merchant.default_store_id.clone().unwrap_or_default();
    let mut row = new_device_row(
        &merchant,
        &default_store,
        "cashier",
        None,
        None,
        app.clock.now(),
    );
    dto.apply(&mut *tx, req.caller(), &mut row).await?;
    tx.insert_device(&row).await.map_err(duplicate_uid)?;
    let view = device_view(&app, &mut *tx, row).await?;
    tx.commit().await?;
    ok_json(&view)
}

fn duplicate_uid(e: loyalpos_store::StoreError) -> ApiError {
    match e {
        loyalpos_store::StoreError::Duplicate(_) => {
            ApiError::new(Code::AlreadyExists, "vendor_uid is already used")
        }
        other => other.into(),
    }
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeviceDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    dto.apply(&mut *tx, req.caller(), &mut row).await?;
    row.updated = Some(app.clock.now());
    tx.update_device(&row).await.map_err(duplicate_uid)?;
    let view = device_view(&app, &mut *tx, row).await?;
    tx.commit().await?;
    ok_json(&view)
}

pub async fn secubase_config(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.read().await?;
    own_device(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&json!([]))
}

#[derive(Deserialize)]
struct DevicePinDto {
    store_id: Option<String>,
    merchant_id: String,
    pin: String,
}

pub async fn set_device_pin(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DevicePinDto = json::body(&req.body)?;
    if !(8..=64).contains(&dto.pin.chars().count()) {
        return Err(ApiError::bad_request("pin: must be 8 to 64 characters"));
    }
    merchant_param(&app, req.caller(), &dto.merchant_id)?;
    let mut tx = app.store.write().await?;
    let mut row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    if let Some(store) = dto.store_id {
        row.store_id = own_store(&mut *tx, req.caller(), &store).await?.id;
    }
    row.pin_hash = Some(hash_secret(&dto.pin));
    row.updated = Some(app.clock.now());
    tx.update_device(&row).await?;
    tx.commit().await?;
    ok_json(&json!({"result": true}))
}

pub async fn device_pin_config(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    let user_password = tx.merchant_has_user(&row.merchant_id).await?;
    ok_json(&json!({
        "merchant": {"id": row.merchant_id, "auth_password_set": user_password},
        "store": {"id": row.store_id, "auth_password_set": user_password},
        "smart_device": {"id": row.id, "auth_password_set": row.pin_hash.is_some()},
    }))
}

#[derive(Deserialize)]
struct UserPinDto {
    user_pin: String,
}

pub async fn set_user_pin(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: UserPinDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    row.user_pin = Some(dto.user_pin);
    row.updated = Some(app.clock.now());
    tx.update_device(&row).await?;
    let view = device_view(&app, &mut *tx, row).await?;
    tx.commit().await?;
    ok_json(&view)
}

pub async fn routing(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_device(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&device_view(&app, &mut *tx, row).await?)
}
