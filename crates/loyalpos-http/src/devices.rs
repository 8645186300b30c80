//! Smart/Devices (api.md §15): wire types and views; the commands are `loyalpos_app::devices`.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::clock::Clock;
use loyalpos_app::devices::{self, DeviceChanges, DevicePin, DeviceState};
use loyalpos_app::tenancy::own_device;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::wire::ResultBool;
use crate::wire::{IdRef, ObjRef, stored_json};

const MAIN_FIELDS: &[&str] = &["id", "description", "vendor_uid", "tid"];

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Device")]
pub struct DeviceView {
    #[schemars(extend("const" = "smart.devices"))]
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
    #[schemars(extend("enum" = ["cashier", "zvt", "shopmodule", "webterminal"]))]
    device_type: String,
    device: Value,
    #[schemars(with = "()")]
    routing: Option<Value>,
    user_pin: Option<String>,
    products: Value,
    description: Option<String>,
    tid: Option<String>,
    #[schemars(with = "()")]
    idle_screen_register: Option<Value>,
    #[schemars(with = "()")]
    idle_screen_terminal: Option<Value>,
    online: bool,
    #[schemars(with = "()")]
    refresh: Option<Value>,
    #[schemars(extend("const" = "https"))]
    connection_type: &'static str,
    terminal_type: Option<String>,
    base_version: Option<String>,
    status: Value,
}

#[derive(Serialize, JsonSchema)]
struct StoreRefWithName {
    #[schemars(extend("const" = "general.stores"))]
    object: &'static str,
    id: String,
    name: Option<String>,
}

pub fn device_view(clock: &Clock, state: DeviceState) -> DeviceView {
    let d = state.device;
    DeviceView {
        object: "smart.devices",
        created: clock.render(d.created),
        updated: clock.render_opt(d.updated),
        merchant: ObjRef::new("general.merchants", d.merchant_id),
        store: StoreRefWithName {
            object: "general.stores",
            id: d.store_id.into(),
            name: state.store_name,
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
        online: state.online,
        refresh: None,
        connection_type: "https",
        terminal_type: d.terminal_type,
        base_version: d.base_version,
        status: stored_json(d.status.as_deref()),
        id: d.id.into(),
    }
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::DEVICES)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let caller = req.caller().clone();
    let now = app.clock.now();
    let (plan, found) = req
        .read(&app, move |tx| {
            let found = devices::devices(tx, &caller, plan.query(), now)?;
            Ok((plan, found))
        })
        .await?;
    let items = found
        .rows
        .into_iter()
        .map(|state| {
            serde_json::to_value(device_view(&app.clock, state))
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let state = read_device(&app, &req).await?;
    ok_json(&device_view(&app.clock, state))
}

async fn read_device(app: &App, req: &Req) -> ApiResult<DeviceState> {
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let now = app.clock.now();
    req.read(app, move |tx| devices::device(tx, &caller, &id, now))
        .await
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct DeviceDto {
    store: Option<IdRef>,
    contract: Option<IdRef>,
    device: Option<Value>,
    vendor: Option<String>,
    vendor_uid: Option<String>,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["cashier", "zvt", "shopmodule", "webterminal", null]))]
    device_type: Option<String>,
    description: Option<String>,
    tid: Option<String>,
    products: Option<Value>,
    terminal_type: Option<String>,
    base_version: Option<String>,
    status: Option<Value>,
}

impl From<DeviceDto> for DeviceChanges {
    fn from(dto: DeviceDto) -> Self {
        DeviceChanges {
            store: dto.store.map(|IdRef(id)| id),
            contract: dto.contract.map(|IdRef(id)| id),
            device: dto.device,
            vendor: dto.vendor,
            vendor_uid: dto.vendor_uid,
            device_type: dto.device_type,
            description: dto.description,
            tid: dto.tid,
            products: dto.products,
            terminal_type: dto.terminal_type,
            base_version: dto.base_version,
            status: dto.status,
        }
    }
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeviceDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let state = devices::register_device(tx, &caller, dto.into(), now)?;
        Answer::json(&device_view(&clock, state))
    })
    .await
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeviceDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let state = devices::update_device(tx, &caller, &id, dto.into(), now)?;
        Answer::json(&device_view(&clock, state))
    })
    .await
}

pub async fn secubase_config(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    req.read(&app, move |tx| own_device(tx, &caller, &id))
        .await?;
    ok_json(&json!([]))
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct DevicePinDto {
    store_id: Option<String>,
    merchant_id: String,
    pin: String,
}

impl From<DevicePinDto> for DevicePin {
    fn from(dto: DevicePinDto) -> Self {
        DevicePin {
            merchant: dto.merchant_id,
            store: dto.store_id,
            pin: dto.pin,
        }
    }
}

pub async fn set_device_pin(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DevicePinDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let (now, demo) = (app.clock.now(), app.config.demo);
    req.write(&app, move |tx| {
        devices::set_device_pin(tx, &caller, &id, dto.into(), demo, now)?;
        Answer::json(&ResultBool { result: true })
    })
    .await
}

pub async fn device_pin_config(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let settings = req
        .read(&app, move |tx| devices::pin_settings(tx, &caller, &id))
        .await?;
    let (d, password_set) = (settings.device, settings.merchant_password_set);
    ok_json(&DevicePinConfig {
        merchant: PinSet::of(Some(d.merchant_id.into()), password_set),
        store: PinSet::of(Some(d.store_id.into()), password_set),
        smart_device: PinSet::of(Some(d.id.into()), d.pin_hash.is_some()),
    })
}

/// Where a PIN or password is set for a device: its merchant, its store, the device itself.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DevicePinConfig {
    merchant: PinSet,
    store: PinSet,
    smart_device: PinSet,
}

#[derive(Serialize, JsonSchema)]
struct PinSet {
    id: Option<String>,
    auth_password_set: bool,
}

impl PinSet {
    fn of(id: Option<String>, auth_password_set: bool) -> Self {
        PinSet {
            id,
            auth_password_set,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct UserPinDto {
    user_pin: String,
}

pub async fn set_user_pin(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: UserPinDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let state = devices::set_user_pin(tx, &caller, &id, dto.user_pin, now)?;
        Answer::json(&device_view(&clock, state))
    })
    .await
}

pub async fn routing(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let state = read_device(&app, &req).await?;
    ok_json(&device_view(&app.clock, state))
}
