//! The card groups pages (admin, office.md §2 "Card groups"): the merchant's groups, editing a
//! group's bonus programme through the API's own update, and a preview that runs preTransaction's
//! computation (api.md §8.7) on a sample basket with the edited programme, before it is saved.

use loyalpos_domain::basket::Line;
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::{Balances, Plan, plan};
use loyalpos_store::{CardgroupRow, Tx};

use crate::error::{ApiError, ApiResult};
use crate::loyalty::cardgroups::{self, CardgroupPatch};
use crate::loyalty::issue::{DEFAULT_PREFIX, Issued};
use crate::loyalty::own_cardgroup;
use crate::loyalty::rules::{bonus_programme, card_rules};
use crate::office::{OfficeUser, audit};
use crate::operator::{OperatorError, issue_cards};

pub fn groups(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Vec<CardgroupRow>> {
    user.require_admin()?;
    Ok(tx.cardgroups(&user.merchant_id)?)
}

pub fn group(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<CardgroupRow> {
    user.require_admin()?;
    own_cardgroup(tx, &user.principal(), id)
}

/// Cards the office issues at once (a loyalpos rule: the write stays a short job; the CLI's
/// `cards issue` takes larger batches).
pub const MAX_ISSUE: u32 = 1_000;

/// Issues `count` new cards of the group (admin), numbered with `prefix` (the default prefix when
/// empty). The answer carries each card's CSC, which is stored only hashed: the page hands it out
/// once, in the CSV it answers with.
pub fn issue(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    count: &str,
    prefix: &str,
    now: i64,
) -> ApiResult<Vec<Issued>> {
    let group = group(tx, user, id)?;
    let count = count
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|c| (1..=MAX_ISSUE).contains(c))
        .ok_or_else(|| ApiError::bad_request(format!("count: 1 to {MAX_ISSUE} cards")))?;
    let prefix = Some(prefix.trim())
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PREFIX);
    let issued = issue_cards(tx, &group.id, count, prefix, now).map_err(|e| match e {
        OperatorError::Refused(refused) => refused,
        e => ApiError::internal(e.to_string()),
    })?;
    let detail = format!("{count} cards, prefix {prefix}");
    audit(tx, user, "cards_issue", &group.id, &detail, now)?;
    Ok(issued)
}

/// Saves the edit as `PUT /Loyalty/Cardgroups/{id}` does — the currency included, which stays once
/// the group has cards (400/4002); it applies to transactions planned or started afterwards.
pub fn update(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    patch: CardgroupPatch,
    now: i64,
) -> ApiResult<CardgroupRow> {
    user.require_admin()?;
    let row = cardgroups::update(tx, &user.principal(), id, patch)?;
    let detail = format!("currency {}, bonus {}", row.currency, bonus_programme(&row));
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
