//! Terminal services of a device (api.md §8.12): `diagnosis` and `endOfDay`, each recorded as an
//! `ok` smart transaction with an empty basket and the service's receipt.

use loyalpos_domain::money::{Cents, Currency};
use loyalpos_domain::receipt::{diagnosis_receipt, end_of_day_receipt};
use loyalpos_domain::status::StxStatus;
use loyalpos_store::{DeviceRow, StxRow, Tx};
use serde_json::{Map, Value};

use super::doc::StxDoc;
use super::shown::{SmartTransaction, read_shown};
use super::stored_doc;
use crate::caller::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::loyalty::receipt_json;
use crate::secret::new_id;
use crate::tenancy::{owned, path_id};

pub fn diagnosis(
    tx: &mut dyn Tx,
    caller: &Principal,
    device_id: &str,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let device = terminal_device(tx, caller, device_id, false)?;
    let receipt = receipt_json(&diagnosis_receipt(device.tid.as_deref()));
    service_transaction(tx, &device, receipt, now)
}

/// Totals the device's cashless payments since its last end of day; after it, none of them can
/// be cancelled with canceltrx any more.
pub fn end_of_day(
    tx: &mut dyn Tx,
    caller: &Principal,
    device_id: &str,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let mut device = terminal_device(tx, caller, device_id, true)?;
    let since = tx.stxs_of_device_after_receipt(&device.id, device.end_of_day_receipt)?;
    let (mut count, mut sum) = (0i64, Cents(0));
    for row in &since {
        let doc = stored_doc(row)?;
        if row.status == StxStatus::Ok && doc.payment_method.as_deref() == Some("cashless") {
            count += 1;
            sum = sum.checked_add(doc.terminal_amount.unwrap_or_default())?;
        }
    }
    let receipt = receipt_json(&end_of_day_receipt(
        device.tid.as_deref(),
        count,
        sum,
        &Currency::eur(),
    ));
    device.end_of_day_receipt = device.next_receipt_number - 1;
    tx.update_device(&device)?;
    service_transaction(tx, &device, receipt, now)
}

/// The device named by `diagnosis`/`endOfDay`: a device token may only name itself.
fn terminal_device(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<DeviceRow> {
    if caller.kind == TokenKind::Device && caller.device_id.as_deref() != Some(id) {
        return Err(ApiError::forbidden());
    }
    let id = path_id(id, "SDV")?;
    let row = if lock {
        tx.lock_device(&id.into())?
    } else {
        tx.device(&id.into())?
    };
    owned(row, |d| &d.merchant_id, caller, "smart.devices", id)
}

fn service_transaction(
    tx: &mut dyn Tx,
    device: &DeviceRow,
    receipt: Value,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let doc = StxDoc {
        contract_id: device.contract_id.clone(),
        store_id: Some(device.store_id.clone()),
        device_destination_id: None,
        lines: Vec::new(),
        basket_type: "default".into(),
        sum: Cents(0),
        gratuity: None,
        currency: "EUR".into(),
        idents: Vec::new(),
        merchant_ref: None,
        transaction_ref: None,
        intent: None,
        is_demo: false,
        payment_method: None,
        echo: Map::new(),
        plan: None,
        transactions: Vec::new(),
        receipt,
        terminal_amount: None,
    };
    let row = StxRow {
        id: new_id("STX").into(),
        merchant_id: device.merchant_id.clone(),
        status: StxStatus::Ok,
        device_id: Some(device.id.clone()),
        receipt_number: None,
        trans_id: None,
        merchant_ref: doc.merchant_ref.clone(),
        transaction_ref: doc.transaction_ref.clone(),
        cardnumber: doc.cardnumber().map(str::to_owned),
        doc: doc.to_json(),
        created: now,
        updated: None,
    };
    tx.insert_stx(&row)?;
    events::stx_added(tx, &row, now);
    read_shown(tx, row, doc, now)
}
