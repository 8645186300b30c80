//! The object an event reports, read in the unit that wrote it, as the API shows it (push.md §1:
//! an event's data is the object's full view, as GET returns it). The edge renders it.

use loyalpos_store::{DeviceId, LtxId, MerchantcardId, NewEvent, StxId, Tx};

use crate::devices::{self, DeviceState};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::loyalty::transactions::{self, Ltx};
use crate::loyalty::{Merchantcard, with_parts};
use crate::smart::{self, SmartTransaction};

pub enum EventObject {
    SmartTransaction(Box<SmartTransaction>),
    LoyaltyTransaction(Box<Ltx>),
    Merchantcard(Box<Merchantcard>),
    Device(Box<DeviceState>),
}

/// Reads the event's object; an object the unit does not hold is an internal error (the command
/// that noted the change just wrote it).
pub fn object_of(tx: &mut dyn Tx, event: &NewEvent) -> ApiResult<EventObject> {
    let id = event.object_id.as_str();
    let found = match event.target {
        events::SMART_TRANSACTIONS => smart::by_id(tx, &StxId::from(id), event.created)?
            .map(|o| EventObject::SmartTransaction(Box::new(o))),
        events::LOYALTY_TRANSACTIONS => transactions::by_id(tx, &LtxId::from(id))?
            .map(|o| EventObject::LoyaltyTransaction(Box::new(o))),
        events::LOYALTY_MERCHANTCARDS => match tx.merchantcard(&MerchantcardId::from(id))? {
            Some(row) => Some(EventObject::Merchantcard(Box::new(with_parts(tx, row)?))),
            None => None,
        },
        events::SMART_DEVICES => devices::by_id(tx, &DeviceId::from(id), event.created)?
            .map(|o| EventObject::Device(Box::new(o))),
        _ => None,
    };
    found.ok_or_else(|| {
        ApiError::internal(format!(
            "event {} {}: no object {id}",
            event.target, event.kind
        ))
    })
}
