//! The operator's merchants page (office.md §1): every merchant of the installation, read-only,
//! each with a form to switch into it; and leaving the merchant it is in. The rules are
//! `loyalpos_app::office::merchants`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::merchants as commands;
use loyalpos_domain::ids::MerchantId;
use serde::Deserialize;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, html};

pub struct MerchantLine {
    pub id: String,
    pub name: String,
    pub created: String,
    /// The merchant the operator is in.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "merchants.html")]
struct MerchantsPage {
    frame: Frame,
    merchants: Vec<MerchantLine>,
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MerchantsQuery {
    lang: Option<String>,
    after: Option<String>,
}

pub async fn merchants(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(q): Query<MerchantsQuery>,
) -> Response {
    let switch = q.lang.as_deref().and_then(Lang::parse);
    let signed = match office.signed(&headers, "/office/merchants", switch).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let account = signed.session.account.clone();
    let after = q.after.clone().map(MerchantId::new);
    let found = office
        .store
        .read(move |tx| commands::merchants_page(tx, &account, after.as_ref()))
        .await;
    let (rows, more) = match found {
        Ok(found) => found,
        Err(e) => return signed.refused(&e),
    };
    let current = signed.session.user.as_ref().map(|u| u.merchant_id.clone());
    let next = more
        .then(|| {
            rows.last()
                .map(|m| format!("/office/merchants?after={}", m.id))
        })
        .flatten();
    let previous = q.after.is_some().then(|| "/office/merchants".to_owned());
    let merchants = rows
        .into_iter()
        .map(|m| MerchantLine {
            current: current.as_ref() == Some(&m.id),
            id: m.id.to_string(),
            name: m.companyname,
            created: signed.lang.time(&office.clock, m.created),
        })
        .collect();
    html(
        200,
        &MerchantsPage {
            frame: signed.frame(),
            merchants,
            previous,
            next,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    merchant: String,
}

/// Switches the operator's session into the merchant: its pages from now on.
pub async fn switch(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let signed = match office.signed(&headers, "/office/merchants", None).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let form: SwitchForm = match signed.form(&body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let session = signed.session.clone();
    let merchant = MerchantId::new(form.merchant);
    let now = office.clock.now();
    match office
        .store
        .write(move |tx| commands::switch_into(tx, &session, &merchant, now))
        .await
    {
        Ok(()) => Redirect::to("/office/dashboard").into_response(),
        Err(e) => signed.refused(&e),
    }
}

/// The operator leaves the merchant it is in: back to the read-only merchants list.
pub async fn leave(State(office): State<Office>, headers: HeaderMap, body: Bytes) -> Response {
    let signed = match office.signed(&headers, "/office/merchants", None).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(refused) = signed.form::<Vec<(String, String)>>(&body) {
        return *refused;
    }
    let session = signed.session.clone();
    let now = office.clock.now();
    match office
        .store
        .write(move |tx| commands::leave(tx, &session, now))
        .await
    {
        Ok(()) => Redirect::to("/office/merchants").into_response(),
        Err(e) => signed.refused(&e),
    }
}
