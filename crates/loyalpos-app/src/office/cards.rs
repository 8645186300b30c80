//! The cards pages (office.md §2 "Cards", "Card"): search, the card with its ledger, and the
//! changes a page makes to a card — each through the API's own command, with an audit entry.

use loyalpos_domain::direct::DirectAction;
use loyalpos_store::{CardSearch, CardgroupRow, LtxRow, Tx};
use serde_json::{Map, Value, json};

use crate::direct::{DirectTransaction, Movement, cancel_booking as cancel_ltx, transact};
use crate::error::{ApiError, ApiResult};
use crate::loyalty::Merchantcard;
use crate::loyalty::ledger;
use crate::loyalty::locate::CardAddress;
use crate::loyalty::merchantcards::{self, page_with_parts};
use crate::loyalty::security::{LockChange, LockReason, set_lock};
use crate::office::{OfficeUser, audit};

/// Cards on one page of the search.
pub const CARDS_PAGE: i64 = 25;

/// What a search text asks for: a whole card number, its last digits (at least 4), or else a
/// customer (number, name or e-mail); nothing lists every card.
pub fn parse_search(text: &str) -> CardSearch {
    let text = text.trim();
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    match (text.is_empty(), all_digits, digits.len()) {
        (true, _, _) => CardSearch::All,
        (false, true, 16) => CardSearch::Number(digits),
        (false, true, 4..=15) => CardSearch::NumberEnding(digits),
        _ => CardSearch::Customer(text.to_owned()),
    }
}

/// One page of the search result; `more` tells whether another page follows.
#[derive(Debug, Clone)]
pub struct CardsPage {
    pub cards: Vec<Merchantcard>,
    pub more: bool,
}

/// Page `page` (from 0) of the merchant's cards matching `text`, newest first. Only the page (and
/// one row more, to know whether another follows) is read.
pub fn search(tx: &mut dyn Tx, user: &OfficeUser, text: &str, page: u32) -> ApiResult<CardsPage> {
    let offset = i64::from(page) * CARDS_PAGE;
    let mut rows = tx.search_merchantcards(
        &user.merchant_id,
        &parse_search(text),
        offset,
        CARDS_PAGE + 1,
    )?;
    let more = rows.len() as i64 > CARDS_PAGE;
    rows.truncate(CARDS_PAGE as usize);
    Ok(CardsPage {
        cards: page_with_parts(tx, rows)?,
        more,
    })
}

/// A card page: the card, its ledger (newest first) and the groups it may move to.
#[derive(Debug, Clone)]
pub struct CardDetail {
    pub card: Merchantcard,
    pub ledger: Vec<LedgerEntry>,
    pub groups: Vec<CardgroupRow>,
}

/// One loyalty transaction of the card, and whether it may be cancelled now (api.md §8.10).
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub ltx: LtxRow,
    pub cancellable: bool,
}

pub fn card(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<CardDetail> {
    let card = merchantcards::get(tx, &user.principal(), id)?;
    let history = tx.ltxs_of_card(&card.row.id)?;
    let cancellable = ledger::cancellable(&history, &card.parts.group)?;
    let mut ledger: Vec<LedgerEntry> = history
        .into_iter()
        .zip(cancellable)
        .map(|(ltx, cancellable)| LedgerEntry { ltx, cancellable })
        .collect();
    ledger.reverse();
    let groups = tx.cardgroups(&user.merchant_id)?;
    Ok(CardDetail {
        card,
        ledger,
        groups,
    })
}

fn address(id: &str) -> CardAddress {
    CardAddress {
        path: id.to_owned(),
        cardnumber: None,
    }
}

/// Locks the card with a documented reason (`lockReasons`), as `POST …/lock` does.
pub fn lock(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    reason: Option<i64>,
    note: Option<String>,
    now: i64,
) -> ApiResult<()> {
    let reason = LockReason::parse(reason)?;
    let note = note.filter(|n| !n.trim().is_empty());
    let change = LockChange {
        reason: Some(reason),
        note: note.clone(),
        csc: None,
    };
    let card = set_lock(tx, &user.principal(), &address(id), change, now)?;
    let detail = format!(
        "reason {}{}",
        reason.value(),
        note.map(|n| format!(": {n}")).unwrap_or_default()
    );
    audit(tx, user, "card_lock", &card.row.id, &detail, now)?;
    Ok(())
}

pub fn unlock(tx: &mut dyn Tx, user: &OfficeUser, id: &str, now: i64) -> ApiResult<()> {
    let change = LockChange {
        reason: None,
        note: None,
        csc: None,
    };
    let card = set_lock(tx, &user.principal(), &address(id), change, now)?;
    audit(tx, user, "card_unlock", &card.row.id, "", now)?;
    Ok(())
}

/// Moves the card to another card group of the merchant (same currency).
pub fn move_to_group(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    cardgroup_id: &str,
    now: i64,
) -> ApiResult<()> {
    let card = merchantcards::move_to_cardgroup(tx, &user.principal(), id, cardgroup_id, now)?;
    audit(tx, user, "card_move", &card.row.id, cardgroup_id, now)?;
    Ok(())
}

/// What a correction booking does to the card's balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// Loads the amount onto the cash balance (like `loadMerchantCard`).
    Load,
    /// Takes the amount off the cash balance (like `chargeMerchantCard`).
    Discharge,
    /// Credits the amount to the bonus balance.
    BonusCredit,
    /// Takes the amount off the bonus balance (never below 0).
    BonusDebit,
}

impl Correction {
    pub fn parse(s: &str) -> ApiResult<Correction> {
        match s {
            "load" => Ok(Correction::Load),
            "discharge" => Ok(Correction::Discharge),
            "bonus_credit" => Ok(Correction::BonusCredit),
            "bonus_debit" => Ok(Correction::BonusDebit),
            _ => Err(ApiError::bad_request(
                "kind: must be load, discharge, bonus_credit or bonus_debit",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Correction::Load => "load",
            Correction::Discharge => "discharge",
            Correction::BonusCredit => "bonus_credit",
            Correction::BonusDebit => "bonus_debit",
        }
    }

    /// The movement booking `amount` (cents, > 0) this way.
    fn movement(self, amount: Option<i64>) -> ApiResult<Movement> {
        let bonus = |sign: i64| match amount {
            Some(a) if a > 0 => Ok(Movement::BonusCorrection { change: sign * a }),
            Some(_) => Err(ApiError::bad_request("amount: must be greater than 0")),
            None => Err(ApiError::bad_request("amount: missing field")),
        };
        match self {
            Correction::Load => Movement::parse(DirectAction::Charge, amount),
            Correction::Discharge => Movement::parse(DirectAction::Discharge, amount),
            Correction::BonusCredit => bonus(1),
            Correction::BonusDebit => bonus(-1),
        }
    }
}

/// A correction booking (admin): a ledger booking with TA code and receipt, made by the direct
/// transaction's command; the mandatory text and the user are kept in its `additional_data`.
pub fn correct(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    correction: Correction,
    amount: Option<i64>,
    text: &str,
    now: i64,
) -> ApiResult<LtxRow> {
    user.require_admin()?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::bad_request("text: a correction needs a text"));
    }
    let request = DirectTransaction {
        address: address(id),
        target: id.to_owned(),
        movement: correction.movement(amount)?,
        amount_split_allowed: false,
        store_id: None,
        tid: None,
        additional_data: Some(correction_data(user, text)),
    };
    let booked = transact(tx, &user.principal(), request, now)?;
    let detail = format!(
        "{} {} TA {}: {text}",
        correction.as_str(),
        booked.amount,
        booked.ltx.trans_id
    );
    audit(
        tx,
        user,
        "card_correction",
        &booked.card.row.id,
        &detail,
        now,
    )?;
    Ok(booked.ltx)
}

/// Cancels one booking of the card (storno, api.md §8.10's rules), with an audit entry.
pub fn cancel_booking(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    ltx_id: &str,
    now: i64,
) -> ApiResult<LtxRow> {
    let booked = cancel_ltx(tx, &user.principal(), id, ltx_id, now)?;
    let detail = format!("{ltx_id} cancelled by TA {}", booked.ltx.trans_id);
    audit(
        tx,
        user,
        "booking_cancel",
        &booked.card.row.id,
        &detail,
        now,
    )?;
    Ok(booked.ltx)
}

fn correction_data(user: &OfficeUser, text: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({"correction": text, "office_user": user.username}) else {
        unreachable!("a JSON object literal")
    };
    map
}
