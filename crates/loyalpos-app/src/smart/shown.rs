//! The outcome of every smart transaction command: the transaction with everything its view
//! shows (models.md §2.1), taken from what the command already holds and read only where it holds
//! nothing.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{CardgroupRow, FullMerchantcard, StxRow, Tx};

use super::doc::{Ident, StxDoc};
use crate::error::{ApiError, ApiResult};
use crate::loyalty::ledger::is_valid;

/// A smart transaction as shown: its row and document, its merchant's name and, per ident, the
/// card the ident names as it is now.
pub struct SmartTransaction {
    pub row: StxRow,
    pub doc: StxDoc,
    pub merchant_name: String,
    /// One per `doc.idents`, in order.
    pub idents: Vec<IdentCard>,
}

/// What an ident names: its merchant card (with card, group and customer) when it names one.
pub struct IdentCard {
    pub valid: bool,
    pub merchantcard: Option<FullMerchantcard>,
}

/// What an ident resolves to, read once per command: the merchant card of its number (`None`:
/// unknown here), or — for a `create_card` ident before start issued the card — its card group.
#[allow(
    clippy::large_enum_variant,
    reason = "one per command, never stored in bulk"
)]
#[derive(Clone)]
pub(super) enum Named {
    Card(Option<FullMerchantcard>),
    Group(Option<CardgroupRow>),
}

impl Named {
    /// `read` if the card was read already (with its transaction), else [`Named::resolve`].
    pub(super) fn read_or_resolve(
        read: Option<Named>,
        tx: &mut dyn Tx,
        merchant_id: &MerchantId,
        ident: &Ident,
        lock: bool,
    ) -> ApiResult<Named> {
        match read {
            Some(named) => Ok(named),
            None => Named::resolve(tx, merchant_id, ident, lock),
        }
    }

    /// Reads what `ident` names; `lock` locks the merchant card for the rest of the unit of work.
    pub(super) fn resolve(
        tx: &mut dyn Tx,
        merchant_id: &MerchantId,
        ident: &Ident,
        lock: bool,
    ) -> ApiResult<Named> {
        Ok(match ident.cardnumber() {
            Some(number) if lock => {
                Named::Card(tx.lock_full_merchantcard_by_number(merchant_id, number)?)
            }
            Some(number) => Named::Card(tx.full_merchantcard_by_number(merchant_id, number)?),
            None => Named::Group(tx.cardgroup(&ident.value.as_str().into())?),
        })
    }

    /// The card group whose currency a transaction must use, if the ident resolves to one.
    pub(super) fn own_group(&self, merchant_id: &MerchantId) -> Option<&CardgroupRow> {
        match self {
            Named::Card(card) => card.as_ref().map(|c| &c.group),
            Named::Group(group) => group.as_ref(),
        }
        .filter(|g| g.merchant_id == merchant_id)
    }

    /// A `create_card` group is valid where it may create cards; a card where it has not expired.
    fn shown(self, merchant_id: &MerchantId, now: i64) -> IdentCard {
        match self {
            Named::Card(card) => IdentCard {
                valid: card
                    .as_ref()
                    .is_some_and(|c| is_valid(&c.merchantcard, now)),
                merchantcard: card,
            },
            Named::Group(group) => IdentCard {
                valid: group
                    .is_some_and(|g| g.merchant_id == merchant_id && g.card_creation_via_stx),
                merchantcard: None,
            },
        }
    }
}

pub(super) fn merchant_name(tx: &mut dyn Tx, merchant_id: &MerchantId) -> ApiResult<String> {
    tx.merchant(merchant_id)?
        .map(|m| m.companyname)
        .ok_or_else(|| ApiError::internal("smart transaction without merchant"))
}

/// The transaction as shown after a command that already holds its merchant's name and, in
/// `first`, what its first ident names; any other ident is read.
pub(super) fn show(
    tx: &mut dyn Tx,
    row: StxRow,
    doc: StxDoc,
    merchant_name: String,
    mut first: Option<Named>,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let mut idents = Vec::with_capacity(doc.idents.len());
    for ident in &doc.idents {
        let named = match first.take() {
            Some(named) => named,
            None => Named::resolve(tx, &row.merchant_id, ident, false)?,
        };
        idents.push(named.shown(&row.merchant_id, now));
    }
    Ok(SmartTransaction {
        row,
        doc,
        merchant_name,
        idents,
    })
}

/// The transaction as shown by a command that holds nothing of what its view shows.
pub(super) fn read_shown(
    tx: &mut dyn Tx,
    row: StxRow,
    doc: StxDoc,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let name = merchant_name(tx, &row.merchant_id)?;
    show(tx, row, doc, name, None, now)
}
