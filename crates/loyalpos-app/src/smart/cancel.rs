//! Cancelling (api.md §8.10–8.12): `cancel` in any cancellable status (after `ok` the loyalty
//! transaction is reversed), `canceltrx` of a terminal payment before the device's end of day,
//! `abort` of an unpaid transaction — and a direct `cancel_last` that reversed a start.

use loyalpos_domain::DomainError;
use loyalpos_domain::status::{Action, StxStatus, Transition, check};
use loyalpos_store::LtxId;
use loyalpos_store::{FullMerchantcard, LtxRow, MerchantcardRow, StxRow, Tx};
use serde_json::Value;

use super::doc::StxDoc;
use super::shown::{Named, SmartTransaction, merchant_name, read_shown, show};
use super::{find, save, stored_doc};
use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::loyalty::carry_merchantcard;
use crate::loyalty::ledger;
use crate::loyalty::receipt_json;

/// The transaction's loyalty transaction and its merchant card, locked.
struct Booked {
    ltx: LtxRow,
    card: MerchantcardRow,
}

/// A transaction locked for cancelling, with its booking's card when it has one.
struct Locked {
    row: StxRow,
    doc: StxDoc,
    booked: Option<Booked>,
}

/// Lock order everywhere: merchant card before smart transaction (a direct `cancel_last` locks the
/// card and then marks the transaction). So a cancellation that will reverse a booking locks the
/// booking's card first, then the transaction, and reads it again under the lock.
fn lock_for_cancel(
    tx: &mut dyn Tx,
    caller: &Principal,
    found: &StxRow,
    doc: &StxDoc,
) -> ApiResult<Locked> {
    let booked = match doc.transactions.first() {
        Some(ltx_id) => match tx.ltx(ltx_id)? {
            Some(ltx) => tx
                .lock_merchantcard(&ltx.merchantcard_id)?
                .map(|card| Booked { ltx, card }),
            None => None,
        },
        None => None,
    };
    let (row, doc) = find(tx, caller, &found.id, true)?;
    Ok(Locked { row, doc, booked })
}

pub fn cancel(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let (found, doc) = find(tx, caller, id, false)?;
    let locked = lock_for_cancel(tx, caller, &found, &doc)?;
    let status = locked.row.status;
    if check(&Action::Cancel, status, None)? == Transition::Unchanged {
        return read_shown(tx, locked.row, locked.doc, now);
    }
    cancel_locked(tx, locked, status, true, now)
}

/// `canceltrx` of the caller device's payment with this receipt number: only after the payment
/// and before the device's next end of day. It keeps `receipt` as it was (api.md §8.11).
pub fn cancel_trx(
    tx: &mut dyn Tx,
    caller: &Principal,
    receipt_number: i64,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let device_id = caller.device_id.as_ref().ok_or_else(ApiError::forbidden)?;
    let found = tx
        .stx_by_receipt_number(device_id, receipt_number)?
        .filter(|r| r.merchant_id == caller.merchant_id)
        .ok_or_else(|| ApiError::not_found("smart.transactions", &receipt_number.to_string()))?;
    let locked = lock_for_cancel(tx, caller, &found, &stored_doc(&found)?)?;
    let status = locked.row.status;
    if check(&Action::CancelTrx, status, None)? == Transition::Unchanged {
        return read_shown(tx, locked.row, locked.doc, now);
    }
    let device = tx
        .device(device_id)?
        .ok_or_else(|| ApiError::internal("device vanished"))?;
    if receipt_number <= device.end_of_day_receipt {
        return Err(DomainError::CancelNotAllowed(
            "the payment is before the device's last end of day".into(),
        )
        .into());
    }
    cancel_locked(tx, locked, status, false, now)
}

pub fn abort(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let (mut row, mut doc) = find(tx, caller, id, true)?;
    if check(&Action::Abort, row.status, None)? == Transition::Unchanged {
        return read_shown(tx, row, doc, now);
    }
    doc.plan = None;
    row.status = StxStatus::Cancelled;
    save(tx, &mut row, &doc, now)?;
    read_shown(tx, row, doc, now)
}

/// Cancels in any cancellable status; after `ok` the loyalty transaction is reversed, and
/// `show_storno` puts the STORNO receipt in `receipt`.
fn cancel_locked(
    tx: &mut dyn Tx,
    locked: Locked,
    status: StxStatus,
    show_storno: bool,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let Locked {
        mut row,
        mut doc,
        booked,
    } = locked;
    let mut reversed_card = None;
    if status == StxStatus::Ok {
        if let Some(original_id) = doc.transactions.first().cloned() {
            let (card, receipt) = reverse(tx, now, &original_id, booked, &mut doc)?;
            if show_storno {
                doc.receipt = receipt;
            }
            reversed_card = Some(card);
        }
    } else {
        doc.plan = None;
    }
    row.status = StxStatus::Cancelled;
    save(tx, &mut row, &doc, now)?;
    let name = merchant_name(tx, &row.merchant_id)?;
    // The ident names the reversed card (start booked on it): shown as it is after the reversal.
    let first = reversed_card
        .filter(|c| doc.card_ident().and_then(|i| i.cardnumber()) == Some(&c.card.cardnumber))
        .map(|c| Named::Card(Some(c)));
    show(tx, row, doc, name, first, now)
}

/// Reverses the loyalty transaction `ltx_id` on its locked card (locked before the transaction
/// unless it was booked meanwhile); returns the card after the reversal and the STORNO receipt.
fn reverse(
    tx: &mut dyn Tx,
    now: i64,
    ltx_id: &LtxId,
    booked: Option<Booked>,
    doc: &mut StxDoc,
) -> ApiResult<(FullMerchantcard, Value)> {
    let Booked {
        ltx: original,
        card: mut merchantcard,
    } = match booked.filter(|b| b.ltx.id == ltx_id) {
        Some(booked) => booked,
        None => lock_booked(tx, ltx_id)?,
    };
    let group = tx
        .cardgroup(&merchantcard.cardgroup_id)?
        .ok_or_else(|| ApiError::internal("card group missing"))?;
    let card = tx
        .card(&merchantcard.card_id)?
        .ok_or_else(|| ApiError::internal("card missing"))?;
    let (cancelling, receipt) = ledger::cancel(
        tx,
        now,
        &mut merchantcard,
        &group,
        &card.cardnumber,
        &original,
    )?;
    doc.transactions.push(cancelling.id);
    let customer = match &merchantcard.customer_id {
        Some(id) => tx.customer(id)?,
        None => None,
    };
    let full = FullMerchantcard {
        merchantcard,
        card,
        group,
        customer,
    };
    carry_merchantcard(tx, &full);
    Ok((full, receipt_json(&receipt)))
}

fn lock_booked(tx: &mut dyn Tx, ltx_id: &LtxId) -> ApiResult<Booked> {
    let ltx = tx
        .ltx(ltx_id)?
        .ok_or_else(|| ApiError::internal("loyalty transaction missing"))?;
    let card = tx
        .lock_merchantcard(&ltx.merchantcard_id)?
        .ok_or_else(|| ApiError::internal("merchant card missing"))?;
    Ok(Booked { ltx, card })
}

/// A direct `cancel_last` reversed `original`: its smart transaction, if any, is cancelled too.
pub fn on_ltx_cancelled(
    tx: &mut dyn Tx,
    original: &LtxRow,
    cancellation: &LtxRow,
    now: i64,
) -> ApiResult<()> {
    let Some(stx_id) = &original.smart_transaction_id else {
        return Ok(());
    };
    let Some(mut row) = tx.lock_stx(stx_id)? else {
        return Ok(());
    };
    let mut doc = stored_doc(&row)?;
    doc.transactions.push(cancellation.id.clone());
    doc.receipt = serde_json::from_str(&cancellation.receipt).unwrap_or(Value::Array(Vec::new()));
    row.status = StxStatus::Cancelled;
    save(tx, &mut row, &doc, now)
}
