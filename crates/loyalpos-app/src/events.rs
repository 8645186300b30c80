//! Events (push.md §1): commands note their changes in their unit of work
//! ([`loyalpos_store::EventTx::record_event`]); the unit writes them to the outbox when it ends, so
//! an event exists exactly when its change is committed. Also the rule of who may see an event.

use loyalpos_domain::money::Cents;
use std::sync::Arc;

use loyalpos_store::{
    Carried, DeviceId, DeviceRow, EventRow, LtxRow, MerchantId, MerchantcardRow, NewEvent, StxRow,
    Tx,
};
use serde_json::json;

use crate::caller::{Principal, TokenKind};
use crate::event_objects::EventObject;
use crate::secret::new_id;

pub const SMART_TRANSACTIONS: &str = "smart.transactions";
pub const LOYALTY_TRANSACTIONS: &str = "loyalty.transactions";
pub const LOYALTY_MERCHANTCARDS: &str = "loyalty.merchantcards";
pub const SMART_DEVICES: &str = "smart.devices";
pub const GENERAL_NOTIFICATIONS: &str = "general.notifications";

/// Every target an event can have (the stream's `target` filter names them).
pub const TARGETS: &[&str] = &[
    SMART_TRANSACTIONS,
    LOYALTY_TRANSACTIONS,
    LOYALTY_MERCHANTCARDS,
    SMART_DEVICES,
    GENERAL_NOTIFICATIONS,
];

/// What the simulated terminal shows the customer (push.md §1, loyalpos rule).
pub const DISPLAY_INSERT_CARD: &str = "Bitte Karte einstecken";
pub const DISPLAY_APPROVED: &str = "Zahlung erfolgt";
pub const DISPLAY_DECLINED: &str = "Zahlung abgelehnt";

struct Noted<'a> {
    merchant_id: &'a MerchantId,
    device_id: Option<&'a DeviceId>,
    target: &'static str,
    kind: &'static str,
    object_id: &'a str,
    data: Option<String>,
}

fn note(tx: &mut dyn Tx, noted: Noted<'_>, now: i64) {
    tx.record_event(NewEvent {
        id: new_id("EAC"),
        merchant_id: noted.merchant_id.clone(),
        device_id: noted.device_id.cloned(),
        target: noted.target,
        kind: noted.kind,
        object_id: noted.object_id.to_owned(),
        created: now,
        data: noted.data,
        object: None,
    });
}

/// Hands the object, as the command shows it, to its noted change (if any waits for it), so that
/// the event's data is rendered without reading it again.
pub fn carry(tx: &mut dyn Tx, target: &str, object_id: &str, object: impl FnOnce() -> EventObject) {
    if tx.carries_event_object(target, object_id) {
        tx.carry_event_object(target, object_id, Carried(Arc::new(object())));
    }
}

fn stx(tx: &mut dyn Tx, row: &StxRow, kind: &'static str, now: i64) {
    let noted = Noted {
        merchant_id: &row.merchant_id,
        device_id: row.device_id.as_ref(),
        target: SMART_TRANSACTIONS,
        kind,
        object_id: &row.id,
        data: None,
    };
    note(tx, noted, now);
}

/// A smart transaction was created.
pub fn stx_added(tx: &mut dyn Tx, row: &StxRow, now: i64) {
    stx(tx, row, "added", now);
}

/// A smart transaction's status or content changed.
pub fn stx_changed(tx: &mut dyn Tx, row: &StxRow, now: i64) {
    stx(tx, row, "changed", now);
}

/// A terminal payment of the transaction started (the docs' `startPayment`).
pub fn start_payment(tx: &mut dyn Tx, row: &StxRow, amount: Cents, currency: &str, now: i64) {
    let data = json!({"amount": amount, "currency": currency, "protocol": "zvt"});
    let noted = Noted {
        merchant_id: &row.merchant_id,
        device_id: row.device_id.as_ref(),
        target: SMART_TRANSACTIONS,
        kind: "startPayment",
        object_id: &row.id,
        data: Some(data.to_string()),
    };
    note(tx, noted, now);
}

/// A message the device's terminal shows.
pub fn display(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    device_id: &DeviceId,
    text: &str,
    now: i64,
) {
    let data = json!({"text": text, "device": {"object": "smart.devices", "id": device_id}});
    let noted = Noted {
        merchant_id,
        device_id: Some(device_id),
        target: GENERAL_NOTIFICATIONS,
        kind: "display",
        object_id: device_id,
        data: Some(data.to_string()),
    };
    note(tx, noted, now);
}

/// A loyalty transaction was booked (start, cancel, direct charge or load; not an import).
pub fn ltx_added(tx: &mut dyn Tx, row: &LtxRow, now: i64) {
    let noted = Noted {
        merchant_id: &row.merchant_id,
        device_id: None,
        target: LOYALTY_TRANSACTIONS,
        kind: "added",
        object_id: &row.id,
        data: None,
    };
    note(tx, noted, now);
}

/// A merchant card's balance, lock state, card group, expiry or customer changed.
pub fn merchantcard_changed(tx: &mut dyn Tx, row: &MerchantcardRow, now: i64) {
    let noted = Noted {
        merchant_id: &row.merchant_id,
        device_id: None,
        target: LOYALTY_MERCHANTCARDS,
        kind: "changed",
        object_id: &row.id,
        data: None,
    };
    note(tx, noted, now);
}

/// A device was registered, confirmed or changed.
pub fn device_changed(tx: &mut dyn Tx, row: &DeviceRow, now: i64) {
    let noted = Noted {
        merchant_id: &row.merchant_id,
        device_id: Some(&row.id),
        target: SMART_DEVICES,
        kind: "changed",
        object_id: &row.id,
        data: None,
    };
    note(tx, noted, now);
}

/// Who sees an event (push.md §1): tokens of its merchant; a device-bound token only the events
/// whose object names its device, and every `loyalty.*` event of the merchant.
pub fn visible_to(caller: &Principal, event: &EventRow) -> bool {
    if caller.merchant_id != event.merchant_id {
        return false;
    }
    match (caller.kind, &caller.device_id) {
        (TokenKind::Device, Some(device)) => {
            event.target.starts_with("loyalty.") || event.device_id.as_ref() == Some(device)
        }
        _ => true,
    }
}
