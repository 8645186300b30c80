//! Loyalty commands: card groups, cards, merchant cards, customers and the ledger (api.md §9–13).

pub mod cardgroups;
pub mod cards;
pub mod customers;
pub mod issue;
pub mod ledger;
pub mod locate;
pub mod merchantcards;
pub mod rules;
pub mod security;
pub mod transactions;

use loyalpos_domain::receipt::{Decoration, ReceiptLine};
use loyalpos_store::{CardRow, CardgroupRow, CustomerRow, FullMerchantcard, MerchantcardRow, Tx};
use serde_json::{Value, json};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::event_objects::EventObject;
use crate::events;
use crate::tenancy::{owned, path_id};

/// A receipt as stored and answered: JSON lines (`space` has no `value`; `separator` no
/// `decoration`).
pub fn receipt_json(lines: &[ReceiptLine]) -> Value {
    Value::Array(lines.iter().map(receipt_line).collect())
}

fn receipt_line(line: &ReceiptLine) -> Value {
    let decoration =
        |d: &[Decoration]| -> Value { d.iter().map(|x| Value::from(x.as_str())).collect() };
    match line {
        ReceiptLine::Separator { caption } => {
            json!({"type": "separator", "value": {"caption": caption}})
        }
        ReceiptLine::NameValue {
            name,
            value,
            decoration: d,
        } => {
            json!({"type": "name-value", "value": {"name": name, "value": value, "decoration": decoration(d)}})
        }
        ReceiptLine::TextLine {
            text,
            decoration: d,
        } => json!({"type": "textline", "value": {"text": text, "decoration": decoration(d)}}),
        ReceiptLine::Space => json!({"type": "space"}),
    }
}

/// A card group of the caller's merchant by `CRG_` id (4003 malformed, 404 unknown or foreign).
pub fn own_cardgroup(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardgroupRow> {
    let id = path_id(id, "CRG")?;
    owned(
        tx.cardgroup(&id.into())?,
        |g| &g.merchant_id,
        caller,
        "loyalty.cardgroups",
        id,
    )
}

/// A customer of the caller's merchant by `CUS_` id (4003 malformed, 404 unknown or foreign).
pub fn own_customer(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CustomerRow> {
    let id = path_id(id, "CUS")?;
    owned(
        tx.customer(&id.into())?,
        |c| &c.merchant_id,
        caller,
        "loyalty.customers",
        id,
    )
}

/// A merchant card of the caller's merchant by `MCD_` id. With `lock`, the row is read under the
/// card's lock (every write to a merchant card goes through the lock, balances or not).
pub fn own_merchantcard(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<MerchantcardRow> {
    let id = path_id(id, "MCD")?;
    let row = if lock {
        tx.lock_merchantcard(&id.into())?
    } else {
        tx.merchantcard(&id.into())?
    };
    owned(row, |m| &m.merchant_id, caller, "loyalty.merchantcards", id)
}

/// Everything a merchant card's view shows besides its row.
#[derive(Debug, Clone)]
pub struct MerchantcardParts {
    pub card: CardRow,
    pub group: CardgroupRow,
    pub customer: Option<CustomerRow>,
}

/// A merchant card as a command leaves it, with everything its view shows.
#[derive(Debug, Clone)]
pub struct Merchantcard {
    pub row: MerchantcardRow,
    pub parts: MerchantcardParts,
}

/// Reads the card, group and customer of a merchant card.
pub fn merchantcard_parts(tx: &mut dyn Tx, m: &MerchantcardRow) -> ApiResult<MerchantcardParts> {
    let card = tx
        .card(&m.card_id)?
        .ok_or_else(|| ApiError::internal(format!("card {} missing", m.card_id)))?;
    let group = group_of(tx, m)?;
    let customer = customer_of(tx, m)?;
    Ok(MerchantcardParts {
        card,
        group,
        customer,
    })
}

/// The merchant card with its parts read in this unit of work.
pub fn with_parts(tx: &mut dyn Tx, row: MerchantcardRow) -> ApiResult<Merchantcard> {
    let parts = merchantcard_parts(tx, &row)?;
    Ok(shown(tx, Merchantcard { row, parts }))
}

/// A command's changed merchant card is its event's data as the command shows it.
fn shown(tx: &mut dyn Tx, card: Merchantcard) -> Merchantcard {
    events::carry(tx, events::LOYALTY_MERCHANTCARDS, &card.row.id, || {
        EventObject::Merchantcard(Box::new(card.clone()))
    });
    card
}

/// [`shown`] for a command that holds the card as a smart transaction shows it.
pub fn carry_merchantcard(tx: &mut dyn Tx, full: &FullMerchantcard) {
    events::carry(
        tx,
        events::LOYALTY_MERCHANTCARDS,
        &full.merchantcard.id,
        || {
            EventObject::Merchantcard(Box::new(Merchantcard {
                row: full.merchantcard.clone(),
                parts: MerchantcardParts {
                    card: full.card.clone(),
                    group: full.group.clone(),
                    customer: full.customer.clone(),
                },
            }))
        },
    );
}

/// The merchant card with its parts, given its card (already read by the command).
pub(crate) fn with_card(
    tx: &mut dyn Tx,
    row: MerchantcardRow,
    card: CardRow,
) -> ApiResult<Merchantcard> {
    let group = group_of(tx, &row)?;
    with_card_and_group(tx, row, card, group)
}

/// The merchant card with its parts, given its card and group (already read by the command).
pub(crate) fn with_card_and_group(
    tx: &mut dyn Tx,
    row: MerchantcardRow,
    card: CardRow,
    group: CardgroupRow,
) -> ApiResult<Merchantcard> {
    let customer = customer_of(tx, &row)?;
    let card = Merchantcard {
        row,
        parts: MerchantcardParts {
            card,
            group,
            customer,
        },
    };
    Ok(shown(tx, card))
}

/// The card group a merchant card belongs to.
pub fn group_of(tx: &mut dyn Tx, m: &MerchantcardRow) -> ApiResult<CardgroupRow> {
    tx.cardgroup(&m.cardgroup_id)?
        .ok_or_else(|| ApiError::internal(format!("card group {} missing", m.cardgroup_id)))
}

fn customer_of(tx: &mut dyn Tx, m: &MerchantcardRow) -> ApiResult<Option<CustomerRow>> {
    Ok(match &m.customer_id {
        Some(id) => tx.customer(id)?,
        None => None,
    })
}
