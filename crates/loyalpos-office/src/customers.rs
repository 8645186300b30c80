//! The customers pages (office.md §2 "Customers"): search, a new customer, a customer with their
//! cards and the edit form, and anonymising — confirmed twice: the first post only asks again.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::customers::{
    self as commands, ADDRESS_FIELDS, CONTACT_FIELDS, CustomerDetail, CustomerForm, contact_of,
};
use loyalpos_store::{CustomerRow, Tx};
use serde::Deserialize;
use serde_json::Value;

use crate::Office;
use crate::cards::{CardLine, SearchQuery, card_line, customer_name};
use crate::lang::{Lang, Texts};
use crate::render::{Frame, html};

/// A customer in the list.
pub struct CustomerLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub number: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    frame: Frame,
    query: String,
    customers: Vec<CustomerLine>,
    previous: Option<String>,
    next: Option<String>,
}

pub async fn search(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    let (text, page) = (query.q.clone(), query.page);
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::search(tx, user, &text, page);
    let lang = query.lang.as_deref();
    let (visit, (rows, more)) = match office
        .read_page(&headers, "/office/customers", lang, read)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let link = |page: u32| {
        let query =
            serde_urlencoded::to_string([("q", query.q.as_str()), ("page", &page.to_string())]);
        format!("/office/customers?{}", query.unwrap_or_default())
    };
    let page = CustomersPage {
        frame: visit.frame(),
        query: query.q.clone(),
        customers: rows
            .iter()
            .map(|c| customer_line(&office, lang, c))
            .collect(),
        previous: (query.page > 0).then(|| link(query.page - 1)),
        next: more.then(|| link(query.page + 1)),
    };
    html(200, &page)
}

fn customer_line(office: &Office, lang: Lang, c: &CustomerRow) -> CustomerLine {
    let contact = contact_of(c);
    CustomerLine {
        id: c.id.to_string(),
        name: customer_name(Some(c)),
        email: contact
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        number: c.customernumber.clone().unwrap_or_default(),
        created: lang.time(&office.clock, c.created),
    }
}

/// One input of the customer form.
pub struct FormField {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    frame: Frame,
    /// `None` for a new customer.
    id: Option<String>,
    title: String,
    fields: Vec<FormField>,
    cards: Vec<CardLine>,
    /// Nothing personal is stored (anonymised, or never given): no anonymise link.
    anonymised: bool,
    done: bool,
}

/// The form's fields, filled from the stored customer (empty for a new one).
fn form_fields(t: &Texts, customer: Option<&CustomerRow>) -> Vec<FormField> {
    let contact = customer.map(contact_of).unwrap_or_default();
    let address = contact.get("address").cloned().unwrap_or_default();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let label = |key: &str| match key {
        "forename" => t.forename,
        "surname" => t.surname,
        "companyname" => t.company,
        "email" => t.email,
        "phone" => t.phone,
        "street" => t.street,
        "street_number" => t.street_number,
        "postal_code" => t.postal_code,
        "city" => t.city,
        "customernumber" => t.customer_number,
        _ => t.note,
    };
    let kind = |key: &str| match key {
        "email" => "email",
        "phone" => "tel",
        _ => "text",
    };
    let contact_fields = CONTACT_FIELDS
        .iter()
        .map(|key| (*key, text(contact.get(*key))));
    let address_fields = ADDRESS_FIELDS
        .iter()
        .map(|key| (*key, text(address.get(*key))));
    let own_fields = [
        (
            "customernumber",
            customer
                .and_then(|c| c.customernumber.clone())
                .unwrap_or_default(),
        ),
        (
            "note",
            customer.and_then(|c| c.note.clone()).unwrap_or_default(),
        ),
    ];
    contact_fields
        .chain(address_fields)
        .chain(own_fields)
        .map(|(key, value)| FormField {
            key,
            label: label(key),
            value,
            kind: kind(key),
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    lang: Option<String>,
    done: Option<String>,
}

pub async fn new_customer(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<DetailQuery>,
) -> Response {
    let switch = query.lang.as_deref().and_then(Lang::parse);
    let visit = match office
        .visit(&headers, "/office/customers/new", switch)
        .await
    {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let t = visit.lang.texts();
    let page = CustomerPage {
        frame: visit.frame(),
        id: None,
        title: t.new_customer.to_owned(),
        fields: form_fields(t, None),
        cards: Vec::new(),
        anonymised: false,
        done: false,
    };
    html(200, &page)
}

pub async fn customer(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Response {
    let path = format!("/office/customers/{id}");
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::customer(tx, user, &id);
    let lang = query.lang.as_deref();
    let (visit, CustomerDetail { customer, cards }) =
        match office.read_page(&headers, &path, lang, read).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let lang = visit.lang;
    let t = lang.texts();
    let name = customer_name(Some(&customer));
    let page = CustomerPage {
        frame: visit.frame(),
        id: Some(customer.id.to_string()),
        title: if name.is_empty() {
            t.anonymised.to_owned()
        } else {
            name
        },
        fields: form_fields(t, Some(&customer)),
        cards: cards.iter().map(|c| card_line(lang, c)).collect(),
        anonymised: customer.merchant_contact.is_none()
            && customer.customernumber.is_none()
            && customer.note.is_none(),
        done: query.done.is_some(),
    };
    html(200, &page)
}

/// The customer form's fields (without the CSRF token).
fn customer_form(fields: Vec<(String, String)>) -> CustomerForm {
    CustomerForm {
        fields: fields.into_iter().filter(|(k, _)| k != "csrf").collect(),
    }
}

pub async fn create(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let run = |tx: &mut dyn Tx, user: &OfficeUser, fields: Vec<(String, String)>, now| {
        commands::create(tx, user, &customer_form(fields), now)
    };
    let answer = |row: CustomerRow| {
        Redirect::to(&format!("/office/customers/{}?done=1", row.id)).into_response()
    };
    office
        .submit(&headers, "/office/customers/new", &body, run, answer)
        .await
}

pub async fn update(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/customers/{id}");
    let back = format!("{path}?done=1");
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, fields: Vec<(String, String)>, now| {
        commands::update(tx, user, &id, &customer_form(fields), now)
    };
    let answer = move |()| Redirect::to(&back).into_response();
    office.submit(&headers, &path, &body, run, answer).await
}

#[derive(Template)]
#[template(path = "anonymise.html")]
struct AnonymisePage {
    frame: Frame,
    id: String,
    name: String,
}

/// The confirmation page (the first of the two confirmations): nothing changes yet.
pub async fn anonymise_page(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Response {
    let path = format!("/office/customers/{id}/anonymise");
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::customer(tx, user, &id);
    let lang = query.lang.as_deref();
    match office.read_page(&headers, &path, lang, read).await {
        Ok((visit, found)) => html(
            200,
            &AnonymisePage {
                frame: visit.frame(),
                id: found.customer.id.to_string(),
                name: customer_name(Some(&found.customer)),
            },
        ),
        Err(page) => page,
    }
}

#[derive(Debug, Deserialize)]
pub struct AnonymiseForm {
    #[serde(default)]
    confirmed: String,
}

/// The second confirmation: the ticked box of the confirmation page.
pub async fn anonymise(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/customers/{id}");
    let back = format!("{path}?done=1");
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, form: AnonymiseForm, now| {
        commands::anonymise(tx, user, &id, form.confirmed == "yes", now)
    };
    let answer = move |()| Redirect::to(&back).into_response();
    office.submit(&headers, &path, &body, run, answer).await
}
