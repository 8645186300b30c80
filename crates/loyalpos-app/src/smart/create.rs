//! Creating and replacing a smart transaction (api.md §8.4, §8.6): where it is placed (device,
//! store, contract) and in which currency.

use loyalpos_domain::basket::validate_amounts;
use loyalpos_domain::ids::MerchantId;
use loyalpos_domain::money::{Cents, Currency};
use loyalpos_domain::status::{Action, StxStatus, check};
use loyalpos_store::{CardgroupRow, DeviceRow, MerchantRow, StxRow, Tx};

use super::doc::{BasketLine, StxDoc};
use super::shown::{Named, SmartTransaction, merchant_name, show};
use super::{find, save};
use crate::caller::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult, Code};
use crate::events;
use crate::loyalty::rules::{BonusProductJson, bonus_products};
use crate::secret::new_id;
use crate::tenancy::{own_contract, own_device, own_merchant};

/// A smart transaction as the register sent it, parsed: the client part of the document and the
/// references that need the database.
pub struct NewStx {
    pub doc: StxDoc,
    /// `basket_info.currency`, if sent (the default depends on the card's group).
    pub currency: Option<String>,
    pub contract: Option<String>,
    pub device_source: Option<String>,
}

pub fn create(
    tx: &mut dyn Tx,
    caller: &Principal,
    input: NewStx,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let (merchant, device) = placement(tx, caller, input.device_source.as_deref())?;
    let mut doc = input.doc;
    doc.contract_id = match input.contract.as_deref() {
        Some(id) => Some(own_contract(tx, caller, id)?.id),
        None => device
            .as_ref()
            .and_then(|d| d.contract_id.clone())
            .or_else(|| merchant.default_contract_id.clone()),
    };
    check_amounts(&doc)?;
    refuse_bonus_products(tx, &merchant.id, &doc.lines)?;
    doc.store_id = device
        .as_ref()
        .map(|d| d.store_id.clone())
        .or_else(|| merchant.default_store_id.clone());
    let named = resolve_first(tx, &merchant.id, &doc)?;
    doc.currency = currency(
        named.as_ref().and_then(|n| n.own_group(&merchant.id)),
        input.currency.as_deref(),
    )?;
    let row = StxRow {
        id: new_id("STX").into(),
        merchant_id: merchant.id,
        status: StxStatus::Created,
        device_id: device.map(|d| d.id),
        receipt_number: None,
        trans_id: None,
        merchant_ref: doc.merchant_ref.clone(),
        transaction_ref: doc.transaction_ref.clone(),
        cardnumber: doc.cardnumber().map(str::to_owned),
        doc: doc.to_json(),
        created: now,
        updated: None,
    };
    tx.insert_stx(&row)?;
    events::stx_added(tx, &row, now);
    show(tx, row, doc, merchant.companyname, named, now)
}

/// PUT: a new client part; merchant, contract, device, store and creation time are kept silently.
pub fn replace(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    input: NewStx,
    now: i64,
) -> ApiResult<SmartTransaction> {
    let (mut row, old) = find(tx, caller, id, true)?;
    check(&Action::Put, row.status, None)?;
    let mut doc = input.doc;
    check_amounts(&doc)?;
    drop_sent_back_bonus_lines(&mut doc, &old)?;
    refuse_bonus_products(tx, &row.merchant_id, &doc.lines)?;
    doc.contract_id = old.contract_id;
    doc.store_id = old.store_id;
    doc.device_destination_id = old.device_destination_id;
    let named = resolve_first(tx, &row.merchant_id, &doc)?;
    doc.currency = currency(
        named.as_ref().and_then(|n| n.own_group(&row.merchant_id)),
        input.currency.as_deref(),
    )?;
    row.status = StxStatus::Created;
    save(tx, &mut row, &doc, now)?;
    let name = merchant_name(tx, &row.merchant_id)?;
    show(tx, row, doc, name, named, now)
}

/// The basket's amounts, after the objects were found and the status allows the change (api.md
/// §1.7: 404 and 409/4101 come before 400/4002).
fn check_amounts(doc: &StxDoc) -> ApiResult<()> {
    let lines: Vec<_> = doc.lines.iter().map(|l| l.domain(false)).collect();
    validate_amounts(&lines, doc.sum)?;
    Ok(())
}

/// A register that GETs after preTransaction and PUTs the whole transaction sends the bonus lines
/// back (api.md §8.6, correction 2026-12): a line equal to one of the current bonus lines is
/// dropped, and `basket_info.sum` with it, so the card is applied again by preTransaction.
fn drop_sent_back_bonus_lines(doc: &mut StxDoc, old: &StxDoc) -> ApiResult<()> {
    let Some(plan) = &old.plan else {
        return Ok(());
    };
    let (bonus, kept): (Vec<BasketLine>, Vec<BasketLine>) = std::mem::take(&mut doc.lines)
        .into_iter()
        .partition(|l| plan.bonus_lines.iter().any(|b| same_bonus_line(l, b)));
    let dropped = Cents::checked_sum(
        bonus
            .iter()
            .map(|l| l.domain(true).amount())
            .collect::<Result<Vec<_>, _>>()?,
    )?;
    doc.sum = doc.sum.checked_sub(dropped)?;
    doc.lines = kept;
    Ok(())
}

/// The fields by which the contract recognises a bonus line sent back.
fn same_bonus_line(sent: &BasketLine, bonus: &BasketLine) -> bool {
    sent.id == bonus.id
        && sent.desc == bonus.desc
        && sent.article_number == bonus.article_number
        && sent.ean == bonus.ean
        && sent.price_one == bonus.price_one
        && sent.tax == bonus.tax
}

/// A negative line with the article number or EAN of a bonus product of one of the merchant's card
/// groups is refused (400/4002): a discount paid for by the card must not reach the till without
/// the card being debited. Other negative lines (coupons) stay allowed.
fn refuse_bonus_products(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    lines: &[BasketLine],
) -> ApiResult<()> {
    if lines.iter().all(|l| l.price_one >= Cents(0)) {
        return Ok(());
    }
    let products: Vec<BonusProductJson> = tx
        .cardgroups(merchant_id)?
        .iter()
        .flat_map(bonus_products)
        .collect();
    let names_product = |l: &BasketLine, p: &BonusProductJson| {
        let article = l.article_number.as_deref().filter(|a| !a.is_empty());
        let ean = Some(l.ean.as_str()).filter(|e| !e.is_empty());
        (article.is_some() && article == p.article_number.as_deref())
            || (ean.is_some() && ean == p.ean.as_deref())
    };
    for (i, line) in lines.iter().enumerate() {
        if line.price_one < Cents(0) && products.iter().any(|p| names_product(line, p)) {
            return Err(ApiError::new(
                Code::BadAmount,
                format!("basket.products[{i}]: bonus lines are added by preTransaction only"),
            ));
        }
    }
    Ok(())
}

/// The caller's merchant and the transaction's device (api.md §4, §8.4): a device token's own
/// device, else the `device_source` sent, which must be the merchant's.
fn placement(
    tx: &mut dyn Tx,
    caller: &Principal,
    device_source: Option<&str>,
) -> ApiResult<(MerchantRow, Option<DeviceRow>)> {
    let merchant = own_merchant(tx, caller)?;
    let device_id = match (caller.kind, &caller.device_id, device_source) {
        (TokenKind::Device, Some(own), _) => Some(own.as_str()),
        (_, _, sent) => sent,
    };
    let device = device_id.map(|id| own_device(tx, caller, id)).transpose()?;
    Ok((merchant, device))
}

fn resolve_first(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    doc: &StxDoc,
) -> ApiResult<Option<Named>> {
    doc.card_ident()
        .map(|ident| Named::resolve(tx, merchant_id, ident, false))
        .transpose()
}

/// `basket_info.currency`: as sent (ISO 4217), else the card group's, else EUR; must equal the group's.
fn currency(group: Option<&CardgroupRow>, sent: Option<&str>) -> ApiResult<String> {
    let sent = sent.map(Currency::parse).transpose()?;
    match (sent, group) {
        (Some(s), Some(g)) if s.as_str() != g.currency => Err(ApiError::new(
            Code::BadAmount,
            format!(
                "basket_info.currency {} differs from the card group's currency {}",
                s.as_str(),
                g.currency
            ),
        )),
        (Some(s), _) => Ok(s.as_str().to_owned()),
        (None, Some(g)) => Ok(g.currency.clone()),
        (None, None) => Ok("EUR".into()),
    }
}
