//! Loyalty/MerchantCards (api.md §9): lookup, issuing, the card's settings and customer, and the
//! read-only answers a register asks before a sale (validate, balance receipt, terminal data). The
//! card's secrets and lock are in `security`, direct bookings in `direct`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use loyalpos_domain::card::{CardNumber, LOCK_REASONS};
use loyalpos_domain::money::{Cents, Currency, format_amount};
use loyalpos_domain::receipt::balance_receipt;
use loyalpos_store::{CardRow, MerchantcardRow, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{App, Req, ok_json};
use crate::auth::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::list;
use crate::loyalty::customers::CustomerDto;
use crate::loyalty::issue::{DEFAULT_PREFIX, IssueRequest, issue_card};
use crate::loyalty::ledger::is_valid;
use crate::loyalty::locate::{CardAddress, locate};
use crate::loyalty::views::{
    MerchantcardParts, MerchantcardView, merchantcard_parts, merchantcard_view, receipt_json,
    render_merchantcard,
};
use crate::loyalty::{list_plan, own_cardgroup, own_customer, own_merchantcard, to_value};
use crate::tenancy::{merchant_param, own_merchant};
use crate::wire::present;

const MAIN_FIELDS: &[&str] = &["id", "card.cardnumber", "customer.contact.name"];
/// `createMerchantcards` issues 1 to 100 cards per call.
const MAX_CARDS_PER_CALL: i64 = 100;

/// The views of many merchant cards of one merchant, reading each card, group and customer once.
async fn render_all(
    tx: &mut dyn Tx,
    app: &App,
    merchant_id: &str,
    rows: &[MerchantcardRow],
) -> ApiResult<Vec<Value>> {
    let cards: HashMap<String, CardRow> = tx
        .cards_of_merchant(merchant_id)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let groups: HashMap<_, _> = tx
        .cardgroups(merchant_id)
        .await?
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    let customers: HashMap<_, _> = tx
        .customers(merchant_id)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
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
            _ => merchantcard_parts(tx, row).await?,
        };
        items.push(to_value(&merchantcard_view(&app.clock, row, &parts))?);
    }
    Ok(items)
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::MERCHANT_CARDS)?;
    let merchant_id = &req.caller().merchant_id;
    let mut tx = app.store.read().await?;
    let found = tx.list_merchantcards(merchant_id, plan.query()).await?;
    let items = if plan.is_paged() {
        // One page: read the parts of these cards only.
        let mut items = Vec::with_capacity(found.rows.len());
        for row in &found.rows {
            items.push(to_value(
                &render_merchantcard(&mut *tx, &app.clock, row).await?,
            )?);
        }
        items
    } else {
        render_all(&mut *tx, &app, merchant_id, &found.rows).await?
    };
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_merchantcard(&mut *tx, req.caller(), req.param(0), false).await?;
    ok_json(&render_merchantcard(&mut *tx, &app.clock, &row).await?)
}

#[derive(Deserialize)]
struct MerchantcardDto {
    #[serde(default, deserialize_with = "present")]
    expiry_date: Option<Option<String>>,
    payment_container: Option<String>,
}

/// Sets `expiry_date`; `payment_container` must stay null (loyalty payment containers are not
/// served, so any id is unknown).
pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: MerchantcardDto = json::body(&req.body)?;
    if let Some(container) = &dto.payment_container {
        return Err(ApiError::not_found("loyalty payment container", container));
    }
    let expiry = match dto.expiry_date {
        Some(Some(text)) => Some(Some(app.clock.parse(&text).ok_or_else(|| {
            ApiError::bad_request("expiry_date: not an ISO 8601 timestamp")
        })?)),
        Some(None) => Some(None),
        None => None,
    };
    let mut tx = app.store.write().await?;
    let mut row = own_merchantcard(&mut *tx, req.caller(), req.param(0), true).await?;
    if let Some(expiry) = expiry {
        row.expiry_date = expiry;
    }
    tx.update_merchantcard(&row).await?;
    let view = render_merchantcard(&mut *tx, &app.clock, &row).await?;
    tx.commit().await?;
    ok_json(&view)
}

/// Moves the card to another card group of the merchant with the same currency (4002 otherwise);
/// balances and history stay, `passcode` follows the new group.
pub async fn move_to_cardgroup(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller();
    let mut tx = app.store.write().await?;
    let mut row = own_merchantcard(&mut *tx, caller, req.param(0), true).await?;
    let target = own_cardgroup(&mut *tx, caller, req.param(1)).await?;
    let current = tx
        .cardgroup(&row.cardgroup_id)
        .await?
        .ok_or_else(|| ApiError::internal("card group of a merchant card missing"))?;
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
    tx.update_merchantcard(&row).await?;
    let view = render_merchantcard(&mut *tx, &app.clock, &row).await?;
    tx.commit().await?;
    ok_json(&view)
}

pub async fn lock_reasons(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(&app, req.caller(), req.param(0))?;
    let reasons: Vec<Value> = LOCK_REASONS
        .iter()
        .map(|(id, desc)| json!({"id": id, "desc": desc}))
        .collect();
    ok_json(&reasons)
}

#[derive(Deserialize)]
struct CreateDto {
    cards_amount: Option<i64>,
    customer: Option<CustomerDto>,
}

/// A created merchant card: the view plus its CSC, shown this once.
#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    card: MerchantcardView,
    csc: String,
}

/// The store a caller acts in: a device's store, else the merchant's default store.
async fn caller_store(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<Option<String>> {
    if caller.store_id.is_some() {
        return Ok(caller.store_id.clone());
    }
    Ok(own_merchant(tx, caller).await?.default_store_id)
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller();
    merchant_param(&app, caller, req.param(0))?;
    let dto: CreateDto = json::body(&req.body)?;
    let amount = dto
        .cards_amount
        .ok_or_else(|| ApiError::bad_request("cards_amount: missing field"))?;
    if !(1..=MAX_CARDS_PER_CALL).contains(&amount) {
        return Err(ApiError::bad_request(format!(
            "cards_amount: must be between 1 and {MAX_CARDS_PER_CALL}"
        )));
    }
    let now = app.clock.now();
    let mut tx = app.store.write().await?;
    let group = own_cardgroup(&mut *tx, caller, req.param(1)).await?;
    let customer = match dto.customer {
        Some(c) => {
            let row = c.into_new(&caller.merchant_id, now)?;
            tx.insert_customer(&row).await?;
            Some(row.id)
        }
        None => None,
    };
    let store = caller_store(&mut *tx, caller).await?;
    let mut created = Vec::new();
    for _ in 0..amount {
        let issued = issue_card(
            &mut *tx,
            IssueRequest {
                group: &group,
                store_id: store.as_deref(),
                customer_id: customer.as_deref(),
                prefix: DEFAULT_PREFIX,
                now,
            },
        )
        .await?;
        let card = render_merchantcard(&mut *tx, &app.clock, &issued.merchantcard).await?;
        created.push(Created {
            card,
            csc: issued.csc,
        });
    }
    tx.commit().await?;
    ok_json(&created)
}

/// Creates a loyalty customer from the body and attaches it to the card.
pub async fn register_customer(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CustomerDto = json::body(&req.body)?;
    let caller = req.caller();
    let now = app.clock.now();
    let mut tx = app.store.write().await?;
    let mut row = own_merchantcard(&mut *tx, caller, req.param(0), true).await?;
    let customer = dto.into_new(&caller.merchant_id, now)?;
    tx.insert_customer(&customer).await?;
    row.customer_id = Some(customer.id);
    row.customer_assignment_date = Some(now);
    tx.update_merchantcard(&row).await?;
    let view = render_merchantcard(&mut *tx, &app.clock, &row).await?;
    tx.commit().await?;
    ok_json(&view)
}

/// Attaches an existing customer of the merchant, replacing the previous one.
pub async fn set_customer(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let caller = req.caller();
    let mut tx = app.store.write().await?;
    let mut row = own_merchantcard(&mut *tx, caller, req.param(0), true).await?;
    let customer = own_customer(&mut *tx, caller, req.param(1)).await?;
    row.customer_id = Some(customer.id);
    row.customer_assignment_date = Some(app.clock.now());
    tx.update_merchantcard(&row).await?;
    let view = render_merchantcard(&mut *tx, &app.clock, &row).await?;
    tx.commit().await?;
    ok_json(&view)
}

#[derive(Deserialize)]
struct ValidateDto {
    cardnumber: String,
    merchant: Option<String>,
}

/// `{"isValid": false}` alone for anything that is not a usable card of this merchant (unknown or
/// malformed number, another merchant, expired); else validity with passcode and lock flags.
pub async fn validate(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: ValidateDto = json::body(&req.body)?;
    let caller = req.caller();
    let invalid = || ok_json(&json!({"isValid": false}));
    if let Some(m) = &dto.merchant
        && merchant_param(&app, caller, m).is_err()
    {
        return invalid();
    }
    let Ok(number) = CardNumber::parse(&dto.cardnumber) else {
        return invalid();
    };
    let mut tx = app.store.read().await?;
    let found = tx
        .merchantcard_by_number(&caller.merchant_id, number.as_str())
        .await?;
    let Some(mc) = found.filter(|mc| is_valid(mc, app.clock.now())) else {
        return invalid();
    };
    let parts = merchantcard_parts(&mut *tx, &mc).await?;
    ok_json(&json!({
        "isValid": true,
        "hasPasscode": parts.group.passcode_policy != 0,
        "isLocked": mc.lock_status == "locked",
    }))
}

#[derive(Deserialize)]
struct BalanceReceiptDto {
    cardnumber: Option<String>,
}

#[derive(Serialize)]
struct BalanceReceipt {
    valid: bool,
    balance: Option<i64>,
    cash_balance: Option<i64>,
    bonus_balance: Option<i64>,
    zvt_cardgroup: Option<String>,
    points: Option<i64>,
    new_passcode: bool,
    receipt_header: Vec<Value>,
    receipt: Value,
    amount_split_enabled: bool,
    limit_allowed: bool,
    limit_str: Option<String>,
    limit: Option<i64>,
}

impl BalanceReceipt {
    fn invalid() -> Self {
        BalanceReceipt {
            valid: false,
            balance: None,
            cash_balance: None,
            bonus_balance: None,
            zvt_cardgroup: None,
            points: None,
            new_passcode: false,
            receipt_header: Vec::new(),
            receipt: json!([]),
            amount_split_enabled: false,
            limit_allowed: false,
            limit_str: None,
            limit: None,
        }
    }
}

pub async fn balance_receipt_of(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: BalanceReceiptDto = json::body(&req.body)?;
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.read().await?;
    let found = locate(&mut *tx, req.caller(), &address, false).await?;
    let Some((mc, card)) = found.filter(|(mc, _)| is_valid(mc, app.clock.now())) else {
        return ok_json(&BalanceReceipt::invalid());
    };
    let group = merchantcard_parts(&mut *tx, &mc).await?.group;
    let currency = Currency::parse(&group.currency)?;
    let balance = Cents(mc.cash_balance).checked_add(Cents(mc.bonus_balance))?;
    let limit = if group.overdraft_allowed {
        group.overdraft_limit
    } else {
        0
    };
    ok_json(&BalanceReceipt {
        valid: true,
        balance: Some(balance.value()),
        cash_balance: Some(mc.cash_balance),
        bonus_balance: Some(mc.bonus_balance),
        zvt_cardgroup: Some(group.display_name.clone()),
        points: Some(mc.points),
        new_passcode: false,
        receipt_header: Vec::new(),
        receipt: receipt_json(&balance_receipt(&card.cardnumber, balance, &currency)),
        amount_split_enabled: false,
        limit_allowed: group.overdraft_allowed,
        limit_str: group
            .overdraft_allowed
            .then(|| format_amount(Cents(limit), &currency)),
        limit: Some(limit),
    })
}

/// The actions the virtual terminal of a card offers (api.md §9 #19).
const TERMINAL_ACTIONS: [&str; 7] = [
    "balance_check",
    "charge",
    "discharge",
    "sale_revenue",
    "charge_points",
    "discharge_points",
    "cancel_last",
];

pub async fn virtual_terminal_data(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller();
    merchant_param(&app, caller, req.param(1))?;
    let mut tx = app.store.read().await?;
    let mc = own_merchantcard(&mut *tx, caller, req.param(0), false).await?;
    let group = merchantcard_parts(&mut *tx, &mc).await?.group;
    let device = match (&caller.kind, &caller.device_id) {
        (TokenKind::Device, Some(id)) => tx.device(id).await?,
        _ => None,
    };
    let store_id = match &device {
        Some(d) => Some(d.store_id.clone()),
        None => own_merchant(&mut *tx, caller).await?.default_store_id,
    };
    let store = match &store_id {
        Some(id) => tx.store(id).await?,
        None => None,
    };
    ok_json(&json!({
        "store": store.map(|s| json!({"object": "general.stores", "id": s.id, "name": s.name})),
        "tid": device.and_then(|d| d.tid),
        "actions": TERMINAL_ACTIONS,
        "gift_terminal": i64::from(group.bonus_rate > 0),
        "amount_split_enabled": 0,
        "disabled": 0,
    }))
}
