//! The direct card transaction `POST /Loyalty/MerchantCards/{id}/transaction/{target}` (api.md §9,
//! **loyalpos rule**): one action on one card without a basket, in one unit of work — lock the card,
//! check it, book one loyalty transaction with the next TA code, commit.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_domain::direct::{DirectAction, DirectOutcome, direct};
use loyalpos_domain::settle::LtxDescription;
use loyalpos_store::{CardgroupRow, LtxRow, MerchantcardRow, Tx};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::app::{App, Req, ok_json};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::loyalty::ledger::{self, Layout, Posting, balances_of, check_usable};
use crate::loyalty::locate::{CardAddress, locate_for_change};
use crate::loyalty::views::{MerchantcardView, receipt_json, render_merchantcard};
use crate::loyalty_rules::card_rules;
use crate::tenancy::{merchant_param, owned, path_id};
use crate::wire::IdRef;

#[derive(Deserialize)]
struct DirectDto {
    action: String,
    amount: Option<i64>,
    terminal_id: Option<String>,
    tid: Option<String>,
    store: Option<IdRef>,
    cardnumber: Option<String>,
    #[serde(default, deserialize_with = "split_flag")]
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
#[derive(Serialize)]
struct WithReceipt {
    #[serde(flatten)]
    card: MerchantcardView,
    receipt_header: Vec<Value>,
    receipt: Value,
    trans_id: i64,
    amount: i64,
}

/// A booking's result: the LTX written, its receipt, and the amount to report (positive).
struct Booked {
    ltx: LtxRow,
    receipt: Value,
    amount: i64,
}

pub async fn transaction(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DirectDto = json::body(&req.body)?;
    let action = DirectAction::parse(&dto.action)?;
    let amount = match (action, dto.amount) {
        (DirectAction::CancelLast, _) => 0,
        (_, Some(a)) if a > 0 => a,
        (_, Some(_)) => return Err(ApiError::bad_request("amount: must be greater than 0")),
        (_, None) => return Err(ApiError::bad_request("amount: missing field")),
    };
    let caller = req.caller();
    if let Some(m) = &dto.merchant_id {
        merchant_param(&app, caller, m)?;
    }
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    address.check()?;
    let target = req.param(1);
    let target_is_me = target.eq_ignore_ascii_case("me");
    if !target_is_me && !address.is_me() && target != address.path {
        return Err(transfer_refused());
    }
    let now = app.clock.now();
    let mut tx = app.store.write().await?;
    let store_id = acting_store(&mut *tx, caller, dto.store.as_ref()).await?;
    let tid = match dto.tid.or(dto.terminal_id) {
        Some(tid) => Some(tid),
        None => device_tid(&mut *tx, caller).await?,
    };
    let (mut mc, card) = locate_for_change(&mut *tx, caller, &address).await?;
    if !target_is_me && target != mc.id {
        return Err(transfer_refused());
    }
    check_usable(&mc, &card.cardnumber, now)?;
    let group = tx
        .cardgroup(&mc.cardgroup_id)
        .await?
        .ok_or_else(|| ApiError::internal("card group of a merchant card missing"))?;
    let booked = if action == DirectAction::CancelLast {
        cancel_last(&mut *tx, now, &mut mc, &group, &card.cardnumber).await?
    } else {
        let rules = card_rules(&group)?;
        let outcome = direct(
            action,
            amount,
            dto.amount_split_allowed,
            &balances_of(&mc),
            &rules,
        )?;
        let posting = Posting {
            bookings: outcome.bookings.clone(),
            description: outcome.description,
            revenue: outcome.revenue,
            layout: layout_of(&outcome),
            store_id,
            tid,
            purpose: None,
            additional_data: dto.additional_data.map(|d| Value::Object(d).to_string()),
            smart_transaction_id: None,
            ltx_id: None,
        };
        let (ltx, receipt) =
            ledger::post(&mut *tx, now, &mut mc, &group, &card.cardnumber, posting).await?;
        Booked {
            ltx,
            receipt: receipt_json(&receipt),
            amount: outcome.booked_amount,
        }
    };
    let view = render_merchantcard(&mut *tx, &app.clock, &mc).await?;
    tx.commit().await?;
    ok_json(&WithReceipt {
        card: view,
        receipt_header: Vec::new(),
        receipt: booked.receipt,
        trans_id: booked.ltx.trans_id,
        amount: booked.amount,
    })
}

fn transfer_refused() -> ApiError {
    ApiError::bad_request(
        "target: transfers between cards are not served; use the card's own id or me",
    )
}

/// The receipt layout kept with the LTX, so that its cancellation prints the mirror image.
fn layout_of(outcome: &DirectOutcome) -> Layout {
    match outcome.description {
        LtxDescription::PointsCharge | LtxDescription::PointsDischarge => Layout::Points {
            charged: outcome.description == LtxDescription::PointsCharge,
            amount: outcome.booked_amount,
        },
        description => {
            let booked = outcome.booked_amount;
            Layout::Booking {
                load_only: description == LtxDescription::Charge,
                paid_by_card: if description == LtxDescription::Discharge {
                    booked
                } else {
                    0
                },
                load: if description == LtxDescription::Charge {
                    booked
                } else {
                    0
                },
                revenue: outcome.revenue.value(),
                bonus_collected: outcome.bonus_collected.value(),
            }
        }
    }
}

/// `store`: a store of the merchant (404 otherwise), by default the caller's.
async fn acting_store(
    tx: &mut dyn Tx,
    caller: &Principal,
    store: Option<&IdRef>,
) -> ApiResult<Option<String>> {
    let Some(IdRef(id)) = store else {
        return Ok(caller.store_id.clone());
    };
    let id = path_id(id, "STO")?;
    let row = owned(
        tx.store(id).await?,
        |s| &s.merchant_id,
        caller,
        "general.stores",
        id,
    )?;
    Ok(Some(row.id))
}

async fn device_tid(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<Option<String>> {
    Ok(match &caller.device_id {
        Some(id) => tx.device(id).await?.and_then(|d| d.tid),
        None => None,
    })
}

/// Cancels the card's most recent cancellable LTX (§8.10); none is 400/4205. The reported amount is
/// the reversal's net money change, or for a points booking its points, as a positive number.
async fn cancel_last(
    tx: &mut dyn Tx,
    now: i64,
    mc: &mut MerchantcardRow,
    group: &CardgroupRow,
    cardnumber: &str,
) -> ApiResult<Booked> {
    let original = ledger::last_cancellable(tx, &mc.id).await?.ok_or_else(|| {
        ApiError::new(
            Code::CancelNotAllowed,
            "the card has no transaction that can be cancelled",
        )
    })?;
    let points_before = mc.points;
    let (cancelling, receipt) = ledger::cancel(tx, now, mc, group, cardnumber, &original).await?;
    // The booking's smart transaction, if any, becomes `cancelled` in the same unit of work.
    crate::smart::on_ltx_cancelled(tx, &original, &cancelling, now).await?;
    let amount = if cancelling.amount != 0 {
        cancelling.amount.abs()
    } else {
        (mc.points - points_before).abs()
    };
    Ok(Booked {
        ltx: cancelling,
        receipt: receipt_json(&receipt),
        amount,
    })
}
