//! Loyalty/Cardgroups (api.md §11): the programme configuration behind every loyalty rule. The
//! row ↔ configuration logic here is shared by the HTTP handlers and `loyalpos cardgroup`.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_domain::card::{CardNumber, PasscodeAction, passcode_required};
use loyalpos_domain::money::Currency;
use loyalpos_store::{CardgroupRow, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, Req, ok_json};
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::list;
use crate::loyalty::views::cardgroup_view;
use crate::loyalty::{list_plan, own_cardgroup};
use crate::loyalty_rules::{BonusProductJson, card_rules};
use crate::secret::new_id;
use crate::tenancy::own_merchant;

const MAIN_FIELDS: &[&str] = &["id", "display_name"];

/// The configurable fields of a card group (create and update DTO, models.md §3.3). Absent (or
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
    /// code 4002). The currency rule that needs the database is `change_cardgroup`'s.
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
        set(&mut row.overdraft_limit, self.overdraft_limit);
        set(&mut row.passcode_policy, self.passcode_policy);
        set(&mut row.card_creation_via_stx, self.card_creation_via_stx);
        if let Some(bonus) = self.bonus {
            set(&mut row.bonus_rate, bonus.rate);
            set(&mut row.bonus_base, bonus.base);
            if let Some(filter) = bonus.filter {
                set(&mut row.filter_mode, filter.mode);
                if let Some(codes) = filter.codes {
                    row.filter_codes = json!(codes).to_string();
                }
            }
            if let Some(products) = bonus.products {
                row.bonus_products = json!(products).to_string();
            }
        }
        card_rules(row)?;
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// A new card group of `merchant_id` from a create DTO (`display_name` required).
pub fn new_cardgroup(
    merchant_id: &str,
    now: i64,
    patch: CardgroupPatch,
) -> ApiResult<CardgroupRow> {
    if patch.display_name.is_none() {
        return Err(ApiError::bad_request("display_name: missing field"));
    }
    let mut row = CardgroupRow {
        id: new_id("CRG"),
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
        overdraft_limit: 0,
        passcode_policy: 0,
        card_creation_via_stx: false,
        created: now,
    };
    patch.apply(&mut row)?;
    Ok(row)
}

/// Applies an update to a stored card group: §11.1 validation, and the currency stays once the group
/// has merchant cards (400/4002). Changes apply to transactions started afterwards.
pub async fn change_cardgroup(
    tx: &mut dyn Tx,
    row: &mut CardgroupRow,
    patch: CardgroupPatch,
) -> ApiResult<()> {
    let before = row.currency.clone();
    patch.apply(row)?;
    if row.currency != before && tx.cardgroup_has_cards(&row.id).await? {
        return Err(ApiError::new(
            Code::BadAmount,
            format!("currency: the card group has cards in {before}; its currency cannot change"),
        ));
    }
    Ok(())
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CARDGROUPS)?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_cardgroups(&req.caller().merchant_id, plan.query())
        .await?;
    let items = found.rows.iter().map(cardgroup_view).collect();
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_cardgroup(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&cardgroup_view(&row))
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CardgroupPatch = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let merchant = own_merchant(&mut *tx, req.caller()).await?;
    let row = new_cardgroup(&merchant.id, app.clock.now(), patch)?;
    tx.insert_cardgroup(&row).await?;
    tx.commit().await?;
    ok_json(&cardgroup_view(&row))
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CardgroupPatch = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut row = own_cardgroup(&mut *tx, req.caller(), req.param(0)).await?;
    change_cardgroup(&mut *tx, &mut row, patch).await?;
    tx.update_cardgroup(&row).await?;
    tx.commit().await?;
    ok_json(&cardgroup_view(&row))
}

#[derive(Deserialize)]
struct CheckPasscodeEnabledDto {
    action: Option<String>,
    cardnumber: Option<String>,
}

/// `result` = the policy guards `action` (or, without one, any passcode check is configured).
/// A merchant card's `passcode` always equals its group's `passcode_policy`, so a `cardnumber` of
/// this group and no card number at all ask the same question; the number is only format-checked.
pub async fn check_passcode_enabled(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckPasscodeEnabledDto = json::body(&req.body)?;
    let action = dto
        .action
        .as_deref()
        .map(PasscodeAction::parse)
        .transpose()?;
    if let Some(n) = dto.cardnumber.as_deref() {
        CardNumber::parse(n)?;
    }
    let mut tx = app.store.read().await?;
    let group = own_cardgroup(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&json!({"result": passcode_required(group.passcode_policy, action)}))
}
