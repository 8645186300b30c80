//! Smart Transactions (api.md §8): the register's checkout flow. Every command is one unit of work
//! that locks the smart transaction (and the merchant card when money moves) and returns the
//! transaction as its view shows it ([`SmartTransaction`]), so an edge renders without reading.

mod cancel;
mod card;
mod create;
pub mod doc;
mod pay;
mod shown;
mod terminal;

use loyalpos_domain::status::{Action, check};
use loyalpos_store::{ListQuery, Listed, LockedStx, StxId, StxRow, Tx};
use serde_json::{Map, Value};

pub use self::cancel::{abort, cancel, cancel_trx, on_ltx_cancelled};
pub use self::create::{NewStx, create, replace};
pub use self::pay::{Planned, Started, pre_transaction, start};
pub use self::shown::{IdentCard, SmartTransaction};
pub use self::terminal::{diagnosis, end_of_day};

use self::doc::StxDoc;
use self::shown::{Named, read_shown};
use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::office::dashboard::SETTLED_AFTER;
use crate::tenancy::{owned, path_id};

fn stored_doc(row: &StxRow) -> ApiResult<StxDoc> {
    StxDoc::parse(&row.doc)
        .map_err(|e| ApiError::internal(format!("smart transaction {}: {e}", row.id)))
}

/// The caller's transaction by path id (4003 malformed, 404 unknown or foreign), locked if asked.
fn find(tx: &mut dyn Tx, caller: &Principal, id: &str, lock: bool) -> ApiResult<(StxRow, StxDoc)> {
    let id = path_id(id, "STX")?;
    let row = if lock {
        tx.lock_stx(&id.into())?
    } else {
        tx.stx(&id.into())?
    };
    owned_with_doc(row, caller, id)
}

/// The found row if it is the caller's (404 otherwise), with its document.
fn owned_with_doc(
    row: Option<StxRow>,
    caller: &Principal,
    id: &str,
) -> ApiResult<(StxRow, StxDoc)> {
    let row = owned(row, |r| &r.merchant_id, caller, "smart.transactions", id)?;
    let doc = stored_doc(&row)?;
    Ok((row, doc))
}

/// The caller's transaction by path id, locked, and the merchant card its card ident names, read in
/// the same round trip (locked when `lock_card`: a start books on it), through the row's
/// `cardnumber`. `None` when that did not find the ident's card (a row written before the column,
/// an ident without a card number, an unknown card, a number changed meanwhile): the caller then
/// looks the ident up itself.
fn find_with_card(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock_card: bool,
) -> ApiResult<(StxRow, StxDoc, Option<Named>)> {
    let id = path_id(id, "STX")?;
    let (row, card) = match tx.lock_stx_with_card(&id.into(), lock_card)? {
        Some(LockedStx { stx, card }) => (Some(stx), card),
        None => (None, None),
    };
    let (row, doc) = owned_with_doc(row, caller, id)?;
    let named = card
        .filter(|c| Some(c.card.cardnumber.as_str()) == doc.cardnumber())
        .map(|card| Named::Card(Some(card)));
    Ok((row, doc, named))
}

/// Writes the changed transaction with its document.
fn save(tx: &mut dyn Tx, row: &mut StxRow, doc: &StxDoc, now: i64) -> ApiResult<()> {
    row.doc = doc.to_json();
    row.updated = Some(now);
    tx.update_stx(row)?;
    // The end-of-day report may have kept the day this transaction was created in (only a day
    // that ended SETTLED_AFTER ago is kept, so a register's flow never gets here).
    if row.created < now - SETTLED_AFTER {
        tx.forget_payment_day(&row.merchant_id, row.created)?;
    }
    // The keys are written only when they change (a PUT, a start that issues its card), so that
    // the writes of preTransaction, start and cancel leave the list indexes alone.
    let cardnumber = doc.cardnumber();
    if row.merchant_ref != doc.merchant_ref
        || row.transaction_ref != doc.transaction_ref
        || row.cardnumber.as_deref() != cardnumber
    {
        row.merchant_ref.clone_from(&doc.merchant_ref);
        row.transaction_ref.clone_from(&doc.transaction_ref);
        row.cardnumber = cardnumber.map(str::to_owned);
        tx.update_stx_keys(row)?;
    }
    events::stx_changed(tx, row, now);
    Ok(())
}

pub fn get(tx: &mut dyn Tx, caller: &Principal, id: &str, now: i64) -> ApiResult<SmartTransaction> {
    let (row, doc) = find(tx, caller, id, false)?;
    read_shown(tx, row, doc, now)
}

/// A transaction by id, whoever's it is (an event's object); `None` when unknown.
pub fn by_id(tx: &mut dyn Tx, id: &StxId, now: i64) -> ApiResult<Option<SmartTransaction>> {
    let Some(row) = tx.stx(id)? else {
        return Ok(None);
    };
    let doc = stored_doc(&row)?;
    read_shown(tx, row, doc, now).map(Some)
}

/// The caller's transactions that the store finds for `q`, each as its view shows it.
pub fn list(
    tx: &mut dyn Tx,
    caller: &Principal,
    q: ListQuery<'_>,
    now: i64,
) -> ApiResult<Listed<SmartTransaction>> {
    let found = tx.list_stxs(&caller.merchant_id, q)?;
    let rows = found
        .rows
        .into_iter()
        .map(|row| {
            let doc = stored_doc(&row)?;
            read_shown(tx, row, doc, now)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Listed {
        total: found.total,
        rows,
    })
}

/// Merges the sent `delivery_options` into the stored ones; `type` defaults to `shipping`.
pub fn set_delivery(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    options: Map<String, Value>,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let (mut row, mut doc) = find(tx, caller, id, true)?;
    check(&Action::SetDelivery, row.status, None)?;
    let mut merged = match doc.echo.remove("delivery_options") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    merged.extend(options);
    merged
        .entry("type")
        .or_insert_with(|| Value::String("shipping".into()));
    doc.echo
        .insert("delivery_options".into(), Value::Object(merged));
    save(tx, &mut row, &doc, now)?;
    read_shown(tx, row, doc, now)
}
