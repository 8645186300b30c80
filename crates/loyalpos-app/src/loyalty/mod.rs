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
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::event_objects::EventObject;
use crate::events;
use crate::tenancy::{owned, path_id};

/// A receipt as stored and answered: JSON lines (`space` has no `value`; `separator` no
/// `decoration`), serialised straight from the lines.
pub struct ReceiptJson<'a>(pub &'a [ReceiptLine]);

impl Serialize for ReceiptJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(LineJson))
    }
}

struct LineJson<'a>(&'a ReceiptLine);

#[derive(Serialize)]
struct CaptionJson<'a> {
    caption: &'a str,
}

#[derive(Serialize)]
struct NameValueJson<'a> {
    name: &'a str,
    value: &'a str,
    decoration: DecorationJson<'a>,
}

#[derive(Serialize)]
struct TextJson<'a> {
    text: &'a str,
    decoration: DecorationJson<'a>,
}

struct DecorationJson<'a>(&'a [Decoration]);

impl Serialize for DecorationJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|d| d.as_str()))
    }
}

impl Serialize for LineJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.0.type_str())?;
        match self.0 {
            ReceiptLine::Separator { caption } => {
                map.serialize_entry("value", &CaptionJson { caption })?
            }
            ReceiptLine::NameValue {
                name,
                value,
                decoration,
            } => map.serialize_entry(
                "value",
                &NameValueJson {
                    name,
                    value,
                    decoration: DecorationJson(decoration),
                },
            )?,
            ReceiptLine::TextLine { text, decoration } => map.serialize_entry(
                "value",
                &TextJson {
                    text,
                    decoration: DecorationJson(decoration),
                },
            )?,
            ReceiptLine::Space => {}
        }
        map.end()
    }
}

/// The receipt as a JSON value (a transaction's document holds it so).
pub fn receipt_json(lines: &[ReceiptLine]) -> Value {
    serde_json::to_value(ReceiptJson(lines)).expect("a receipt always serialises")
}

/// The receipt as stored JSON text (a loyalty transaction's row), without a `Value` in between.
pub fn receipt_text(lines: &[ReceiptLine]) -> String {
    serde_json::to_string(&ReceiptJson(lines)).expect("a receipt always serialises")
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

#[cfg(test)]
mod receipt_json_tests {
    use loyalpos_domain::receipt::{Decoration, ReceiptLine};

    use super::{receipt_json, receipt_text};

    #[test]
    fn each_receipt_line_is_written_with_its_keys_in_the_wire_order() {
        let lines = [
            ReceiptLine::Separator {
                caption: "Kundenkarte".into(),
            },
            ReceiptLine::NameValue {
                name: "Kartennummer: ".into(),
                value: "9276004424644352".into(),
                decoration: vec![],
            },
            ReceiptLine::Space,
            ReceiptLine::TextLine {
                text: "7,96 EUR".into(),
                decoration: vec![Decoration::Important, Decoration::AlignRight],
            },
        ];
        let expected = concat!(
            r#"[{"type":"separator","value":{"caption":"Kundenkarte"}},"#,
            r#"{"type":"name-value","value":{"name":"Kartennummer: ","value":"9276004424644352","decoration":[]}},"#,
            r#"{"type":"space"},"#,
            r#"{"type":"textline","value":{"text":"7,96 EUR","decoration":["important","align-right"]}}]"#
        );
        assert_eq!(receipt_text(&lines), expected);
        assert_eq!(receipt_json(&lines).to_string(), expected);
        assert_eq!(receipt_text(&[]), "[]");
    }
}
