//! Merchant cards (api.md §9): lookup, issuing, the card's settings and customer, and the
//! read-only answers a register asks before a sale (validate, balance receipt, terminal data). The
//! card's secrets and lock are in `security`; direct bookings are the command `direct`, above
//! both loyalty and smart.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::CustomerId;
use loyalpos_store::StoreId;
use std::collections::HashMap;

use loyalpos_domain::card::CardNumber;
use loyalpos_domain::money::{Cents, Currency, format_amount};
use loyalpos_domain::receipt::{ReceiptLine, balance_receipt};
use loyalpos_store::{MerchantcardRow, StoreRow, Tx};

use crate::caller::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult, Code};
use crate::events;
use crate::loyalty::customers::{CustomerPatch, insert_new};
use crate::loyalty::issue::{DEFAULT_PREFIX, IssueRequest, issue_card};
use crate::loyalty::ledger::is_valid;
use crate::loyalty::locate::{CardAddress, locate};
use crate::loyalty::security::is_locked;
use crate::loyalty::{
    Merchantcard, MerchantcardParts, group_of, merchantcard_parts, own_cardgroup, own_customer,
    own_merchantcard, with_parts,
};
use crate::tenancy::{merchant_param, own_merchant};

/// `createMerchantcards` issues 1 to 100 cards per call.
const MAX_CARDS_PER_CALL: i64 = 100;

/// The actions the virtual terminal of a card offers (api.md §9 #19).
pub const TERMINAL_ACTIONS: [&str; 7] = [
    "balance_check",
    "charge",
    "discharge",
    "sale_revenue",
    "charge_points",
    "discharge_points",
    "cancel_last",
];

pub fn get(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<Merchantcard> {
    let row = own_merchantcard(tx, caller, id, false)?;
    with_parts(tx, row)
}

/// The merchant cards of one list page, each with its parts.
pub fn page_with_parts(
    tx: &mut dyn Tx,
    rows: Vec<MerchantcardRow>,
) -> ApiResult<Vec<Merchantcard>> {
    rows.into_iter().map(|row| with_parts(tx, row)).collect()
}

/// Many merchant cards of one merchant with their parts, reading each card, group and customer
/// of the merchant once.
pub fn all_with_parts(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    rows: Vec<MerchantcardRow>,
) -> ApiResult<Vec<Merchantcard>> {
    let cards = by_id(tx.cards_of_merchant(merchant_id)?, |c| &c.id);
    let groups = by_id(tx.cardgroups(merchant_id)?, |g| &g.id);
    let customers = by_id(tx.customers(merchant_id)?, |c| &c.id);
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        let parts = match (cards.get(&row.card_id), groups.get(&row.cardgroup_id)) {
            (Some(card), Some(group)) => MerchantcardParts {
                card: card.clone(),
                group: group.clone(),
                customer: row
                    .customer_id
                    .as_ref()
                    .and_then(|id| customers.get(id).cloned()),
            },
            _ => merchantcard_parts(tx, &row)?,
        };
        shown.push(Merchantcard { row, parts });
    }
    Ok(shown)
}

fn by_id<K: Clone + Eq + std::hash::Hash, T>(rows: Vec<T>, id: impl Fn(&T) -> &K) -> HashMap<K, T> {
    rows.into_iter().map(|r| (id(&r).clone(), r)).collect()
}

/// A change of `PUT /Loyalty/MerchantCards/{id}`: `expiry_date` present sets it (`Some(None)`
/// clears it); `payment_container` must stay null (loyalty payment containers are not served, so
/// any id is unknown).
#[derive(Debug, Clone, Default)]
pub struct MerchantcardChange {
    pub expiry_date: Option<Option<i64>>,
    pub payment_container: Option<String>,
}

pub fn update(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    change: MerchantcardChange,
    now: i64,
) -> ApiResult<Merchantcard> {
    if let Some(container) = &change.payment_container {
        return Err(ApiError::not_found("loyalty payment container", container));
    }
    let mut row = own_merchantcard(tx, caller, id, true)?;
    if let Some(expiry) = change.expiry_date {
        row.expiry_date = expiry;
    }
    tx.update_merchantcard(&row)?;
    events::merchantcard_changed(tx, &row, now);
    with_parts(tx, row)
}

/// Moves the card to another card group of the merchant with the same currency (4002 otherwise);
/// balances and history stay, `passcode` follows the new group.
pub fn move_to_cardgroup(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    cardgroup_id: &str,
    now: i64,
) -> ApiResult<Merchantcard> {
    let mut row = own_merchantcard(tx, caller, id, true)?;
    let target = own_cardgroup(tx, caller, cardgroup_id)?;
    let current = group_of(tx, &row)?;
    if current.currency != target.currency {
        return Err(ApiError::new(
            Code::BadAmount,
            format!(
                "card group {} uses {}, the card's balances are in {}",
                target.id, target.currency, current.currency
            ),
        ));
    }
    row.cardgroup_id = target.id;
    tx.update_merchantcard(&row)?;
    events::merchantcard_changed(tx, &row, now);
    with_parts(tx, row)
}

/// `createMerchantcards`: how many cards, and optionally a new customer they are issued to.
#[derive(Debug, Clone, Default)]
pub struct CardsOrder {
    pub cards_amount: Option<i64>,
    pub customer: Option<CustomerPatch>,
}

/// A newly issued merchant card; `csc` is the only copy of the plain CSC.
#[derive(Debug, Clone)]
pub struct IssuedCard {
    pub card: Merchantcard,
    pub csc: String,
}

/// Issues 1 to 100 cards of a card group of the caller's merchant, created for the caller's store
/// (a device's store, else the merchant's default store).
pub fn issue_cards(
    tx: &mut dyn Tx,
    caller: &Principal,
    cardgroup_id: &str,
    order: CardsOrder,
    now: i64,
) -> ApiResult<Vec<IssuedCard>> {
    let amount = cards_amount(order.cards_amount)?;
    let group = own_cardgroup(tx, caller, cardgroup_id)?;
    let customer = match order.customer {
        Some(patch) => Some(insert_new(tx, &caller.merchant_id, patch, now)?),
        None => None,
    };
    let store = caller_store(tx, caller)?;
    let mut issued_cards = Vec::with_capacity(amount);
    for _ in 0..amount {
        let issued = issue_card(
            tx,
            IssueRequest {
                group: &group,
                store_id: store.as_deref(),
                customer_id: customer.as_ref().map(|c| c.id.as_str()),
                prefix: DEFAULT_PREFIX,
                now,
            },
        )?;
        let parts = MerchantcardParts {
            card: issued.card,
            group: group.clone(),
            customer: customer.clone(),
        };
        issued_cards.push(IssuedCard {
            card: Merchantcard {
                row: issued.merchantcard,
                parts,
            },
            csc: issued.csc,
        });
    }
    Ok(issued_cards)
}

fn cards_amount(value: Option<i64>) -> ApiResult<usize> {
    let amount = value.ok_or_else(|| ApiError::bad_request("cards_amount: missing field"))?;
    if !(1..=MAX_CARDS_PER_CALL).contains(&amount) {
        return Err(ApiError::bad_request(format!(
            "cards_amount: must be between 1 and {MAX_CARDS_PER_CALL}"
        )));
    }
    usize::try_from(amount).map_err(|e| ApiError::internal(e.to_string()))
}

/// The store a caller acts in: a device's store, else the merchant's default store.
fn caller_store(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<Option<StoreId>> {
    if caller.store_id.is_some() {
        return Ok(caller.store_id.clone());
    }
    Ok(own_merchant(tx, caller)?.default_store_id)
}

/// Creates a customer of the caller's merchant and attaches it to the card.
pub fn register_customer(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    patch: CustomerPatch,
    now: i64,
) -> ApiResult<Merchantcard> {
    let row = own_merchantcard(tx, caller, id, true)?;
    let customer = insert_new(tx, &caller.merchant_id, patch, now)?;
    assign_customer(tx, row, customer.id, now)
}

/// Attaches an existing customer of the merchant, replacing the previous one.
pub fn set_customer(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    customer_id: &str,
    now: i64,
) -> ApiResult<Merchantcard> {
    let row = own_merchantcard(tx, caller, id, true)?;
    let customer = own_customer(tx, caller, customer_id)?;
    assign_customer(tx, row, customer.id, now)
}

fn assign_customer(
    tx: &mut dyn Tx,
    mut row: MerchantcardRow,
    customer_id: CustomerId,
    now: i64,
) -> ApiResult<Merchantcard> {
    row.customer_id = Some(customer_id);
    row.customer_assignment_date = Some(now);
    tx.update_merchantcard(&row)?;
    events::merchantcard_changed(tx, &row, now);
    with_parts(tx, row)
}

/// `validateMerchantcard`: the card number and the merchant the request names (if any).
#[derive(Debug, Clone)]
pub struct Validation {
    pub cardnumber: String,
    pub merchant: Option<String>,
}

/// What `validateMerchantcard` tells about a usable card.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub has_passcode: bool,
    pub is_locked: bool,
}

/// `None` for anything that is not a valid card of this merchant (unknown or malformed number,
/// another merchant, expired); else whether it has a passcode and is locked. `demo` admits the
/// demo merchant's aliases.
pub fn validate(
    tx: &mut dyn Tx,
    caller: &Principal,
    demo: bool,
    request: &Validation,
    now: i64,
) -> ApiResult<Option<Validity>> {
    if let Some(m) = &request.merchant
        && merchant_param(demo, caller, m).is_err()
    {
        return Ok(None);
    }
    let Ok(number) = CardNumber::parse(&request.cardnumber) else {
        return Ok(None);
    };
    let found = tx.merchantcard_by_number(&caller.merchant_id, number.as_str())?;
    let Some(mc) = found.filter(|mc| is_valid(mc, now)) else {
        return Ok(None);
    };
    let group = group_of(tx, &mc)?;
    Ok(Some(Validity {
        has_passcode: group.passcode_policy != 0,
        is_locked: is_locked(&mc),
    }))
}

/// `getCardBalanceReceipt` of a valid card: its balances, the overdraft limit and the receipt.
#[derive(Debug, Clone)]
pub struct CardBalance {
    pub balance: Cents,
    pub cash_balance: Cents,
    pub bonus_balance: Cents,
    pub points: i64,
    pub cardgroup_name: String,
    pub receipt: Vec<ReceiptLine>,
    pub limit_allowed: bool,
    /// The overdraft limit; 0 where overdraft is not allowed.
    pub limit: Cents,
    /// The limit as printed, where overdraft is allowed.
    pub limit_text: Option<String>,
}

/// The balance of the addressed card; `None` when it names no valid card here.
pub fn balance(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    now: i64,
) -> ApiResult<Option<CardBalance>> {
    let found = locate(tx, caller, address, false)?;
    let Some((mc, card)) = found.filter(|(mc, _)| is_valid(mc, now)) else {
        return Ok(None);
    };
    let group = group_of(tx, &mc)?;
    let currency = Currency::parse(&group.currency)?;
    let balance = mc.cash_balance.checked_add(mc.bonus_balance)?;
    let limit = if group.overdraft_allowed {
        group.overdraft_limit
    } else {
        Cents::ZERO
    };
    Ok(Some(CardBalance {
        balance,
        cash_balance: mc.cash_balance,
        bonus_balance: mc.bonus_balance,
        points: mc.points,
        receipt: balance_receipt(&card.cardnumber, balance, &currency),
        limit_allowed: group.overdraft_allowed,
        limit_text: group
            .overdraft_allowed
            .then(|| format_amount(limit, &currency)),
        limit,
        cardgroup_name: group.display_name,
    }))
}

/// `virtualTerminalData`: the store and terminal id the card's virtual terminal books in, and
/// whether it collects bonus.
#[derive(Debug, Clone)]
pub struct TerminalData {
    pub store: Option<StoreRow>,
    pub tid: Option<String>,
    pub gift_terminal: bool,
}

/// A device acts in its own store with its terminal id; any other caller in the merchant's
/// default store.
pub fn terminal_data(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<TerminalData> {
    let mc = own_merchantcard(tx, caller, id, false)?;
    let group = group_of(tx, &mc)?;
    let device = match (&caller.kind, &caller.device_id) {
        (TokenKind::Device, Some(id)) => tx.device(id)?,
        _ => None,
    };
    let store_id = match &device {
        Some(d) => Some(d.store_id.clone()),
        None => own_merchant(tx, caller)?.default_store_id,
    };
    let store = match &store_id {
        Some(id) => tx.store(id)?,
        None => None,
    };
    Ok(TerminalData {
        store,
        tid: device.and_then(|d| d.tid),
        gift_terminal: group.bonus_rate > 0,
    })
}
