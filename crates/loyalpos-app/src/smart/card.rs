//! The card a preTransaction or start works on (api.md §8.7, §8.8): valid (4201), unlocked (4202),
//! in the transaction's currency (4002).

use loyalpos_domain::DomainError;
use loyalpos_domain::ids::MerchantId;
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::Balances;
use loyalpos_domain::program::CardRules;
use loyalpos_store::{CardgroupRow, FullMerchantcard};

use super::doc::Ident;
use super::shown::Named;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::ledger::{balances_of, check_usable};
use crate::loyalty::rules::card_rules;

/// Who is booked: an existing merchant card, or a card still to be issued in a group
/// (`create_card`, issued at start).
#[allow(
    clippy::large_enum_variant,
    reason = "one per command, never stored in bulk"
)]
pub(super) enum Holder {
    Card(FullMerchantcard),
    New(CardgroupRow),
}

pub(super) struct CardContext {
    pub holder: Holder,
    pub rules: CardRules,
    pub balances: Balances,
}

impl CardContext {
    fn group(&self) -> &CardgroupRow {
        match &self.holder {
            Holder::Card(card) => &card.group,
            Holder::New(group) => group,
        }
    }
}

/// Checks what `ident` named and turns it into the card to book on.
pub(super) fn card_context(
    named: Named,
    ident: &Ident,
    merchant_id: &MerchantId,
    currency: &str,
    now: i64,
) -> ApiResult<CardContext> {
    let ctx = match named {
        Named::Card(card) => {
            let number = ident.cardnumber().unwrap_or_default();
            let card = card.ok_or_else(|| {
                DomainError::CardInvalid(format!("card {number} is unknown here"))
            })?;
            check_usable(&card.merchantcard, number, now)?;
            CardContext {
                balances: balances_of(&card.merchantcard),
                rules: card_rules(&card.group)?,
                holder: Holder::Card(card),
            }
        }
        Named::Group(group) => {
            let group = group
                .filter(|g| g.merchant_id == merchant_id && g.card_creation_via_stx)
                .ok_or_else(|| {
                    DomainError::CardInvalid(format!(
                        "card group {} cannot create cards",
                        ident.value
                    ))
                })?;
            CardContext {
                balances: Balances {
                    cash: Cents::ZERO,
                    bonus: Cents::ZERO,
                    points: 0,
                },
                rules: card_rules(&group)?,
                holder: Holder::New(group),
            }
        }
    };
    if ctx.group().currency != currency {
        return Err(ApiError::new(
            Code::BadAmount,
            "the transaction's currency differs from the card group's",
        ));
    }
    Ok(ctx)
}
