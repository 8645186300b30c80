//! Card groups (api.md §11): the programme configuration behind every loyalty rule. The commands
//! serve `POST`/`PUT /Loyalty/Cardgroups` and `loyalpos cardgroup`, so both apply the same
//! validation (§11.1).

use loyalpos_domain::card::{PasscodeAction, passcode_required};
use loyalpos_domain::ids::MerchantId;
use loyalpos_domain::money::{Cents, Currency};
use loyalpos_store::{CardgroupRow, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::own_cardgroup;
use crate::loyalty::rules::{BonusProductJson, card_rules};
use crate::secret::new_id;

/// The configurable fields of a card group (create and update, models.md §3.3). Absent (or
/// `null`) fields keep their value; inside `bonus` the same holds recursively, and a present array
/// replaces the old one. `merchant`, `display_name_raw` and the constant fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CardgroupPatch {
    pub display_name: Option<String>,
    pub picture: Option<String>,
    pub stock_warn_limit: Option<i64>,
    pub description: Option<String>,
    pub cancel_selected: Option<bool>,
    pub currency: Option<String>,
    pub bonus: Option<BonusPatch>,
    pub overdraft_allowed: Option<bool>,
    pub overdraft_limit: Option<i64>,
    pub passcode_policy: Option<i64>,
    pub card_creation_via_stx: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BonusPatch {
    pub rate: Option<i64>,
    pub base: Option<String>,
    pub filter: Option<FilterPatch>,
    pub products: Option<Vec<BonusProductJson>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterPatch {
    pub mode: Option<String>,
    pub codes: Option<Vec<String>>,
}

impl CardgroupPatch {
    /// Writes the present fields into `row` and validates the result (§11.1: 4001, a bad currency
    /// code 4002). The currency rule that needs the database is `reconfigure`'s.
    fn apply(self, row: &mut CardgroupRow) -> ApiResult<()> {
        if let Some(name) = self.display_name {
            if name.trim().is_empty() {
                return Err(ApiError::bad_request("display_name: must not be empty"));
            }
            row.display_name = name;
        }
        if let Some(currency) = self.currency {
            row.currency = Currency::parse(&currency)?.as_str().to_owned();
        }
        set(&mut row.picture, self.picture.map(Some));
        set(&mut row.stock_warn_limit, self.stock_warn_limit);
        set(&mut row.description, self.description.map(Some));
        set(&mut row.cancel_selected, self.cancel_selected);
        set(&mut row.overdraft_allowed, self.overdraft_allowed);
        set(&mut row.overdraft_limit, self.overdraft_limit.map(Cents));
        set(&mut row.passcode_policy, self.passcode_policy);
        set(&mut row.card_creation_via_stx, self.card_creation_via_stx);
        if let Some(bonus) = self.bonus {
            bonus.apply(row);
        }
        card_rules(row)?;
        Ok(())
    }
}

impl BonusPatch {
    fn apply(self, row: &mut CardgroupRow) {
        set(&mut row.bonus_rate, self.rate);
        set(&mut row.bonus_base, self.base);
        if let Some(filter) = self.filter {
            set(&mut row.filter_mode, filter.mode);
            if let Some(codes) = filter.codes {
                row.filter_codes = json!(codes).to_string();
            }
        }
        if let Some(products) = self.products {
            row.bonus_products = json!(products).to_string();
        }
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// A new card group of `merchant_id` (`display_name` required), written in this unit of work.
/// The API passes the caller's merchant, `loyalpos cardgroup create` the operator's choice.
pub fn create(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    patch: CardgroupPatch,
    now: i64,
) -> ApiResult<CardgroupRow> {
    tx.merchant(merchant_id)?
        .ok_or_else(|| ApiError::not_found("general.merchants", merchant_id))?;
    let row = new_cardgroup(merchant_id, now, patch)?;
    tx.insert_cardgroup(&row)?;
    Ok(row)
}

fn new_cardgroup(
    merchant_id: &MerchantId,
    now: i64,
    patch: CardgroupPatch,
) -> ApiResult<CardgroupRow> {
    if patch.display_name.is_none() {
        return Err(ApiError::bad_request("display_name: missing field"));
    }
    let mut row = CardgroupRow {
        id: new_id("CRG").into(),
        merchant_id: merchant_id.to_owned(),
        display_name: String::new(),
        picture: None,
        stock_warn_limit: 0,
        description: None,
        cancel_selected: false,
        currency: Currency::eur().as_str().to_owned(),
        bonus_rate: 0,
        bonus_base: "full".into(),
        filter_mode: "none".into(),
        filter_codes: "[]".into(),
        bonus_products: "[]".into(),
        overdraft_allowed: false,
        overdraft_limit: Cents::ZERO,
        passcode_policy: 0,
        card_creation_via_stx: false,
        created: now,
    };
    patch.apply(&mut row)?;
    Ok(row)
}

/// Updates a card group of the caller's merchant.
pub fn update(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    patch: CardgroupPatch,
) -> ApiResult<CardgroupRow> {
    let row = own_cardgroup(tx, caller, id)?;
    reconfigure(tx, row, patch)
}

/// Applies an update to a stored card group and writes it: §11.1 validation, and the currency
/// stays once the group has merchant cards (400/4002). Changes apply to transactions started
/// afterwards. `loyalpos cardgroup update` calls this with the group it read by id.
pub fn reconfigure(
    tx: &mut dyn Tx,
    mut row: CardgroupRow,
    patch: CardgroupPatch,
) -> ApiResult<CardgroupRow> {
    let before = row.currency.clone();
    patch.apply(&mut row)?;
    if row.currency != before && tx.cardgroup_has_cards(&row.id)? {
        return Err(ApiError::new(
            Code::BadAmount,
            format!("currency: the card group has cards in {before}; its currency cannot change"),
        ));
    }
    tx.update_cardgroup(&row)?;
    Ok(row)
}

/// The group as `patch` would make it, validated as an update is, without writing it (the back
/// office's preview of an edited programme).
pub fn patched(mut row: CardgroupRow, patch: CardgroupPatch) -> ApiResult<CardgroupRow> {
    patch.apply(&mut row)?;
    Ok(row)
}

/// `checkPasscodeEnabled`: the group's policy guards `action` (or, without one, any passcode check
/// is configured). A merchant card's `passcode` always equals its group's `passcode_policy`, so
/// the card number a request may name does not change the answer.
pub fn passcode_enabled(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    action: Option<PasscodeAction>,
) -> ApiResult<bool> {
    let group = own_cardgroup(tx, caller, id)?;
    Ok(passcode_required(group.passcode_policy, action))
}
