//! The direct card transaction `POST /Loyalty/MerchantCards/{id}/transaction/{target}` (api.md §9):
//! the request becomes one `transact` command; the answer is the card with the booking's receipt.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::clock::Clock;
use loyalpos_app::direct::{self, Booked, DirectTransaction, Movement};
use loyalpos_app::loyalty::locate::CardAddress;
use loyalpos_app::loyalty::receipt_json;
use loyalpos_app::tenancy::merchant_param;
use loyalpos_domain::direct::DirectAction;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::answer::Answer;
use crate::app::{App, Req};
use crate::error::ApiResult;
use crate::json;
use crate::loyalty::views::{MerchantcardView, render_merchantcard};
use crate::wire::IdRef;

#[derive(Deserialize, JsonSchema)]
#[schemars(rename = "DirectTransactionDto")]
pub(crate) struct DirectDto {
    #[schemars(extend("enum" = DirectAction::ALL.map(DirectAction::as_str)))]
    action: String,
    #[schemars(range(min = 1))]
    amount: Option<i64>,
    terminal_id: Option<String>,
    tid: Option<String>,
    store: Option<IdRef>,
    cardnumber: Option<String>,
    #[serde(default, deserialize_with = "split_flag")]
    #[schemars(extend("type" = ["string", "boolean", "integer", "null"]))]
    amount_split_allowed: bool,
    merchant_id: Option<String>,
    additional_data: Option<Map<String, Value>>,
}

/// `amount_split_allowed` is a string in the SDK model (`"1"`/`"true"` enable it); a JSON boolean
/// is read the same way.
fn split_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        None | Some(Value::Null) => false,
        Some(_) => {
            return Err(serde::de::Error::custom(
                "expected \"1\", \"true\" or another string",
            ));
        }
    })
}

/// The merchant card with the receipt of the booking (models.md §3.1 "with receipt").
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "MerchantCardWithReceipt")]
pub(crate) struct WithReceipt {
    #[serde(flatten)]
    card: MerchantcardView,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
    receipt_header: Vec<Value>,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
    receipt: Value,
    trans_id: i64,
    amount: i64,
}

fn with_receipt(clock: &Clock, booked: &Booked) -> WithReceipt {
    WithReceipt {
        card: render_merchantcard(clock, &booked.card),
        receipt_header: Vec::new(),
        receipt: receipt_json(&booked.receipt),
        trans_id: booked.ltx.trans_id,
        amount: booked.amount,
    }
}

pub async fn transaction(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DirectDto = json::body(&req.body)?;
    let movement = Movement::parse(DirectAction::parse(&dto.action)?, dto.amount)?;
    let caller = req.caller().clone();
    if let Some(m) = &dto.merchant_id {
        merchant_param(app.config.demo, &caller, m)?;
    }
    let request = DirectTransaction {
        address: CardAddress {
            path: req.param(0).to_owned(),
            cardnumber: dto.cardnumber,
        },
        target: req.param(1).to_owned(),
        movement,
        amount_split_allowed: dto.amount_split_allowed,
        store_id: dto.store.map(|IdRef(id)| id),
        tid: dto.tid.or(dto.terminal_id),
        additional_data: dto.additional_data,
    };
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let booked = direct::transact(tx, &caller, request, now)?;
        Answer::json(&with_receipt(&clock, &booked))
    })
    .await
}
