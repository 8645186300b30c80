//! The ledger service: every balance change is one loyalty transaction (LTX) with its bookings,
//! written in the caller's unit of work together with the card's balance cache. Callers lock the
//! merchant card first (`Tx::lock_merchantcard`), so changes to one card are serialised.

use loyalpos_domain::DomainError;
use loyalpos_domain::booking::{Booking, BookingType, LtxStatus, apply, money_change};
use loyalpos_domain::card::LockStatus;
use loyalpos_domain::money::{Cents, Currency};
use loyalpos_domain::plan::Balances;
use loyalpos_domain::receipt::{
    ReceiptFigures, ReceiptLine, bonus_correction_receipt, bonus_correction_storno_receipt,
    booking_receipt, points_receipt, points_storno_receipt, storno_receipt,
};
use loyalpos_domain::reversal::{LtxState, check_cancellable, reverse};
use loyalpos_domain::settle::LtxDescription;
use loyalpos_store::{
    BookingRow, CardRow, CardgroupRow, LtxId, LtxRow, MerchantcardId, MerchantcardRow, StoreId,
    StxId, Tx,
};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::event_objects::EventObject;
use crate::events;
use crate::loyalty::receipt_text;
use crate::loyalty::rules::card_rules;
use crate::loyalty::transactions::Ltx;
use crate::secret::new_id;

/// How an LTX's receipt is printed — kept with the LTX so its cancellation can print the mirror image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "layout", rename_all = "snake_case")]
pub enum Layout {
    Booking {
        load_only: bool,
        paid_by_card: i64,
        load: i64,
        revenue: i64,
        bonus_collected: i64,
    },
    Points {
        charged: bool,
        amount: i64,
    },
    /// A bonus correction; `change` is signed.
    Bonus {
        change: i64,
    },
}

/// One loyalty transaction to be written.
pub struct Posting {
    pub bookings: Vec<Booking>,
    pub description: LtxDescription,
    pub revenue: Cents,
    pub layout: Layout,
    pub store_id: Option<StoreId>,
    pub tid: Option<String>,
    pub purpose: Option<String>,
    pub additional_data: Option<String>,
    pub smart_transaction_id: Option<StxId>,
    /// A reserved id (demo) instead of a fresh one.
    pub ltx_id: Option<LtxId>,
}

pub fn balances_of(card: &MerchantcardRow) -> Balances {
    Balances {
        cash: card.cash_balance,
        bonus: card.bonus_balance,
        points: card.points,
    }
}

fn set_balances(card: &mut MerchantcardRow, b: &Balances) {
    card.cash_balance = b.cash;
    card.bonus_balance = b.bonus;
    card.points = b.points;
}

fn receipt_lines(
    layout: &Layout,
    cardnumber: &str,
    ta: i64,
    after: &Balances,
    currency: &Currency,
) -> ApiResult<Vec<ReceiptLine>> {
    Ok(match layout {
        Layout::Booking {
            load_only,
            paid_by_card,
            load,
            revenue,
            bonus_collected,
        } => booking_receipt(&ReceiptFigures {
            load_only: *load_only,
            card_number: cardnumber.to_owned(),
            ta_code: ta,
            paid_by_card: Cents(*paid_by_card),
            load: Cents(*load),
            revenue: Cents(*revenue),
            bonus_collected: Cents(*bonus_collected),
            balance_after: after.balance()?,
            currency: currency.clone(),
        }),
        Layout::Points { charged, amount } => {
            points_receipt(cardnumber, ta, *charged, *amount, after.points)
        }
        Layout::Bonus { change } => {
            bonus_correction_receipt(cardnumber, ta, Cents(*change), after.balance()?, currency)
        }
    })
}

/// Writes the posting as a new LTX on the (locked) card `card` of `card_row`; returns the LTX and
/// its receipt.
pub fn post(
    tx: &mut dyn Tx,
    now: i64,
    card: &mut MerchantcardRow,
    group: &CardgroupRow,
    card_row: &CardRow,
    posting: Posting,
) -> ApiResult<(LtxRow, Vec<ReceiptLine>)> {
    let cardnumber = card_row.cardnumber.as_str();
    let currency = Currency::parse(&group.currency)?;
    let before = balances_of(card);
    let after = apply(&before, &posting.bookings)?;
    let ta = tx.next_ta_code()?;
    let receipt = receipt_lines(&posting.layout, cardnumber, ta, &after, &currency)?;
    let id = posting.ltx_id.unwrap_or_else(|| new_id("LTX").into());
    let loaded = posting
        .bookings
        .iter()
        .any(|b| b.kind == BookingType::Charge && b.amount > 0);
    let row = LtxRow {
        id: id.clone(),
        merchant_id: card.merchant_id.clone(),
        merchantcard_id: card.id.clone(),
        cardgroup_id: group.id.clone(),
        store_id: posting.store_id,
        trans_id: ta,
        tid: posting.tid,
        status: LtxStatus::Ok,
        amount: money_change(&posting.bookings)?,
        currency: currency.as_str().to_owned(),
        balance: after.balance()?,
        description: posting.description.as_str().into(),
        purpose: posting.purpose,
        additional_data: posting.additional_data,
        receipt: receipt_text(&receipt),
        figures: Some(
            serde_json::to_string(&posting.layout)
                .map_err(|e| ApiError::internal(e.to_string()))?,
        ),
        is_cancelling: false,
        revenue: posting.revenue,
        smart_transaction_id: posting.smart_transaction_id,
        parent_id: None,
        child_id: None,
        created: now,
        last_change: now,
    };
    let bookings = booking_rows(&id, &card.id, &posting.bookings);
    tx.insert_ltx(&row, &bookings)?;
    set_balances(card, &after);
    card.last_usage = Some(now);
    if loaded {
        card.last_charge = Some(now);
    }
    tx.update_merchantcard_balances(card)?;
    events::ltx_added(tx, &row, now);
    events::merchantcard_changed(tx, card, now);
    events::carry(tx, events::LOYALTY_TRANSACTIONS, &row.id, || {
        EventObject::LoyaltyTransaction(Box::new(Ltx {
            row: row.clone(),
            card: card_row.clone(),
            group: group.clone(),
            parent: None,
            child: None,
            bookings,
        }))
    });
    Ok((row, receipt))
}

fn booking_rows(ltx_id: &LtxId, card_id: &MerchantcardId, bookings: &[Booking]) -> Vec<BookingRow> {
    bookings
        .iter()
        .enumerate()
        .map(|(seq, b)| BookingRow {
            ltx_id: ltx_id.clone(),
            seq: seq as i64,
            merchantcard_id: card_id.clone(),
            kind: b.kind,
            balance_kind: b.balance,
            amount: b.amount,
        })
        .collect()
}

fn domain_bookings(rows: &[BookingRow]) -> Vec<Booking> {
    rows.iter()
        .map(|r| Booking::new(r.kind, r.balance_kind, r.amount))
        .collect()
}

fn state_of(l: &LtxRow) -> LtxState {
    LtxState {
        is_opening: l.figures.is_none() && !l.is_cancelling,
        is_cancelling: l.is_cancelling,
        cancelled: l.status == LtxStatus::Cancelled,
    }
}

/// The card's most recent cancellable LTX (`cancel_last`), if any.
pub fn last_cancellable(tx: &mut dyn Tx, card_id: &MerchantcardId) -> ApiResult<Option<LtxRow>> {
    let history = tx.ltxs_of_card(card_id)?;
    let states: Vec<LtxState> = history.iter().map(state_of).collect();
    Ok(loyalpos_domain::reversal::last_cancellable(&states).map(|i| history[i].clone()))
}

/// For each LTX of a card's history (oldest first), whether §8.10 lets it be cancelled now.
pub fn cancellable(history: &[LtxRow], group: &CardgroupRow) -> ApiResult<Vec<bool>> {
    let cancel_selected = card_rules(group)?.cancel_selected;
    let states: Vec<LtxState> = history.iter().map(state_of).collect();
    Ok((0..states.len())
        .map(|i| check_cancellable(&states, i, cancel_selected).is_ok())
        .collect())
}

/// Cancels `original` on its (locked) card (api.md §8.10): the card-level rule, the exact reversal
/// as a new cancelling LTX with the STORNO receipt, and the link between both.
pub fn cancel(
    tx: &mut dyn Tx,
    now: i64,
    card: &mut MerchantcardRow,
    group: &CardgroupRow,
    cardnumber: &str,
    original: &LtxRow,
) -> ApiResult<(LtxRow, Vec<ReceiptLine>)> {
    let rules = card_rules(group)?;
    let history = tx.ltxs_of_card(&card.id)?;
    let states: Vec<LtxState> = history.iter().map(state_of).collect();
    let index = history
        .iter()
        .position(|l| l.id == original.id)
        .ok_or_else(|| ApiError::internal("the transaction is not in its card's history"))?;
    check_cancellable(&states, index, rules.cancel_selected)?;
    let original_bookings = domain_bookings(&tx.bookings_of(&original.id)?);
    let before = balances_of(card);
    let (reversed, after) = reverse(&original_bookings, &before, &rules)?;
    let layout: Layout = original
        .figures
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok())
        .ok_or_else(|| ApiError::internal("cancellable transaction without receipt figures"))?;
    let ta = tx.next_ta_code()?;
    let currency = Currency::parse(&original.currency)?;
    let receipt = match &layout {
        Layout::Booking {
            load_only,
            paid_by_card,
            load,
            revenue,
            bonus_collected,
        } => storno_receipt(
            &ReceiptFigures {
                load_only: *load_only,
                card_number: cardnumber.to_owned(),
                ta_code: original.trans_id,
                paid_by_card: Cents(*paid_by_card),
                load: Cents(*load),
                revenue: Cents(*revenue),
                bonus_collected: Cents(*bonus_collected),
                balance_after: original.balance,
                currency: currency.clone(),
            },
            ta,
            after.balance()?,
        ),
        Layout::Points { charged, amount } => {
            points_storno_receipt(cardnumber, ta, *charged, *amount, after.points)
        }
        Layout::Bonus { change } => bonus_correction_storno_receipt(
            cardnumber,
            ta,
            Cents(*change),
            after.balance()?,
            &currency,
        ),
    };
    let id: LtxId = new_id("LTX").into();
    let row = LtxRow {
        id: id.clone(),
        merchant_id: card.merchant_id.clone(),
        merchantcard_id: card.id.clone(),
        cardgroup_id: group.id.clone(),
        store_id: original.store_id.clone(),
        trans_id: ta,
        tid: original.tid.clone(),
        status: LtxStatus::Ok,
        amount: money_change(&reversed)?,
        currency: original.currency.clone(),
        balance: after.balance()?,
        description: LtxDescription::Cancellation.as_str().into(),
        purpose: original.purpose.clone(),
        additional_data: None,
        receipt: receipt_text(&receipt),
        figures: None,
        is_cancelling: true,
        revenue: -original.revenue,
        smart_transaction_id: original.smart_transaction_id.clone(),
        parent_id: Some(original.id.clone()),
        child_id: None,
        created: now,
        last_change: now,
    };
    tx.insert_ltx(&row, &booking_rows(&id, &card.id, &reversed))?;
    tx.mark_ltx_cancelled(&original.id, &id, now)?;
    set_balances(card, &after);
    card.last_usage = Some(now);
    tx.update_merchantcard_balances(card)?;
    events::ltx_added(tx, &row, now);
    events::merchantcard_changed(tx, card, now);
    Ok((row, receipt))
}

/// Valid = not expired (a locked card is valid but unusable).
pub fn is_valid(card: &MerchantcardRow, now: i64) -> bool {
    card.expiry_date.is_none_or(|at| at > now)
}

/// A card that may book: valid (4201) and unlocked (4202).
pub fn check_usable(card: &MerchantcardRow, cardnumber: &str, now: i64) -> Result<(), DomainError> {
    if !is_valid(card, now) {
        return Err(DomainError::CardInvalid(format!(
            "card {cardnumber} has expired"
        )));
    }
    if card.lock_status == LockStatus::Locked {
        return Err(DomainError::CardLocked(format!(
            "card {cardnumber} is locked"
        )));
    }
    Ok(())
}
