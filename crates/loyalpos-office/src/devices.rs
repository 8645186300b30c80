//! The devices page: the merchant's devices with store and online state; confirming or rejecting a
//! register's registration by its user code; renaming a device, moving it to a store, revoking it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::{self as office_commands, OfficeUser, devices as commands};
use loyalpos_store::Tx;
use serde::Deserialize;

use crate::Office;
use crate::render::{Frame, html};

pub struct DeviceLine {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub uid: String,
    pub store: String,
    pub store_id: String,
    pub online: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    frame: Frame,
    devices: Vec<DeviceLine>,
    stores: Vec<(String, String)>,
    /// The longest name the rename form takes.
    max_name: usize,
    confirmed: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DevicesQuery {
    lang: Option<String>,
    #[serde(default)]
    page: u32,
    confirmed: Option<String>,
}

pub async fn devices(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<DevicesQuery>,
) -> Response {
    let now = office.clock.now();
    let page = query.page;
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| {
        let devices = commands::devices(tx, user, page, now)?;
        Ok((devices, office_commands::stores(tx, user)?))
    };
    let lang = query.lang.as_deref();
    let (visit, ((rows, more), stores)) = match office
        .read_page(&headers, "/office/devices", lang, read)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let devices = rows
        .into_iter()
        .map(|d| DeviceLine {
            id: d.device.id.to_string(),
            name: d.device.description.unwrap_or_default(),
            vendor: d.device.vendor.unwrap_or_default(),
            uid: d.device.vendor_uid.unwrap_or_default(),
            store: d.store_name.unwrap_or_default(),
            store_id: d.device.store_id.to_string(),
            online: d.online,
            created: lang.time(&office.clock, d.device.created),
        })
        .collect();
    let page = DevicesPage {
        frame: visit.frame(),
        devices,
        stores: stores
            .into_iter()
            .map(|s| (s.id.to_string(), s.name))
            .collect(),
        max_name: commands::MAX_DEVICE_NAME,
        confirmed: query.confirmed,
        next: more.then(|| format!("/office/devices?page={}", query.page + 1)),
    };
    html(200, &page)
}

#[derive(Debug, Deserialize)]
pub struct RegistrationForm {
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    store: String,
}

pub async fn confirm(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let command = |tx: &mut dyn Tx, user: &OfficeUser, form: RegistrationForm, now| {
        commands::confirm(tx, user, &form.user_code, Some(&form.store), now)
    };
    let to_device = |device: String| {
        Redirect::to(&format!("/office/devices?confirmed={device}")).into_response()
    };
    office
        .submit(&headers, "/office/devices", &body, command, to_device)
        .await
}

pub async fn reject(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let command = |tx: &mut dyn Tx, user: &OfficeUser, form: RegistrationForm, now| {
        commands::reject(tx, user, &form.user_code, now)
    };
    office
        .submit(&headers, "/office/devices", &body, command, back)
        .await
}

pub async fn revoke(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let command = move |tx: &mut dyn Tx, user: &OfficeUser, _: Vec<(String, String)>, now| {
        commands::revoke(tx, user, &id, now)
    };
    office
        .submit(&headers, "/office/devices", &body, command, back)
        .await
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let command = move |tx: &mut dyn Tx, user: &OfficeUser, form: RenameForm, now| {
        commands::rename(tx, user, &id, &form.name, now)
    };
    office
        .submit(&headers, "/office/devices", &body, command, back)
        .await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    store: String,
}

pub async fn move_to_store(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let command = move |tx: &mut dyn Tx, user: &OfficeUser, form: MoveForm, now| {
        commands::move_to_store(tx, user, &id, &form.store, now)
    };
    office
        .submit(&headers, "/office/devices", &body, command, back)
        .await
}

fn back(_: ()) -> Response {
    Redirect::to("/office/devices").into_response()
}
