//! Loyalty/MerchantCards (api.md §9): lookup, issuing, the card's settings and customer, and the
//! read-only answers a register asks before a sale (validate, balance receipt, terminal data). The
//! card's secrets and lock are in `security`, direct bookings in `direct`.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::customers::CustomerPatch;
use loyalpos_app::loyalty::locate::CardAddress;
use loyalpos_app::loyalty::merchantcards::{
    self, CardBalance, CardsOrder, IssuedCard, MerchantcardChange, TERMINAL_ACTIONS, TerminalData,
    Validation,
};
use loyalpos_app::loyalty::{Merchantcard, receipt_json};
use loyalpos_app::tenancy::merchant_param;
use loyalpos_domain::card::LOCK_REASONS;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::loyalty::views::{MerchantcardView, render_merchantcard};
use crate::loyalty::{list_plan, to_value};
use crate::wire::present;

const MAIN_FIELDS: &[&str] = &["id", "card.cardnumber", "customer.contact.name"];

fn render_all(clock: &Clock, cards: &[Merchantcard]) -> ApiResult<Vec<Value>> {
    cards
        .iter()
        .map(|m| to_value(&render_merchantcard(clock, m)))
        .collect()
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::MERCHANT_CARDS)?;
    let merchant_id = req.caller().merchant_id.clone();
    let (plan, total, cards) = req
        .read(&app, move |tx| {
            let found = tx.list_merchantcards(&merchant_id, plan.query())?;
            let cards = if plan.is_paged() {
                merchantcards::page_with_parts(tx, found.rows)?
            } else {
                merchantcards::all_with_parts(tx, &merchant_id, found.rows)?
            };
            Ok((plan, found.total, cards))
        })
        .await?;
    let items = render_all(&app.clock, &cards)?;
    ok_json(&plan.answer(items, total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let card = req
        .read(&app, move |tx| merchantcards::get(tx, &caller, &id))
        .await?;
    ok_json(&render_merchantcard(&app.clock, &card))
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct MerchantcardDto {
    #[serde(default, deserialize_with = "present")]
    expiry_date: Option<Option<String>>,
    payment_container: Option<String>,
}

/// Runs a command that changes one merchant card and answers with the card's view.
async fn change_card<F>(app: &App, req: &Req, command: F) -> ApiResult<Response>
where
    F: FnOnce(&mut dyn loyalpos_store::Tx) -> ApiResult<Merchantcard> + Send + 'static,
{
    let clock = app.clock.clone();
    req.write(app, move |tx| {
        let card = command(tx)?;
        Answer::json(&render_merchantcard(&clock, &card))
    })
    .await
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: MerchantcardDto = json::body(&req.body)?;
    let expiry_date = match dto.expiry_date {
        Some(Some(text)) => Some(Some(app.clock.parse(&text).ok_or_else(|| {
            ApiError::bad_request("expiry_date: not an ISO 8601 timestamp")
        })?)),
        Some(None) => Some(None),
        None => None,
    };
    let change = MerchantcardChange {
        expiry_date,
        payment_container: dto.payment_container,
    };
    let (caller, id, now) = (
        req.caller().clone(),
        req.param(0).to_owned(),
        app.clock.now(),
    );
    change_card(&app, &req, move |tx| {
        merchantcards::update(tx, &caller, &id, change, now)
    })
    .await
}

pub async fn move_to_cardgroup(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    let (id, group) = (req.param(0).to_owned(), req.param(1).to_owned());
    let now = app.clock.now();
    change_card(&app, &req, move |tx| {
        merchantcards::move_to_cardgroup(tx, &caller, &id, &group, now)
    })
    .await
}

pub async fn lock_reasons(app: Arc<App>, req: Req) -> ApiResult<Response> {
    merchant_param(app.config.demo, req.caller(), req.param(0))?;
    let reasons: Vec<LockReason> = LOCK_REASONS
        .iter()
        .map(|&(id, desc)| LockReason { id, desc })
        .collect();
    ok_json(&reasons)
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct LockReason {
    id: i64,
    desc: &'static str,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(rename = "CreateMerchantcardsDto")]
pub(crate) struct CreateDto {
    #[schemars(required, range(min = 1, max = 100))]
    cards_amount: Option<i64>,
    #[schemars(with = "Option<crate::openapi::schemas::CustomerDto>")]
    customer: Option<CustomerPatch>,
}

/// A created merchant card: the view plus its CSC, shown this once.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CreatedMerchantCard", transform = crate::openapi::schemas::csc_shown_once)]
pub(crate) struct Created {
    #[serde(flatten)]
    card: MerchantcardView,
    csc: String,
}

fn created(clock: &Clock, issued: Vec<IssuedCard>) -> Vec<Created> {
    issued
        .into_iter()
        .map(|i| Created {
            card: render_merchantcard(clock, &i.card),
            csc: i.csc,
        })
        .collect()
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    merchant_param(app.config.demo, &caller, req.param(0))?;
    let dto: CreateDto = json::body(&req.body)?;
    let order = CardsOrder {
        cards_amount: dto.cards_amount,
        customer: dto.customer,
    };
    let group = req.param(1).to_owned();
    let (now, clock) = (app.clock.now(), app.clock.clone());
    req.write(&app, move |tx| {
        let issued = merchantcards::issue_cards(tx, &caller, &group, order, now)?;
        Answer::json(&created(&clock, issued))
    })
    .await
}

pub async fn register_customer(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CustomerPatch = json::body(&req.body)?;
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let now = app.clock.now();
    change_card(&app, &req, move |tx| {
        merchantcards::register_customer(tx, &caller, &id, patch, now)
    })
    .await
}

pub async fn set_customer(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let caller = req.caller().clone();
    let (id, customer) = (req.param(0).to_owned(), req.param(1).to_owned());
    let now = app.clock.now();
    change_card(&app, &req, move |tx| {
        merchantcards::set_customer(tx, &caller, &id, &customer, now)
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct ValidateDto {
    cardnumber: String,
    merchant: Option<String>,
}

pub async fn validate(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: ValidateDto = json::body(&req.body)?;
    let request = Validation {
        cardnumber: dto.cardnumber,
        merchant: dto.merchant,
    };
    let caller = req.caller().clone();
    let (demo, now) = (app.config.demo, app.clock.now());
    let validity = req
        .read(&app, move |tx| {
            merchantcards::validate(tx, &caller, demo, &request, now)
        })
        .await?;
    let result = match validity {
        Some(v) => ValidateResult {
            is_valid: true,
            has_passcode: Some(v.has_passcode),
            is_locked: Some(v.is_locked),
        },
        None => ValidateResult {
            is_valid: false,
            has_passcode: None,
            is_locked: None,
        },
    };
    ok_json(&result)
}

/// An unknown card answers only `isValid: false`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ValidateResult {
    #[serde(rename = "isValid")]
    is_valid: bool,
    #[serde(rename = "hasPasscode", skip_serializing_if = "Option::is_none")]
    has_passcode: Option<bool>,
    #[serde(rename = "isLocked", skip_serializing_if = "Option::is_none")]
    is_locked: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct BalanceReceiptDto {
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct BalanceReceipt {
    valid: bool,
    balance: Option<i64>,
    cash_balance: Option<i64>,
    bonus_balance: Option<i64>,
    zvt_cardgroup: Option<String>,
    points: Option<i64>,
    new_passcode: bool,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
    receipt_header: Vec<Value>,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
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

    fn of(b: CardBalance) -> Self {
        BalanceReceipt {
            valid: true,
            balance: Some(b.balance.value()),
            cash_balance: Some(b.cash_balance.value()),
            bonus_balance: Some(b.bonus_balance.value()),
            zvt_cardgroup: Some(b.cardgroup_name),
            points: Some(b.points),
            new_passcode: false,
            receipt_header: Vec::new(),
            receipt: receipt_json(&b.receipt),
            amount_split_enabled: false,
            limit_allowed: b.limit_allowed,
            limit_str: b.limit_text,
            limit: Some(b.limit.value()),
        }
    }
}

pub async fn balance_receipt_of(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: BalanceReceiptDto = json::body(&req.body)?;
    let address = CardAddress {
        path: req.param(0).to_owned(),
        cardnumber: dto.cardnumber,
    };
    let caller = req.caller().clone();
    let now = app.clock.now();
    let balance = req
        .read(&app, move |tx| {
            merchantcards::balance(tx, &caller, &address, now)
        })
        .await?;
    ok_json(&balance.map_or_else(BalanceReceipt::invalid, BalanceReceipt::of))
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct VirtualTerminalData {
    store: Option<StoreBrief>,
    tid: Option<String>,
    actions: &'static [&'static str],
    gift_terminal: i64,
    amount_split_enabled: i64,
    disabled: i64,
}

#[derive(Serialize, JsonSchema)]
struct StoreBrief {
    #[schemars(extend("const" = "general.stores"))]
    object: &'static str,
    id: String,
    name: String,
}

fn terminal_view(data: TerminalData) -> VirtualTerminalData {
    VirtualTerminalData {
        store: data.store.map(|s| StoreBrief {
            object: "general.stores",
            id: s.id.into(),
            name: s.name,
        }),
        tid: data.tid,
        actions: &TERMINAL_ACTIONS,
        gift_terminal: i64::from(data.gift_terminal),
        amount_split_enabled: 0,
        disabled: 0,
    }
}

pub async fn virtual_terminal_data(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let caller = req.caller().clone();
    merchant_param(app.config.demo, &caller, req.param(1))?;
    let id = req.param(0).to_owned();
    let data = req
        .read(&app, move |tx| {
            merchantcards::terminal_data(tx, &caller, &id)
        })
        .await?;
    ok_json(&terminal_view(data))
}
