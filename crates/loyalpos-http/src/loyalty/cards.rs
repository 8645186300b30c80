//! Loyalty/Cards (api.md §10): the global card behind merchant cards, and its assignment to a
//! merchant user account.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::loyalty::cards::{self, visible_card};
use serde::Deserialize;
use serde_json::Value;

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::loyalty::views::card_view;
use crate::loyalty::{list_plan, to_value};
use crate::wire::ResultBool;

const MAIN_FIELDS: &[&str] = &["id", "cardnumber"];

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CARDS)?;
    let merchant_id = req.caller().merchant_id.clone();
    let (plan, found) = req
        .read(&app, move |tx| {
            let found = tx.list_cards(&merchant_id, plan.query())?;
            Ok((plan, found))
        })
        .await?;
    let items = found
        .rows
        .iter()
        .map(|c| to_value(&card_view(&app.clock, c)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let card = req
        .read(&app, move |tx| visible_card(tx, &caller, &id))
        .await?;
    ok_json(&card_view(&app.clock, &card))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct CardPinDto {
    pin: Option<Value>,
}

/// The `pin` as the passcode it must equal: 4 digits as a string (CardPin) or an integer.
/// Passcodes are integers: "0042" and 42 are the same passcode.
fn pin_of(value: Option<&Value>) -> ApiResult<Option<i64>> {
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if digits(s) => Ok(s.parse().ok()),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|p| (0..=9999).contains(&p)) => {
            Ok(n.as_i64())
        }
        Some(_) => Err(ApiError::bad_request(
            "pin: expected a passcode of up to 4 digits",
        )),
    }
}

pub async fn assign_user(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CardPinDto = json::body(&req.body)?;
    let pin = pin_of(dto.pin.as_ref())?;
    let caller = req.caller().clone();
    let (card_id, account) = (req.param(0).to_owned(), req.param(1).to_owned());
    req.write(&app, move |tx| {
        cards::assign_account(tx, &caller, &card_id, &account, pin)?;
        Answer::json(&ResultBool { result: true })
    })
    .await
}

pub async fn unassign_user(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    let (card_id, account) = (req.param(0).to_owned(), req.param(1).to_owned());
    req.write(&app, move |tx| {
        let removed = cards::unassign_account(tx, &caller, &card_id, &account)?;
        Answer::json(&ResultBool { result: removed })
    })
    .await
}
