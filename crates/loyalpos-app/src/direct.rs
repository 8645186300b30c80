//! The direct card transaction `POST /Loyalty/MerchantCards/{id}/transaction/{target}` (api.md §9,
//! **loyalpos rule**): one action on one card without a basket, in one unit of work — lock the card,
//! check it, book one loyalty transaction with the next TA code. It sits above both
//! [`crate::loyalty`] and [`crate::smart`]: a `cancel_last` that reverses a smart transaction's
//! booking cancels that transaction too.

use loyalpos_domain::direct::{DirectAction, DirectOutcome, bonus_correction, direct};
use loyalpos_domain::money::Cents;
use loyalpos_domain::receipt::ReceiptLine;
use loyalpos_domain::settle::LtxDescription;
use loyalpos_store::StoreId;
use loyalpos_store::{CardRow, CardgroupRow, LtxId, LtxRow, MerchantcardRow, Tx};
use serde_json::{Map, Value};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::ledger::{self, Layout, Posting, balances_of, check_usable};
use crate::loyalty::locate::{CardAddress, locate_for_change};
use crate::loyalty::rules::card_rules;
use crate::loyalty::{Merchantcard, group_of, with_card_and_group};
use crate::tenancy::own_store;

/// What a direct transaction does: book an action's amount, or cancel the card's last booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Book {
        action: DirectAction,
        amount: i64,
    },
    CancelLast,
    /// A back-office correction of the bonus balance by a signed amount (no API action books it).
    BonusCorrection {
        change: i64,
    },
}

impl Movement {
    /// Every action but `cancel_last` needs an amount greater than 0.
    pub fn parse(action: DirectAction, amount: Option<i64>) -> ApiResult<Movement> {
        match (action, amount) {
            (DirectAction::CancelLast, _) => Ok(Movement::CancelLast),
            (_, Some(a)) if a > 0 => Ok(Movement::Book { action, amount: a }),
            (_, Some(_)) => Err(ApiError::bad_request("amount: must be greater than 0")),
            (_, None) => Err(ApiError::bad_request("amount: missing field")),
        }
    }
}

/// One direct transaction as requested.
#[derive(Debug, Clone)]
pub struct DirectTransaction {
    pub address: CardAddress,
    /// The path's `{target}`: `me` or the card's own id (transfers are not served).
    pub target: String,
    pub movement: Movement,
    pub amount_split_allowed: bool,
    /// The store booked in (`None`: the caller's).
    pub store_id: Option<String>,
    /// The terminal id (`None`: the calling device's).
    pub tid: Option<String>,
    pub additional_data: Option<Map<String, Value>>,
}

/// The result: the card after the booking, the LTX written, its receipt, and the amount to report
/// (positive).
#[derive(Debug, Clone)]
pub struct Booked {
    pub card: Merchantcard,
    pub ltx: LtxRow,
    pub receipt: Vec<ReceiptLine>,
    pub amount: i64,
}

/// Books the transaction on the addressed card (locked for the rest of the unit of work).
pub fn transact(
    tx: &mut dyn Tx,
    caller: &Principal,
    request: DirectTransaction,
    now: i64,
) -> ApiResult<Booked> {
    let address = &request.address;
    address.check()?;
    let target_is_me = request.target.eq_ignore_ascii_case("me");
    if !target_is_me && !address.is_me() && request.target != address.path {
        return Err(transfer_refused());
    }
    let store_id = acting_store(tx, caller, request.store_id.as_deref())?;
    let tid = match request.tid {
        Some(tid) => Some(tid),
        None => device_tid(tx, caller)?,
    };
    let (mut mc, card) = locate_for_change(tx, caller, address)?;
    if !target_is_me && request.target != mc.id {
        return Err(transfer_refused());
    }
    // A lock stops new spending, not reversals: cancel_last passes a locked card (api.md §8.10).
    match check_usable(&mc, &card.cardnumber, now) {
        Err(loyalpos_domain::DomainError::CardLocked(_))
            if request.movement == Movement::CancelLast => {}
        checked => checked?,
    }
    let group = group_of(tx, &mc)?;
    let outcome = booking_outcome(request.movement, request.amount_split_allowed, &mc, &group)?;
    let (ltx, receipt, amount) = match outcome {
        None => cancel_last(tx, now, &mut mc, &group, &card)?,
        Some(outcome) => {
            let booking = Booking {
                store_id,
                tid,
                additional_data: request.additional_data,
            };
            book(tx, now, &mut mc, &group, &card, outcome, booking)?
        }
    };
    Ok(Booked {
        card: with_card_and_group(tx, mc, card, group)?,
        ltx,
        receipt,
        amount,
    })
}

/// Cancels one loyalty transaction of the card (the back office's storno of a booking) by the
/// rules of api.md §8.10: the card's most recent one unless its group has `cancel_selected`
/// (else 4205); a transaction of another card is as unknown as a wrong id. A locked card may be
/// cancelled.
pub fn cancel_booking(
    tx: &mut dyn Tx,
    caller: &Principal,
    card_id: &str,
    ltx_id: &str,
    now: i64,
) -> ApiResult<Booked> {
    let address = CardAddress {
        path: card_id.to_owned(),
        cardnumber: None,
    };
    address.check()?;
    let (mut mc, card) = locate_for_change(tx, caller, &address)?;
    let original = tx
        .ltx(&LtxId::from(ltx_id.to_owned()))?
        .filter(|l| l.merchantcard_id == mc.id)
        .ok_or_else(|| ApiError::not_found("loyalty.transactions", ltx_id))?;
    let group = group_of(tx, &mc)?;
    let (ltx, receipt, amount) = cancel_ltx(tx, now, &mut mc, &group, &card, &original)?;
    Ok(Booked {
        card: with_card_and_group(tx, mc, card, group)?,
        ltx,
        receipt,
        amount,
    })
}

/// What a booking movement books on the card; `None` for `cancel_last`, which is a reversal.
fn booking_outcome(
    movement: Movement,
    split_allowed: bool,
    mc: &MerchantcardRow,
    group: &CardgroupRow,
) -> ApiResult<Option<DirectOutcome>> {
    let balances = balances_of(mc);
    Ok(match movement {
        Movement::CancelLast => None,
        Movement::Book { action, amount } => Some(direct(
            action,
            amount,
            split_allowed,
            &balances,
            &card_rules(group)?,
        )?),
        Movement::BonusCorrection { change } => Some(bonus_correction(change, &balances)?),
    })
}

fn transfer_refused() -> ApiError {
    ApiError::bad_request(
        "target: transfers between cards are not served; use the card's own id or me",
    )
}

/// `store`: a store of the merchant (404 otherwise), by default the caller's.
fn acting_store(
    tx: &mut dyn Tx,
    caller: &Principal,
    store: Option<&str>,
) -> ApiResult<Option<StoreId>> {
    match store {
        Some(id) => Ok(Some(own_store(tx, caller, id)?.id)),
        None => Ok(caller.store_id.clone()),
    }
}

fn device_tid(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<Option<String>> {
    Ok(match &caller.device_id {
        Some(id) => tx.device(id)?.and_then(|d| d.tid),
        None => None,
    })
}

/// What the LTX of a booking records besides its bookings.
struct Booking {
    store_id: Option<StoreId>,
    tid: Option<String>,
    additional_data: Option<Map<String, Value>>,
}

type Written = (LtxRow, Vec<ReceiptLine>, i64);

fn book(
    tx: &mut dyn Tx,
    now: i64,
    mc: &mut MerchantcardRow,
    group: &CardgroupRow,
    card: &CardRow,
    outcome: DirectOutcome,
    booking: Booking,
) -> ApiResult<Written> {
    let posting = Posting {
        bookings: outcome.bookings.clone(),
        description: outcome.description,
        revenue: outcome.revenue,
        layout: layout_of(&outcome),
        store_id: booking.store_id,
        tid: booking.tid,
        purpose: None,
        additional_data: booking
            .additional_data
            .map(|d| Value::Object(d).to_string()),
        smart_transaction_id: None,
        ltx_id: None,
    };
    let (ltx, receipt) = ledger::post(tx, now, mc, group, card, posting)?;
    Ok((ltx, receipt, outcome.booked_amount))
}

/// The receipt layout kept with the LTX, so that its cancellation prints the mirror image.
fn layout_of(outcome: &DirectOutcome) -> Layout {
    let booked = outcome.booked_amount;
    let only_for = |description: LtxDescription| {
        if outcome.description == description {
            booked
        } else {
            0
        }
    };
    match outcome.description {
        LtxDescription::BonusCorrection => Layout::Bonus {
            change: outcome.bookings.iter().map(|b| b.amount).sum(),
        },
        LtxDescription::PointsCharge | LtxDescription::PointsDischarge => Layout::Points {
            charged: outcome.description == LtxDescription::PointsCharge,
            amount: booked,
        },
        description => Layout::Booking {
            load_only: description == LtxDescription::Charge,
            paid_by_card: only_for(LtxDescription::Discharge),
            load: only_for(LtxDescription::Charge),
            revenue: outcome.revenue.value(),
            bonus_collected: outcome.bonus_collected.value(),
        },
    }
}

/// Cancels the card's most recent cancellable LTX (§8.10); none is 400/4205. The reported amount is
/// the reversal's net money change, or for a points booking its points, as a positive number.
fn cancel_last(
    tx: &mut dyn Tx,
    now: i64,
    mc: &mut MerchantcardRow,
    group: &CardgroupRow,
    card: &CardRow,
) -> ApiResult<Written> {
    let original = ledger::last_cancellable(tx, &mc.id)?.ok_or_else(|| {
        ApiError::new(
            Code::CancelNotAllowed,
            "the card has no transaction that can be cancelled",
        )
    })?;
    cancel_ltx(tx, now, mc, group, card, &original)
}

/// Cancels `original`, an LTX of the (locked) card, by the rules of §8.10; its smart transaction,
/// if any, becomes `cancelled` too.
fn cancel_ltx(
    tx: &mut dyn Tx,
    now: i64,
    mc: &mut MerchantcardRow,
    group: &CardgroupRow,
    card: &CardRow,
    original: &LtxRow,
) -> ApiResult<Written> {
    let points_before = mc.points;
    let (cancelling, receipt) = ledger::cancel(tx, now, mc, group, &card.cardnumber, original)?;
    // The booking's smart transaction, if any, becomes `cancelled` in the same unit of work.
    crate::smart::on_ltx_cancelled(tx, original, &cancelling, now)?;
    let amount = if cancelling.amount != Cents::ZERO {
        cancelling.amount.0.abs()
    } else {
        (mc.points - points_before).abs()
    };
    Ok((cancelling, receipt, amount))
}
