//! Smart Transactions (api.md §8) over HTTP: each handler parses the request, runs one command of
//! [`loyalpos_app::smart`] as one job and renders its outcome.

pub mod dto;
pub mod view;

use std::sync::{Arc, OnceLock};

use axum::response::{IntoResponse, Response};
use loyalpos_app::clock::Clock;
use loyalpos_app::events;
use loyalpos_app::smart::{self, SmartTransaction, Started};
use loyalpos_app::{ApiError, ApiResult, Code, Principal};
use loyalpos_domain::status::StartMethod;
use loyalpos_store::{Carried, Tx};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::json;
use crate::list;

const MAIN_FIELDS: &[&str] = &[
    "id",
    "merchantRef",
    "transactionRef",
    "trans_id",
    "idents.value",
];

/// Runs a command that changes a transaction as one job and answers the transaction as it is after.
async fn write_stx<F>(app: &App, req: &Req, command: F) -> ApiResult<Response>
where
    F: FnOnce(&mut dyn Tx, &Principal, i64) -> ApiResult<SmartTransaction> + Send + 'static,
{
    let (caller, now) = (req.caller().clone(), app.clock.now());
    write_shown(app, req, move |tx| {
        let stx = command(tx, &caller, now)?;
        Ok(Ok(carry_stx(tx, Box::new(stx))))
    })
    .await
}

/// Runs a transaction's write as one job and answers with the transaction handed to its event,
/// or with the error envelope of a write that committed and still failed (a declined payment).
/// The view is rendered once, for the event and the answer: off the writer's thread, unless the
/// request's Idempotency-Key records the answer in the job.
async fn write_shown<F>(app: &App, req: &Req, job: F) -> ApiResult<Response>
where
    F: FnOnce(&mut dyn Tx) -> ApiResult<Result<Arc<ShownStx>, ApiError>> + Send + 'static,
{
    let (clock, support_id) = (app.clock.clone(), req.support_id.clone());
    let answer = move |outcome: Result<Arc<ShownStx>, ApiError>| match outcome {
        Ok(shown) => answer_shown(&clock, &shown),
        Err(err) => Ok(Answer::error(&err, &support_id)),
    };
    if req.answers_in_job() {
        return req.write(app, move |tx| answer(job(tx)?)).await;
    }
    let outcome = req.write_value(app, job).await?;
    Ok(answer(outcome)?.into_response())
}

/// A transaction handed to its event: the event's data is its view (rendered by the store's event
/// renderer, off the writer's thread), and the answer is the same JSON ([`answer_shown`]), so the
/// view is rendered once, by whichever asks first.
pub struct ShownStx {
    stx: Box<SmartTransaction>,
    json: OnceLock<String>,
}

impl ShownStx {
    /// The view's JSON, rendered the first time it is asked for.
    pub fn json(&self, clock: &Clock) -> Result<&str, String> {
        if let Some(json) = self.json.get() {
            return Ok(json);
        }
        let json =
            serde_json::to_string(&view::render(clock, &self.stx)).map_err(|e| e.to_string())?;
        Ok(self.json.get_or_init(|| json))
    }
}

fn carry_stx(tx: &mut dyn Tx, stx: Box<SmartTransaction>) -> Arc<ShownStx> {
    let id = stx.row.id.to_string();
    let shown = Arc::new(ShownStx {
        stx,
        json: OnceLock::new(),
    });
    tx.carry_event_object(events::SMART_TRANSACTIONS, &id, Carried(shown.clone()));
    shown
}

fn answer_shown(clock: &Clock, shown: &ShownStx) -> ApiResult<Answer> {
    let json = shown.json(clock).map_err(ApiError::internal)?;
    Ok(Answer::json_text(json.to_owned()))
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let input = dto::parse(json::body(&req.body)?)?;
    write_stx(&app, &req, move |tx, caller, now| {
        smart::create(tx, caller, input, now)
    })
    .await
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id, now) = (
        req.caller().clone(),
        req.param(0).to_owned(),
        app.clock.now(),
    );
    let stx = req
        .read(&app, move |tx| smart::get(tx, &caller, &id, now))
        .await?;
    ok_json(&view::render(&app.clock, &stx))
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::SMART_TRANSACTIONS)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let (caller, asked, now) = (req.caller().clone(), plan.clone(), app.clock.now());
    let found = req
        .read(&app, move |tx| smart::list(tx, &caller, asked.query(), now))
        .await?;
    let items = found
        .rows
        .iter()
        .map(|stx| view::to_value(&app.clock, stx))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn replace(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let input = dto::parse(json::body(&req.body)?)?;
    let id = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::replace(tx, caller, &id, input, now)
    })
    .await
}

pub async fn pre_transaction(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let (caller, id, now) = (
        req.caller().clone(),
        req.param(0).to_owned(),
        app.clock.now(),
    );
    req.write(&app, move |tx| {
        let planned = smart::pre_transaction(tx, &caller, &id, now)?;
        carry_stx(tx, planned.shown);
        Answer::json(&view::render_plan(&planned.plan))
    })
    .await
}

/// A declined terminal payment commits the `failed` transaction and answers 402/4301.
pub async fn start(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let method = StartMethod::parse(req.param(1))?;
    json::parse_body(&req.body)?;
    let (caller, id, demo) = (
        req.caller().clone(),
        req.param(0).to_owned(),
        app.config.demo,
    );
    let now = app.clock.now();
    write_shown(&app, &req, move |tx| {
        Ok(match smart::start(tx, &caller, &id, method, demo, now)? {
            Started::Done(stx) => Ok(carry_stx(tx, stx)),
            Started::Declined(err) => Err(err),
        })
    })
    .await
}

pub async fn cancel(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let id = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::cancel(tx, caller, &id, now)
    })
    .await
}

pub async fn cancel_trx(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let receipt_number: i64 = req
        .param(0)
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::bad_id(format!("malformed receipt number {}", req.param(0))))?;
    write_stx(&app, &req, move |tx, caller, now| {
        smart::cancel_trx(tx, caller, receipt_number, now)
    })
    .await
}

pub async fn abort(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let id = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::abort(tx, caller, &id, now)
    })
    .await
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct DeliveryDto {
    delivery_options: Map<String, Value>,
}

pub async fn set_delivery(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeliveryDto = json::body(&req.body)?;
    let id = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::set_delivery(tx, caller, &id, dto.delivery_options, now)
    })
    .await
}

pub async fn prepare(_app: Arc<App>, _req: Req) -> ApiResult<Response> {
    Err(ApiError::bad_request(
        "online payment methods are not served; use start/{method}",
    ))
}

pub async fn update_payment_container(_app: Arc<App>, req: Req) -> ApiResult<Response> {
    Err(ApiError::new(
        Code::NotFound,
        format!(
            "subscription {} not found (subscriptions are not served)",
            req.param(0)
        ),
    ))
}

pub async fn diagnosis(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let device = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::diagnosis(tx, caller, &device, now)
    })
    .await
}

pub async fn end_of_day(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let device = req.param(0).to_owned();
    write_stx(&app, &req, move |tx, caller, now| {
        smart::end_of_day(tx, caller, &device, now)
    })
    .await
}
