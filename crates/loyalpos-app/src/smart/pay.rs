//! Paying: preTransaction plans what the card pays (api.md §8.7); start books it and, for
//! `cashless`, charges the device's simulated terminal (§8.8).

use loyalpos_domain::DomainError;
use loyalpos_domain::basket::{Line, Totals, totals};
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::{Plan, plan};
use loyalpos_domain::settle::{Settlement, settle};
use loyalpos_domain::status::{
    Action, StartMethod, StxStatus, Transition, check, check_loyalty_method,
};
use loyalpos_store::{FullMerchantcard, StxRow, Tx};

use super::card::{CardContext, Holder, card_context};
use super::doc::{StoredPlan, StxDoc};
use super::shown::{Named, SmartTransaction, merchant_name, read_shown, show};
use super::{find_with_card, save};
use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::events;
use crate::loyalty::issue::{DEFAULT_PREFIX, IssueRequest, issue_card};
use crate::loyalty::ledger::{self, Layout, Posting};
use crate::loyalty::{carry_merchantcard, receipt_json};

/// The simulated terminal declines exactly this amount (api.md §8.8 step 6).
const DECLINED_AMOUNT: Cents = Cents(1111);

/// What preTransaction did: the plan the register is answered with, and the transaction as it is
/// after (its event shows it, so that the event needs no second read of it and its card).
pub struct Planned {
    pub plan: Plan,
    pub shown: Box<SmartTransaction>,
}

/// Plans the payment with the card and keeps the plan until start; the transaction is `processing`.
pub fn pre_transaction(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    now: i64,
) -> ApiResult<Planned> {
    let (mut row, mut doc, read) = find_with_card(tx, caller, id, false)?;
    check(&Action::PreTransaction, row.status, None)?;
    let ident = doc
        .card_ident()
        .ok_or_else(|| DomainError::CardInvalid("no card ident".into()))?;
    let named = Named::read_or_resolve(read, tx, &row.merchant_id, ident, false)?;
    let ctx = card_context(named.clone(), ident, &row.merchant_id, &doc.currency, now)?;
    let planned = plan(&doc.client_lines(), &ctx.balances, &ctx.rules)?;
    doc.plan = Some(StoredPlan::from_plan(&planned));
    row.status = StxStatus::Processing;
    save(tx, &mut row, &doc, now)?;
    // The card ident is the first one, and planning changed nothing of its card.
    let name = merchant_name(tx, &row.merchant_id)?;
    let shown = show(tx, row, doc, name, Some(named), now)?;
    Ok(Planned {
        plan: planned,
        shown: Box::new(shown),
    })
}

/// What a start did. A declined terminal payment is no error of the unit: the transaction's
/// `failed` status is kept, and the register is answered with the decline.
pub enum Started {
    Done(Box<SmartTransaction>),
    Declined(ApiError),
}

/// `start/{method}`. A repeated start with the stored method answers the transaction unchanged.
pub fn start(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    method: StartMethod,
    demo: bool,
    now: i64,
) -> ApiResult<Started> {
    let (mut row, mut doc, read) = find_with_card(tx, caller, id, true)?;
    let status = row.status;
    let stored_method = doc.payment_method.as_deref();
    if check(&Action::Start(method), status, stored_method)? == Transition::Unchanged {
        return Ok(Started::Done(Box::new(read_shown(tx, row, doc, now)?)));
    }
    let checkout = Checkout::of(&doc)?;
    if method == StartMethod::Loyalty && status == StxStatus::Created {
        check_loyalty_method(status, &checkout.totals, None)?;
    }
    let booking = booking(tx, &row, &doc, read, method, &checkout, now)?;
    if method == StartMethod::Loyalty {
        check_loyalty_method(status, &checkout.totals, checkout.plan.as_ref())?;
    }
    if method == StartMethod::Cashless {
        let amount = checkout.terminal_amount()?;
        if charge_terminal(tx, &mut row, &mut doc, amount, now)? == Terminal::Declined {
            row.status = StxStatus::Failed;
            doc.payment_method = Some(method.payment_method().into());
            save(tx, &mut row, &doc, now)?;
            return Ok(Started::Declined(ApiError::new(
                Code::PaymentDeclined,
                "the terminal declined the payment",
            )));
        }
    }
    let first = match booking {
        Some(booking) => {
            let card = book(tx, &mut row, &mut doc, booking, demo, now)?;
            Some(Named::Card(Some(card)))
        }
        None => None,
    };
    row.status = StxStatus::Ok;
    doc.payment_method = Some(method.payment_method().into());
    save(tx, &mut row, &doc, now)?;
    let name = merchant_name(tx, &row.merchant_id)?;
    let shown = show(tx, row, doc, name, first, now)?;
    Ok(Started::Done(Box::new(shown)))
}

/// What the basket asks of a start: its client lines, their totals and the preTransaction plan.
struct Checkout {
    lines: Vec<Line>,
    totals: Totals,
    plan: Option<Plan>,
}

impl Checkout {
    fn of(doc: &StxDoc) -> ApiResult<Checkout> {
        let lines = doc.client_lines();
        Ok(Checkout {
            totals: totals(&lines)?,
            plan: doc.plan.as_ref().map(StoredPlan::domain),
            lines,
        })
    }

    /// What the terminal charges: what the plan left to pay, else the basket less what the card
    /// pays.
    fn terminal_amount(&self) -> ApiResult<Cents> {
        Ok(match &self.plan {
            Some(p) => p.missing_sum,
            None => self.totals.total.checked_sub(self.totals.discharge)?,
        })
    }
}

/// What start books: the locked card and the settlement of the basket on it.
struct Booking {
    ctx: CardContext,
    settlement: Settlement,
}

/// The booking of a start; none without an ident (cash or cashless of a basket that neither loads
/// nor discharges a card). `read` is the card if it was locked with the transaction.
fn booking(
    tx: &mut dyn Tx,
    row: &StxRow,
    doc: &StxDoc,
    read: Option<Named>,
    method: StartMethod,
    checkout: &Checkout,
    now: i64,
) -> ApiResult<Option<Booking>> {
    let Some(ident) = doc.card_ident() else {
        let totals = &checkout.totals;
        if method == StartMethod::Loyalty || totals.load.value() > 0 || totals.discharge.value() > 0
        {
            return Err(DomainError::CardInvalid("this payment needs a card ident".into()).into());
        }
        return Ok(None);
    };
    let named = Named::read_or_resolve(read, tx, &row.merchant_id, ident, true)?;
    let ctx = card_context(named, ident, &row.merchant_id, &doc.currency, now)?;
    let settlement = settle(
        &checkout.lines,
        checkout.plan.as_ref(),
        &ctx.balances,
        &ctx.rules,
    )?;
    Ok(Some(Booking { ctx, settlement }))
}

#[derive(Debug, PartialEq, Eq)]
enum Terminal {
    Approved,
    Declined,
}

/// The device's simulated terminal: assigns the receipt number; declines exactly 1111 cents.
fn charge_terminal(
    tx: &mut dyn Tx,
    row: &mut StxRow,
    doc: &mut StxDoc,
    amount: Cents,
    now: i64,
) -> ApiResult<Terminal> {
    if amount == Cents(0) {
        return Ok(Terminal::Approved);
    }
    let device_id = row.device_id.clone().ok_or_else(|| {
        ApiError::bad_request("start/cashless needs a device_source with a terminal")
    })?;
    let mut device = tx
        .lock_device(&device_id)?
        .ok_or_else(|| ApiError::internal("device vanished"))?;
    row.receipt_number = Some(device.next_receipt_number);
    tx.set_stx_receipt_number(row)?;
    device.next_receipt_number += 1;
    tx.update_device(&device)?;
    doc.device_destination_id = Some(device.id);
    doc.terminal_amount = Some(amount);
    let outcome = if amount == DECLINED_AMOUNT {
        Terminal::Declined
    } else {
        Terminal::Approved
    };
    events::start_payment(tx, row, amount, &doc.currency, now);
    let (merchant_id, device_id) = (&row.merchant_id, &device_id);
    events::display(tx, merchant_id, device_id, events::DISPLAY_INSERT_CARD, now);
    let shown = match outcome {
        Terminal::Approved => events::DISPLAY_APPROVED,
        Terminal::Declined => events::DISPLAY_DECLINED,
    };
    events::display(tx, merchant_id, device_id, shown, now);
    Ok(outcome)
}

/// Issues a `create_card` card if needed and books the settlement as one loyalty transaction;
/// returns the card as it is after the booking.
fn book(
    tx: &mut dyn Tx,
    row: &mut StxRow,
    doc: &mut StxDoc,
    booking: Booking,
    demo: bool,
    now: i64,
) -> ApiResult<FullMerchantcard> {
    let Booking { ctx, settlement } = booking;
    let mut card = match ctx.holder {
        Holder::Card(card) => card,
        Holder::New(group) => {
            let issued = issue_card(
                tx,
                IssueRequest {
                    group: &group,
                    store_id: doc.store_id.as_deref(),
                    customer_id: None,
                    prefix: DEFAULT_PREFIX,
                    now,
                },
            )?;
            if let Some(ident) = doc.idents.first_mut() {
                ident.issued_cardnumber = Some(issued.card.cardnumber.clone());
            }
            FullMerchantcard {
                merchantcard: issued.merchantcard,
                card: issued.card,
                group,
                customer: None,
            }
        }
    };
    let tid = match &row.device_id {
        Some(id) => tx.device(id)?.and_then(|d| d.tid),
        None => None,
    };
    // Only the demo import reserves ids, and only for transactions it marks `is_demo`: any other
    // start is spared the lookup.
    let reserved = if demo && doc.is_demo {
        tx.take_reserved_ltx_id(&row.id)?
    } else {
        None
    };
    let posting = Posting {
        layout: Layout::Booking {
            load_only: settlement.all_lines_load,
            paid_by_card: settlement.paid_by_card.value(),
            load: settlement.load.value(),
            revenue: settlement.revenue.value(),
            bonus_collected: settlement.bonus_collected.value(),
        },
        bookings: settlement.bookings,
        description: settlement.description,
        revenue: settlement.revenue,
        store_id: doc.store_id.clone(),
        tid,
        purpose: doc.transaction_ref.clone(),
        additional_data: None,
        smart_transaction_id: Some(row.id.clone()),
        ltx_id: reserved,
    };
    let (ltx, receipt) = ledger::post(
        tx,
        now,
        &mut card.merchantcard,
        &card.group,
        &card.card,
        posting,
    )?;
    row.trans_id = Some(ltx.trans_id.to_string());
    doc.transactions.push(ltx.id);
    doc.receipt = receipt_json(&receipt);
    carry_merchantcard(tx, &card);
    Ok(card)
}
