//! Loyalty/Cards (api.md §10): the global card behind merchant cards, and its assignment to a
//! merchant user account.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_store::{CardRow, Tx};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{App, Req, ok_json};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::list;
use crate::loyalty::views::card_view;
use crate::loyalty::{list_plan, to_value};
use crate::secret::{is_id, verify_secret};
use crate::tenancy::path_id;

const MAIN_FIELDS: &[&str] = &["id", "cardnumber"];

/// A card the caller's merchant sees: one with a merchant card there (404 otherwise).
async fn visible_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardRow> {
    let id = path_id(id, "CRD")?;
    let card = match tx.card(id).await? {
        Some(c)
            if tx
                .merchantcard_by_card(&caller.merchant_id, id)
                .await?
                .is_some() =>
        {
            c
        }
        _ => return Err(ApiError::not_found("loyalty.cards", id)),
    };
    Ok(card)
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CARDS)?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_cards(&req.caller().merchant_id, plan.query())
        .await?;
    let items = found
        .rows
        .iter()
        .map(|c| to_value(&card_view(&app.clock, c)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let card = visible_card(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&card_view(&app.clock, &card))
}

/// `me` or the token's own account; any other account is 404 (a malformed id 4003).
fn own_account(caller: &Principal, value: &str) -> ApiResult<String> {
    let user = caller.user_id.as_deref().unwrap_or_default();
    if value.eq_ignore_ascii_case("me") || value == user {
        return Ok(user.to_owned());
    }
    if !is_id(value, "ACC") {
        return Err(ApiError::bad_id(format!("malformed account id {value}")));
    }
    Err(ApiError::not_found("general.accounts", value))
}

#[derive(Deserialize)]
struct CardPinDto {
    pin: Option<Value>,
}

/// The `pin` as the passcode it must equal: 4 digits as a string (CardPin) or an integer.
fn pin_of(value: Option<&Value>) -> ApiResult<Option<String>> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.clone()
        }
        Some(Value::Number(n)) if n.as_i64().is_some_and(|p| (0..=9999).contains(&p)) => {
            n.to_string()
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "pin: expected a passcode of up to 4 digits",
            ));
        }
    };
    // Passcodes are integers: "0042" and 42 are the same passcode.
    Ok(Some(text.parse::<i64>().unwrap_or_default().to_string()))
}

pub async fn assign_user(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CardPinDto = json::body(&req.body)?;
    let pin = pin_of(dto.pin.as_ref())?;
    let caller = req.caller();
    let account = own_account(caller, req.param(1))?;
    let mut tx = app.store.write().await?;
    let mut card = visible_card(&mut *tx, caller, req.param(0)).await?;
    let mc = tx
        .merchantcard_by_card(&caller.merchant_id, &card.id)
        .await?
        .ok_or_else(|| ApiError::not_found("loyalty.cards", &card.id))?;
    if let Some(hash) = &mc.passcode_hash
        && !pin.as_deref().is_some_and(|p| verify_secret(p, hash))
    {
        return Err(ApiError::new(
            Code::WrongSecret,
            "pin does not match the card's passcode",
        ));
    }
    match card.account_id.as_deref() {
        Some(a) if a == account => {}
        Some(_) => {
            return Err(ApiError::new(
                Code::AlreadyExists,
                format!("card {} is already assigned to another account", card.id),
            ));
        }
        None => {
            card.account_id = Some(account);
            tx.update_card(&card).await?;
            tx.commit().await?;
        }
    }
    ok_json(&json!({"result": true}))
}

pub async fn unassign_user(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller();
    let account = own_account(caller, req.param(1))?;
    let mut tx = app.store.write().await?;
    let mut card = visible_card(&mut *tx, caller, req.param(0)).await?;
    if card.account_id.as_deref() != Some(account.as_str()) {
        return ok_json(&json!({"result": false}));
    }
    card.account_id = None;
    tx.update_card(&card).await?;
    tx.commit().await?;
    ok_json(&json!({"result": true}))
}
