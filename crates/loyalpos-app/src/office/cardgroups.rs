//! The card groups pages (admin, office.md §2 "Card groups"): the merchant's groups, editing a
//! group's bonus programme through the API's own update, and a preview that runs preTransaction's
//! computation (api.md §8.7) on a sample basket with the edited programme, before it is saved.

use loyalpos_domain::basket::Line;
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::{Balances, Plan, plan};
use loyalpos_store::{CardgroupRow, Tx};

use crate::error::ApiResult;
use crate::loyalty::cardgroups::{self, CardgroupPatch};
use crate::loyalty::own_cardgroup;
use crate::loyalty::rules::{bonus_programme, card_rules};
use crate::office::{OfficeUser, audit};

pub fn groups(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Vec<CardgroupRow>> {
    user.require_admin()?;
    Ok(tx.cardgroups(&user.merchant_id)?)
}

pub fn group(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<CardgroupRow> {
    user.require_admin()?;
    own_cardgroup(tx, &user.principal(), id)
}

/// Saves the edit as `PUT /Loyalty/Cardgroups/{id}` does; it applies to transactions planned or
/// started afterwards.
pub fn update(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    patch: CardgroupPatch,
    now: i64,
) -> ApiResult<CardgroupRow> {
    user.require_admin()?;
    let row = cardgroups::update(tx, &user.principal(), id, patch)?;
    let detail = bonus_programme(&row).to_string();
    audit(tx, user, "cardgroup_update", &row.id, &detail, now)?;
    Ok(row)
}

/// A sample sale for the preview: the basket and the card's balances.
#[derive(Debug, Clone)]
pub struct Sample {
    pub lines: Vec<Line>,
    pub cash: i64,
    pub bonus: i64,
}

/// What preTransaction would answer for the sample with the edited (unsaved) programme: the bonus
/// lines per VAT rate and `missing_sum`.
pub fn preview(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    patch: CardgroupPatch,
    sample: &Sample,
) -> ApiResult<(CardgroupRow, Plan)> {
    let row = group(tx, user, id)?;
    let edited = cardgroups::patched(row, patch)?;
    let rules = card_rules(&edited)?;
    let balances = Balances {
        cash: Cents::safe(sample.cash)?,
        bonus: Cents::safe(sample.bonus)?,
        points: 0,
    };
    let planned = plan(&sample.lines, &balances, &rules)?;
    Ok((edited, planned))
}
