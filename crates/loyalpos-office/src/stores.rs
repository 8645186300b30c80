//! The stores page (office.md §2 "Stores", admin): the merchant's stores with a form for a new
//! one, a store's edit form, and choosing the default — each a command of
//! `loyalpos_app::office::store_admin`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::store_admin::{
    self as commands, STORE_ADDRESS_FIELDS, StoreForm, Stores, address_of,
};
use loyalpos_store::{StoreRow, Tx};
use serde::Deserialize;
use serde_json::Value;

use crate::Office;
use crate::customers::FormField;
use crate::lang::Texts;
use crate::render::{Frame, html};

/// A store as the list shows it.
pub struct StoreLine {
    pub id: String,
    pub name: String,
    pub address: String,
    pub is_default: bool,
}

#[derive(Template)]
#[template(path = "stores.html")]
struct StoresPage {
    frame: Frame,
    stores: Vec<StoreLine>,
    fields: Vec<FormField>,
    done: bool,
}

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage {
    frame: Frame,
    id: String,
    name: String,
    fields: Vec<FormField>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StoresQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// The form's fields, filled from `store` (empty for a new one).
fn store_fields(t: &Texts, store: Option<&StoreRow>) -> Vec<FormField> {
    let address = store.map(address_of).unwrap_or_default();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let label = |key: &str| match key {
        "name" => t.name,
        "street" => t.street,
        "street_number" => t.street_number,
        "postal_code" => t.postal_code,
        "city" => t.city,
        "country" => t.country,
        "phone" => t.phone,
        _ => t.website,
    };
    let kind = |key: &str| match key {
        "phone" => "tel",
        "url_website" => "url",
        _ => "text",
    };
    let own = |key: &'static str, value: Option<String>| (key, value.unwrap_or_default());
    let name = own("name", store.map(|s| s.name.clone()));
    let address_fields = STORE_ADDRESS_FIELDS
        .iter()
        .map(|key| (*key, text(address.get(*key))));
    let contact = [
        own("phone", store.and_then(|s| s.phone.clone())),
        own("url_website", store.and_then(|s| s.url_website.clone())),
    ];
    std::iter::once(name)
        .chain(address_fields)
        .chain(contact)
        .map(|(key, value)| FormField {
            key,
            label: label(key),
            value,
            kind: kind(key),
        })
        .collect()
}

fn one_line_address(store: &StoreRow) -> String {
    let address = address_of(store);
    let part = |key: &str| address.get(key).and_then(Value::as_str).unwrap_or_default();
    let street = format!("{} {}", part("street"), part("street_number"));
    let town = format!("{} {}", part("postal_code"), part("city"));
    [street.trim(), town.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn stores(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<StoresQuery>,
) -> Response {
    let lang = query.lang.as_deref();
    let (visit, found) = match office
        .read_page(&headers, "/office/stores", lang, commands::stores)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Stores {
        stores,
        default_store,
    } = found;
    let page = StoresPage {
        frame: visit.frame(),
        stores: stores
            .iter()
            .map(|s| StoreLine {
                id: s.id.to_string(),
                name: s.name.clone(),
                address: one_line_address(s),
                is_default: default_store.as_deref() == Some(s.id.as_str()),
            })
            .collect(),
        fields: store_fields(visit.lang.texts(), None),
        done: query.done.is_some(),
    };
    html(200, &page)
}

pub async fn store(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<StoresQuery>,
) -> Response {
    let path = format!("/office/stores/{id}");
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::store(tx, user, &id);
    let lang = query.lang.as_deref();
    let (visit, row) = match office.read_page(&headers, &path, lang, read).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let page = StorePage {
        frame: visit.frame(),
        id: row.id.to_string(),
        name: row.name.clone(),
        fields: store_fields(visit.lang.texts(), Some(&row)),
    };
    html(200, &page)
}

/// The store form's fields (without the CSRF token).
fn store_form(fields: Vec<(String, String)>) -> StoreForm {
    StoreForm {
        fields: fields.into_iter().filter(|(k, _)| k != "csrf").collect(),
    }
}

fn done() -> Response {
    Redirect::to("/office/stores?done=1").into_response()
}

pub async fn create(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let run = |tx: &mut dyn Tx, user: &OfficeUser, fields: Vec<(String, String)>, now| {
        commands::create(tx, user, &store_form(fields), now).map(drop)
    };
    office
        .submit(&headers, "/office/stores", &body, run, |()| done())
        .await
}

pub async fn update(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/stores/{id}");
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, fields: Vec<(String, String)>, now| {
        commands::update(tx, user, &id, &store_form(fields), now)
    };
    office
        .submit(&headers, &path, &body, run, |()| done())
        .await
}

pub async fn set_default(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, _: Vec<(String, String)>, now| {
        commands::set_default(tx, user, &id, now)
    };
    office
        .submit(&headers, "/office/stores", &body, run, |()| done())
        .await
}
