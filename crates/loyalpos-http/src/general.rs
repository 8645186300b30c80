//! General/Merchants and General/Stores (api.md §14).

use std::sync::Arc;

use axum::response::Response;
use loyalpos_store::{MerchantRow, StoreRow, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{App, Req, ok_json};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::secret::new_id;
use crate::tenancy::{merchant_param, own_contract, own_merchant, own_store, path_id};
use crate::wire::{ObjRef, stored_array, stored_json};

const MERCHANT_MAIN_FIELDS: &[&str] = &["id", "user.companyname"];
const STORE_MAIN_FIELDS: &[&str] = &["id", "name"];

#[derive(Serialize)]
pub struct MerchantView {
    object: &'static str,
    id: String,
    id_old: i64,
    #[serde(rename = "type")]
    user_type: String,
    user: MerchantUser,
    parent: Option<Value>,
    assigned_by: Vec<Value>,
    invited_by: Vec<Value>,
    legal_details: Value,
    urls: Value,
    store_name: Option<String>,
    acceptance_points: Vec<Value>,
    two_fa: Option<Value>,
}

#[derive(Serialize)]
struct MerchantUser {
    name: Option<String>,
    forename: Option<String>,
    surname: Option<String>,
    companyname: String,
    project_name: Option<String>,
    address: Vec<Value>,
    email: Vec<Value>,
}

async fn merchant_view(tx: &mut dyn Tx, m: MerchantRow) -> ApiResult<MerchantView> {
    let store_name = match &m.default_store_id {
        Some(id) => tx.store(id).await?.map(|s| s.name),
        None => None,
    };
    Ok(MerchantView {
        object: "general.merchants",
        id: m.id,
        id_old: m.id_old,
        user_type: m.user_type,
        user: MerchantUser {
            name: None,
            forename: None,
            surname: None,
            companyname: m.companyname,
            project_name: m.project_name,
            address: Vec::new(),
            email: Vec::new(),
        },
        parent: None,
        assigned_by: Vec::new(),
        invited_by: Vec::new(),
        legal_details: stored_array(&m.legal_details),
        urls: stored_array(&m.urls),
        store_name,
        acceptance_points: Vec::new(),
        two_fa: None,
    })
}

pub async fn list_merchants(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let params = list::parse_params(&req.query).map_err(|e| ApiError::bad_request(e.0))?;
    let mut tx = app.store.read().await?;
    let m = own_merchant(&mut *tx, req.caller()).await?;
    let item = to_value(&merchant_view(&mut *tx, m).await?)?;
    ok_json(&list::apply(vec![item], &params, MERCHANT_MAIN_FIELDS))
}

pub async fn get_merchant(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(&app, req.caller(), req.param(0))?;
    let mut tx = app.store.read().await?;
    let m = own_merchant(&mut *tx, req.caller()).await?;
    ok_json(&merchant_view(&mut *tx, m).await?)
}

pub async fn merchant_categories(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(&app, req.caller(), req.param(0))?;
    let mut tx = app.store.read().await?;
    let m = own_merchant(&mut *tx, req.caller()).await?;
    ok_json(&stored_array(&m.categories))
}

#[derive(Deserialize)]
struct PublicDataDto {
    #[serde(default)]
    legal_details: Option<Vec<LegalDetailDto>>,
    #[serde(default)]
    urls: Option<Vec<UrlDto>>,
}

#[derive(Deserialize)]
struct LegalDetailDto {
    content: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    language: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct UrlDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
}

pub async fn update_merchant(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(&app, req.caller(), req.param(0))?;
    let dto: PublicDataDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut m = own_merchant(&mut *tx, req.caller()).await?;
    if let Some(details) = dto.legal_details {
        let stored: Vec<Value> = details
            .into_iter()
            .map(|d| json!({"url": d.content, "type": d.kind, "content_type": "text/html", "language": d.language}))
            .collect();
        m.legal_details = Value::Array(stored).to_string();
    }
    if let Some(urls) = dto.urls {
        m.urls = serde_json::to_string(&urls).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    tx.update_merchant(&m).await?;
    let view = merchant_view(&mut *tx, m).await?;
    tx.commit().await?;
    ok_json(&view)
}

pub async fn public_data(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(&app, req.caller(), req.param(0))?;
    let contract_id = path_id(req.param(1), "GCR")?;
    let mut tx = app.store.read().await?;
    own_contract(&mut *tx, req.caller(), contract_id).await?;
    let m = own_merchant(&mut *tx, req.caller()).await?;
    let store = match &m.default_store_id {
        Some(id) => tx.store(id).await?,
        None => None,
    };
    let address = store.as_ref().map(|s| geo_address(s.address.as_deref()));
    ok_json(&json!({
        "object": "general.merchants",
        "id": m.id,
        "legal_details": stored_array(&m.legal_details),
        "company": {"companyname": m.companyname, "address": address},
        "merchant_urls": stored_array(&m.urls),
    }))
}

// ---- Stores ----

#[derive(Serialize)]
pub struct StoreView {
    object: &'static str,
    id: String,
    id_old: String,
    merchant: ObjRef,
    store_name: String,
    facebook_id: Option<String>,
    source: Option<Value>,
    key: Option<Value>,
    hash: Option<Value>,
    address_components: Value,
    address_formatted: Option<String>,
    phone_number_formatted: Option<String>,
    geometry: Option<Value>,
    name: String,
    name_raw: String,
    photo_main: Option<String>,
    photo: Value,
    category_main: Option<Value>,
    category: Vec<Value>,
    url_googleplus: Option<Value>,
    url_website: Option<String>,
    open_hours: Value,
    open_now: bool,
    open_time: Option<Value>,
    utc_offset: Option<Value>,
    assigned_by: Vec<Value>,
    invited_by: Vec<Value>,
    has_beacon: bool,
    acceptance_point: bool,
}

pub fn store_view(clock: &Clock, s: StoreRow) -> StoreView {
    let geo = geo_address(s.address.as_deref());
    let open_hours = stored_array(&s.open_hours);
    let open_now = open_now(clock, &open_hours);
    StoreView {
        object: "general.stores",
        id: s.id,
        id_old: s.id_old,
        merchant: ObjRef::new("general.merchants", s.merchant_id),
        store_name: s.name.clone(),
        facebook_id: s.facebook_id,
        source: None,
        key: None,
        hash: None,
        address_components: geo["address_components"].clone(),
        address_formatted: geo["address_formatted"].as_str().map(str::to_owned),
        phone_number_formatted: s.phone,
        geometry: None,
        name_raw: s.name.clone(),
        name: s.name,
        photo_main: s.photo_main,
        photo: stored_array(&s.photo),
        category_main: None,
        category: Vec::new(),
        url_googleplus: None,
        url_website: s.url_website,
        open_hours,
        open_now,
        open_time: None,
        utc_offset: None,
        assigned_by: Vec::new(),
        invited_by: Vec::new(),
        has_beacon: false,
        acceptance_point: true,
    }
}

/// GeoAddress from a stored Address (`street`, `street_number`, `postal_code`, `city`, `country`).
fn geo_address(address: Option<&str>) -> Value {
    let a = stored_json(address);
    let text = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let parts = [
        ("street_number", text("street_number")),
        ("route", text("street")),
        ("locality", text("city")),
        ("postal_code", text("postal_code")),
        ("country", text("country")),
    ];
    let components: Vec<Value> = parts
        .iter()
        .filter_map(|(kind, v)| {
            v.as_ref()
                .map(|v| json!({"long_name": v, "short_name": v, "types": [kind]}))
        })
        .collect();
    let street_line = [text("street"), text("street_number")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let city_line = [text("postal_code"), text("city")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let formatted = [street_line, city_line]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    json!({
        "type": a.get("type").cloned().unwrap_or(Value::Null),
        "address_components": components,
        "address_formatted": if formatted.is_empty() { Value::Null } else { Value::String(formatted) },
        "geometry": Value::Null,
    })
}

/// `open_hours` entries `{open: {day, time: "HHMM"}, close: {day, time}}`, Sunday = 0.
fn open_now(clock: &Clock, open_hours: &Value) -> bool {
    let now = clock.zoned(clock.now());
    let week_minute = |day: i64, hhmm: &str| -> Option<i64> {
        let t: i64 = hhmm.parse().ok()?;
        Some(day * 1440 + (t / 100) * 60 + t % 100)
    };
    let current = i64::from(now.weekday().to_sunday_zero_offset()) * 1440
        + i64::from(now.hour()) * 60
        + i64::from(now.minute());
    let Some(entries) = open_hours.as_array() else {
        return false;
    };
    entries.iter().any(|e| {
        let open = week_minute(
            e["open"]["day"].as_i64().unwrap_or(-1),
            e["open"]["time"].as_str().unwrap_or(""),
        );
        let close = week_minute(
            e["close"]["day"].as_i64().unwrap_or(-1),
            e["close"]["time"].as_str().unwrap_or(""),
        );
        match (open, close) {
            (Some(o), Some(c)) if o <= c => (o..c).contains(&current),
            // wraps past Saturday midnight
            (Some(o), Some(c)) => current >= o || current < c,
            _ => false,
        }
    })
}

fn to_value<T: Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

pub async fn list_stores(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::STORES)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_stores(&req.caller().merchant_id, plan.query())
        .await?;
    let items = found
        .rows
        .into_iter()
        .map(|s| to_value(&store_view(&app.clock, s)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, STORE_MAIN_FIELDS))
}

pub async fn get_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_store(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&store_view(&app.clock, row))
}

#[derive(Deserialize, Default)]
struct StoreDto {
    name: Option<String>,
    address: Option<Value>,
    facebook_id: Option<String>,
    phone: Option<String>,
    url_website: Option<String>,
    photo_main: Option<String>,
    photo: Option<Vec<String>>,
    open_hours: Option<Vec<Value>>,
}

impl StoreDto {
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

pub async fn create_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: StoreDto = json::body(&req.body)?;
    if dto.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("name: missing field"));
    }
    let mut tx = app.store.write().await?;
    let merchant = own_merchant(&mut *tx, req.caller()).await?;
    let stores = tx.stores(&merchant.id).await?;
    let mut row = StoreRow {
        id: new_id("STO"),
        merchant_id: merchant.id,
        id_old: (200_001 + stores.len() as i64).to_string(),
        name: String::new(),
        address: None,
        facebook_id: None,
        phone: None,
        url_website: None,
        photo_main: None,
        photo: "[]".into(),
        open_hours: "[]".into(),
        created: app.clock.now(),
    };
    dto.apply(&mut row)?;
    tx.insert_store(&row).await?;
    tx.commit().await?;
    ok_json(&store_view(&app.clock, row))
}

pub async fn update_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let id = path_id(req.param(0), "STO")?;
    let dto: StoreDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut row = own_store(&mut *tx, req.caller(), id).await?;
    dto.apply(&mut row)?;
    tx.update_store(&row).await?;
    tx.commit().await?;
    ok_json(&store_view(&app.clock, row))
}

pub async fn set_default_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let id = path_id(req.param(0), "STO")?;
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let row = own_store(&mut *tx, req.caller(), id).await?;
    let mut merchant = own_merchant(&mut *tx, req.caller()).await?;
    merchant.default_store_id = Some(row.id);
    tx.update_merchant(&merchant).await?;
    tx.commit().await?;
    ok_json(&json!({"result": true}))
}
