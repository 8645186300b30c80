//! Loyalty/Customers (api.md §12): the card holder as known to the merchant.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::loyalty::customers::{self, CustomerPatch};
use loyalpos_app::loyalty::own_customer;

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::ApiResult;
use crate::json;
use crate::list;
use crate::loyalty::views::customer_view;
use crate::loyalty::{list_plan, to_value};

const MAIN_FIELDS: &[&str] = &["id", "customernumber", "contact.name", "contact.email"];

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CUSTOMERS)?;
    let merchant_id = req.caller().merchant_id.clone();
    let (plan, found) = req
        .read(&app, move |tx| {
            let found = tx.list_customers(&merchant_id, plan.query())?;
            Ok((plan, found))
        })
        .await?;
    let items = found
        .rows
        .iter()
        .map(|c| to_value(&customer_view(&app.clock, c)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let row = req
        .read(&app, move |tx| own_customer(tx, &caller, &id))
        .await?;
    ok_json(&customer_view(&app.clock, &row))
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CustomerPatch = json::body(&req.body)?;
    let caller = req.caller().clone();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let row = customers::create(tx, &caller, patch, now)?;
        Answer::json(&customer_view(&clock, &row))
    })
    .await
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CustomerPatch = json::body(&req.body)?;
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let clock = app.clock.clone();
    req.write(&app, move |tx| {
        let row = customers::update(tx, &caller, &id, patch)?;
        Answer::json(&customer_view(&clock, &row))
    })
    .await
}

/// Loyalty payment containers are not served (the command always refuses).
pub async fn payment_container(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    let (id, container) = (req.param(0).to_owned(), req.param(1).to_owned());
    let refused = req.read(&app, move |tx| {
        customers::assign_payment_container(tx, &caller, &id, &container)
    });
    match refused.await? {}
}
