//! General/Merchants and General/Stores (api.md §14): wire types and views; the commands are
//! `loyalpos_app::general`.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::clock::Clock;
use loyalpos_app::general::{
    self, LegalDetail, MerchantProfile, MerchantUrl, PublicData, StoreChanges,
};
use loyalpos_app::tenancy::{merchant_param, own_merchant, path_id};
use loyalpos_store::StoreRow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::wire::ResultBool;
use crate::wire::{ObjRef, stored_array, stored_array_raw, stored_json};

const MERCHANT_MAIN_FIELDS: &[&str] = &["id", "user.companyname"];
const STORE_MAIN_FIELDS: &[&str] = &["id", "name"];

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Merchant")]
pub struct MerchantView {
    #[schemars(extend("const" = "general.merchants"))]
    object: &'static str,
    id: String,
    id_old: i64,
    #[serde(rename = "type")]
    user_type: String,
    user: MerchantUser,
    #[schemars(with = "()")]
    parent: Option<Value>,
    assigned_by: Vec<Value>,
    invited_by: Vec<Value>,
    #[schemars(with = "Value")]
    legal_details: Box<RawValue>,
    #[schemars(with = "Value")]
    urls: Box<RawValue>,
    store_name: Option<String>,
    acceptance_points: Vec<Value>,
    #[schemars(with = "()")]
    two_fa: Option<Value>,
}

#[derive(Serialize, JsonSchema)]
struct MerchantUser {
    name: Option<String>,
    forename: Option<String>,
    surname: Option<String>,
    companyname: String,
    project_name: Option<String>,
    address: Vec<Value>,
    email: Vec<Value>,
}

fn merchant_view(profile: MerchantProfile) -> MerchantView {
    let m = profile.merchant;
    MerchantView {
        object: "general.merchants",
        id: m.id.into(),
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
        legal_details: stored_array_raw(&m.legal_details),
        urls: stored_array_raw(&m.urls),
        store_name: profile.default_store.map(|s| s.name),
        acceptance_points: Vec::new(),
        two_fa: None,
    }
}

pub async fn list_merchants(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let params = list::parse_params(&req.query).map_err(|e| ApiError::bad_request(e.0))?;
    let caller = req.caller().clone();
    let profile = req
        .read(&app, move |tx| general::merchant(tx, &caller))
        .await?;
    let item = to_value(&merchant_view(profile))?;
    ok_json(&list::apply(vec![item], &params, MERCHANT_MAIN_FIELDS))
}

pub async fn get_merchant(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(app.config.demo, req.caller(), req.param(0))?;
    let caller = req.caller().clone();
    let profile = req
        .read(&app, move |tx| general::merchant(tx, &caller))
        .await?;
    ok_json(&merchant_view(profile))
}

pub async fn merchant_categories(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(app.config.demo, req.caller(), req.param(0))?;
    let caller = req.caller().clone();
    let merchant = req.read(&app, move |tx| own_merchant(tx, &caller)).await?;
    ok_json(&stored_array_raw(&merchant.categories))
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct PublicDataDto {
    #[serde(default)]
    legal_details: Option<Vec<LegalDetailDto>>,
    #[serde(default)]
    urls: Option<Vec<UrlDto>>,
}

#[derive(Deserialize, JsonSchema)]
struct LegalDetailDto {
    content: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    language: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct UrlDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
}

impl From<PublicDataDto> for PublicData {
    fn from(dto: PublicDataDto) -> Self {
        PublicData {
            legal_details: dto
                .legal_details
                .map(|details| details.into_iter().map(Into::into).collect()),
            urls: dto
                .urls
                .map(|urls| urls.into_iter().map(Into::into).collect()),
        }
    }
}

impl From<LegalDetailDto> for LegalDetail {
    fn from(dto: LegalDetailDto) -> Self {
        LegalDetail {
            content: dto.content,
            kind: dto.kind,
            language: dto.language,
        }
    }
}

impl From<UrlDto> for MerchantUrl {
    fn from(dto: UrlDto) -> Self {
        MerchantUrl {
            kind: dto.kind,
            url: dto.url,
        }
    }
}

pub async fn update_merchant(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(app.config.demo, req.caller(), req.param(0))?;
    let dto: PublicDataDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    req.write(&app, move |tx| {
        let profile = general::update_public_data(tx, &caller, dto.into())?;
        Answer::json(&merchant_view(profile))
    })
    .await
}

pub async fn public_data(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(app.config.demo, req.caller(), req.param(0))?;
    let contract_id = path_id(req.param(1), "GCR")?.to_owned();
    let caller = req.caller().clone();
    let profile = req
        .read(&app, move |tx| {
            general::public_data(tx, &caller, &contract_id)
        })
        .await?;
    let m = profile.merchant;
    let address = profile
        .default_store
        .map(|s| geo_address(s.address.as_deref()));
    ok_json(&PublicDataView {
        object: "general.merchants",
        id: m.id.into(),
        legal_details: stored_array_raw(&m.legal_details),
        company: Company {
            companyname: m.companyname,
            address,
        },
        merchant_urls: stored_array_raw(&m.urls),
    })
}

/// What a merchant shows of itself under a contract (`getPublicData`).
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "PublicData")]
pub(crate) struct PublicDataView {
    #[schemars(extend("const" = "general.merchants"))]
    object: &'static str,
    id: String,
    #[schemars(with = "Vec<serde_json::Map<String, Value>>")]
    legal_details: Box<RawValue>,
    company: Company,
    #[schemars(with = "Vec<serde_json::Map<String, Value>>")]
    merchant_urls: Box<RawValue>,
}

#[derive(Serialize, JsonSchema)]
struct Company {
    companyname: String,
    /// The default store's address.
    address: Option<GeoAddress>,
}

// ---- Stores ----

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Store")]
pub struct StoreView {
    #[schemars(extend("const" = "general.stores"))]
    object: &'static str,
    id: String,
    id_old: String,
    merchant: ObjRef,
    store_name: String,
    facebook_id: Option<String>,
    #[schemars(with = "()")]
    source: Option<Value>,
    #[schemars(with = "()")]
    key: Option<Value>,
    #[schemars(with = "()")]
    hash: Option<Value>,
    address_components: Vec<AddressComponent>,
    address_formatted: Option<String>,
    phone_number_formatted: Option<String>,
    #[schemars(with = "()")]
    geometry: Option<Value>,
    name: String,
    name_raw: String,
    photo_main: Option<String>,
    photo: Value,
    #[schemars(with = "()")]
    category_main: Option<Value>,
    category: Vec<Value>,
    #[schemars(with = "()")]
    url_googleplus: Option<Value>,
    url_website: Option<String>,
    open_hours: Value,
    open_now: bool,
    #[schemars(with = "()")]
    open_time: Option<Value>,
    #[schemars(with = "()")]
    utc_offset: Option<Value>,
    assigned_by: Vec<Value>,
    invited_by: Vec<Value>,
    has_beacon: bool,
    acceptance_point: bool,
}

pub fn store_view(clock: &Clock, s: StoreRow) -> StoreView {
    let geo = geo_address(s.address.as_deref());
    let open_hours = stored_array(&s.open_hours);
    let open_now = general::open_at(&open_hours, &clock.zoned(clock.now()));
    StoreView {
        object: "general.stores",
        id: s.id.into(),
        id_old: s.id_old,
        merchant: ObjRef::new("general.merchants", s.merchant_id),
        store_name: s.name.clone(),
        facebook_id: s.facebook_id,
        source: None,
        key: None,
        hash: None,
        address_components: geo.address_components,
        address_formatted: geo.address_formatted,
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

/// An address in the geocoder's shape (models.md §1.4), derived from a stored Address.
#[derive(Serialize, JsonSchema)]
struct GeoAddress {
    /// The stored address's `type`, as sent.
    #[serde(rename = "type")]
    kind: Value,
    address_components: Vec<AddressComponent>,
    address_formatted: Option<String>,
    #[schemars(with = "()")]
    geometry: Option<Value>,
}

#[derive(Serialize, JsonSchema)]
struct AddressComponent {
    long_name: String,
    short_name: String,
    types: [&'static str; 1],
}

/// GeoAddress from a stored Address (`street`, `street_number`, `postal_code`, `city`, `country`).
fn geo_address(address: Option<&str>) -> GeoAddress {
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
    let address_components = parts
        .iter()
        .filter_map(|(kind, v)| {
            v.as_ref().map(|v| AddressComponent {
                long_name: v.clone(),
                short_name: v.clone(),
                types: [kind],
            })
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
    GeoAddress {
        kind: a.get("type").cloned().unwrap_or(Value::Null),
        address_components,
        address_formatted: (!formatted.is_empty()).then_some(formatted),
        geometry: None,
    }
}

fn to_value<T: Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

pub async fn list_stores(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::STORES)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let caller = req.caller().clone();
    let (plan, found) = req
        .read(&app, move |tx| {
            let found = general::stores(tx, &caller, plan.query())?;
            Ok((plan, found))
        })
        .await?;
    let items = found
        .rows
        .into_iter()
        .map(|s| to_value(&store_view(&app.clock, s)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, STORE_MAIN_FIELDS))
}

pub async fn get_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    let id = req.param(0).to_owned();
    let row = req
        .read(&app, move |tx| general::store(tx, &caller, &id))
        .await?;
    ok_json(&store_view(&app.clock, row))
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct StoreDto {
    name: Option<String>,
    #[schemars(with = "Option<crate::openapi::schemas::Address>")]
    address: Option<Value>,
    facebook_id: Option<String>,
    phone: Option<String>,
    url_website: Option<String>,
    photo_main: Option<String>,
    photo: Option<Vec<String>>,
    #[schemars(with = "Option<Vec<crate::openapi::schemas::OpenHours>>")]
    open_hours: Option<Vec<Value>>,
}

impl From<StoreDto> for StoreChanges {
    fn from(dto: StoreDto) -> Self {
        StoreChanges {
            name: dto.name,
            address: dto.address,
            facebook_id: dto.facebook_id,
            phone: dto.phone,
            url_website: dto.url_website,
            photo_main: dto.photo_main,
            photo: dto.photo,
            open_hours: dto.open_hours,
        }
    }
}

pub async fn create_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: StoreDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let row = general::create_store(tx, &caller, dto.into(), now)?;
        Answer::json(&store_view(&clock, row))
    })
    .await
}

pub async fn update_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let id = path_id(req.param(0), "STO")?.to_owned();
    let dto: StoreDto = json::body(&req.body)?;
    let caller = req.caller().clone();
    let clock = app.clock.clone();
    req.write(&app, move |tx| {
        let row = general::update_store(tx, &caller, &id, dto.into())?;
        Answer::json(&store_view(&clock, row))
    })
    .await
}

pub async fn set_default_store(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let id = path_id(req.param(0), "STO")?.to_owned();
    json::parse_body(&req.body)?;
    let caller = req.caller().clone();
    req.write(&app, move |tx| {
        general::set_default_store(tx, &caller, &id)?;
        Answer::json(&ResultBool { result: true })
    })
    .await
}
