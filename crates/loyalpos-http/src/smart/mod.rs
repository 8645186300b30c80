//! Smart Transactions (api.md §8): the register's checkout flow. Every state change is one unit of
//! work that locks the smart transaction (and the merchant card when money moves) and commits once.

pub mod doc;
pub mod dto;
pub mod view;

use std::sync::Arc;

use axum::response::Response;
use loyalpos_domain::DomainError;
use loyalpos_domain::basket::{Totals, totals};
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::{Balances, Plan, plan};
use loyalpos_domain::program::CardRules;
use loyalpos_domain::receipt::{diagnosis_receipt, end_of_day_receipt};
use loyalpos_domain::settle::{Settlement, settle};
use loyalpos_domain::status::{
    Action, StartMethod, StxStatus, Transition, check, check_loyalty_method,
};
use loyalpos_store::{CardgroupRow, DeviceRow, LtxRow, MerchantRow, MerchantcardRow, StxRow, Tx};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use self::doc::{StoredPlan, StxDoc};
use crate::app::{App, Req, ok_json};
use crate::auth::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::list;
use crate::loyalty::issue::{DEFAULT_PREFIX, IssueRequest, issue_card};
use crate::loyalty::ledger::{self, Layout, Posting, balances_of, check_usable};
use crate::loyalty::views::receipt_json;
use crate::loyalty_rules::card_rules;
use crate::secret::new_id;
use crate::tenancy::{own_contract, own_device, own_merchant, owned, path_id};

const MAIN_FIELDS: &[&str] = &[
    "id",
    "merchantRef",
    "transactionRef",
    "trans_id",
    "idents.value",
];
/// The simulated terminal declines exactly this amount (api.md §8.8 step 6).
const DECLINED_AMOUNT: i64 = 1111;

fn stored_doc(row: &StxRow) -> ApiResult<StxDoc> {
    StxDoc::parse(&row.doc)
        .map_err(|e| ApiError::internal(format!("smart transaction {}: {e}", row.id)))
}

fn status_of(row: &StxRow) -> ApiResult<StxStatus> {
    Ok(StxStatus::parse(&row.status)?)
}

async fn find(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<(StxRow, StxDoc)> {
    let id = path_id(id, "STX")?;
    let row = if lock {
        tx.lock_stx(id).await?
    } else {
        tx.stx(id).await?
    };
    let row = owned(row, |r| &r.merchant_id, caller, "smart.transactions", id)?;
    let doc = stored_doc(&row)?;
    Ok((row, doc))
}

async fn respond(app: &App, tx: &mut dyn Tx, row: &StxRow, doc: &StxDoc) -> ApiResult<Response> {
    ok_json(&view::render(tx, &app.clock, row, doc).await?)
}

/// Writes the changed transaction, commits, answers 200 with it.
async fn save_and_respond(
    app: &App,
    mut tx: Box<dyn Tx>,
    mut row: StxRow,
    doc: StxDoc,
) -> ApiResult<Response> {
    row.doc = doc.to_json();
    row.updated = Some(app.clock.now());
    tx.update_stx(&row).await?;
    commit_and_respond(app, tx, &row, &doc).await
}

/// Commits, then renders from a read view: the writer (one connection on SQLite) is held only for
/// the statements that change state, not for the reads of the response.
async fn commit_and_respond(
    app: &App,
    tx: Box<dyn Tx>,
    row: &StxRow,
    doc: &StxDoc,
) -> ApiResult<Response> {
    tx.commit().await?;
    let mut read = app.store.read().await?;
    respond(app, &mut *read, row, doc).await
}

// ---- create, read, list, replace ----

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let parsed = dto::parse(json::body(&req.body)?)?;
    let caller = req.caller();
    // Everything a new transaction refers to is read first; the write unit is a single INSERT.
    let mut read = app.store.read().await?;
    let merchant = own_merchant(&mut *read, caller).await?;
    let (device, store_id, contract_id) = placement(
        &mut *read,
        caller,
        &merchant,
        parsed.device_source.as_deref(),
        parsed.contract.as_deref(),
    )
    .await?;
    let mut doc = parsed.doc;
    doc.store_id = store_id;
    doc.contract_id = contract_id;
    doc.currency = resolve_currency(
        &mut *read,
        &merchant.id,
        &doc,
        parsed.currency_sent.as_deref(),
    )
    .await?;
    drop(read);
    let row = StxRow {
        id: new_id("STX"),
        merchant_id: merchant.id,
        status: StxStatus::Created.as_str().into(),
        device_id: device,
        receipt_number: None,
        trans_id: None,
        doc: doc.to_json(),
        created: app.clock.now(),
        updated: None,
    };
    let mut tx = app.store.write().await?;
    tx.insert_stx(&row).await?;
    commit_and_respond(&app, tx, &row, &doc).await
}

/// Device, store and contract of a new transaction (api.md §4, §8.4).
async fn placement(
    tx: &mut dyn Tx,
    caller: &Principal,
    merchant: &MerchantRow,
    device_source: Option<&str>,
    contract: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>, Option<String>)> {
    let device_id = match (caller.kind, &caller.device_id, device_source) {
        (TokenKind::Device, Some(own), _) => Some(own.clone()),
        (_, _, Some(id)) => Some(id.to_owned()),
        _ => None,
    };
    let device = match &device_id {
        Some(id) => Some(own_device(tx, caller, id).await?),
        None => None,
    };
    let contract_id = match contract {
        Some(id) => Some(own_contract(tx, caller, id).await?.id),
        None => device
            .as_ref()
            .and_then(|d| d.contract_id.clone())
            .or_else(|| merchant.default_contract_id.clone()),
    };
    let store_id = device
        .as_ref()
        .map(|d| d.store_id.clone())
        .or_else(|| merchant.default_store_id.clone());
    Ok((device.map(|d| d.id), store_id, contract_id))
}

/// The card group whose currency the transaction must use, when the ident resolves to one.
async fn ident_group(
    tx: &mut dyn Tx,
    merchant_id: &str,
    doc: &StxDoc,
) -> ApiResult<Option<CardgroupRow>> {
    let Some(ident) = doc.card_ident() else {
        return Ok(None);
    };
    let group_id = match (ident.kind.as_str(), &ident.issued_cardnumber) {
        ("card", _) => tx
            .merchantcard_by_number(merchant_id, &ident.value)
            .await?
            .map(|mc| mc.cardgroup_id),
        (_, Some(number)) => tx
            .merchantcard_by_number(merchant_id, number)
            .await?
            .map(|mc| mc.cardgroup_id),
        _ => Some(ident.value.clone()),
    };
    let Some(group_id) = group_id else {
        return Ok(None);
    };
    Ok(tx
        .cardgroup(&group_id)
        .await?
        .filter(|g| g.merchant_id == merchant_id))
}

/// `basket_info.currency`: as sent (ISO 4217), else the card group's, else EUR; must equal the group's.
async fn resolve_currency(
    tx: &mut dyn Tx,
    merchant_id: &str,
    doc: &StxDoc,
    sent: Option<&str>,
) -> ApiResult<String> {
    let group = ident_group(tx, merchant_id, doc).await?;
    let sent = sent
        .map(loyalpos_domain::money::Currency::parse)
        .transpose()?;
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
        (None, Some(g)) => Ok(g.currency),
        (None, None) => Ok("EUR".into()),
    }
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let (row, doc) = find(&mut *tx, req.caller(), req.param(0), false).await?;
    respond(&app, &mut *tx, &row, &doc).await
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list::Plan::new(&req.query, list::pushdown::SMART_TRANSACTIONS)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_stxs(&req.caller().merchant_id, plan.query())
        .await?;
    let mut items = Vec::with_capacity(found.rows.len());
    for row in &found.rows {
        let doc = stored_doc(row)?;
        items.push(view::render(&mut *tx, &app.clock, row, &doc).await?);
    }
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn replace(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let parsed = dto::parse(json::body(&req.body)?)?;
    let mut tx = app.store.write().await?;
    let (mut row, old) = find(&mut *tx, req.caller(), req.param(0), true).await?;
    check(&Action::Put, status_of(&row)?, None)?;
    // Not editable, silently kept: merchant, contract, device_source, store, created.
    let mut doc = parsed.doc;
    doc.contract_id = old.contract_id;
    doc.store_id = old.store_id;
    doc.device_destination_id = old.device_destination_id;
    doc.currency = resolve_currency(
        &mut *tx,
        &row.merchant_id,
        &doc,
        parsed.currency_sent.as_deref(),
    )
    .await?;
    row.status = StxStatus::Created.as_str().into();
    save_and_respond(&app, tx, row, doc).await
}

// ---- preTransaction ----

/// The card a booking works on: the merchant card (None while a `create_card` card is not issued),
/// its group and rules, and the balances to plan with.
struct CardContext {
    card: Option<(MerchantcardRow, String)>,
    group: CardgroupRow,
    rules: CardRules,
    balances: Balances,
}

/// Resolves the ident for preTransaction/start: valid (4201), unlocked (4202), same currency (4002).
async fn card_context(
    tx: &mut dyn Tx,
    merchant_id: &str,
    doc: &StxDoc,
    now: i64,
    lock: bool,
) -> ApiResult<CardContext> {
    let ident = doc
        .card_ident()
        .ok_or_else(|| DomainError::CardInvalid("no card ident".into()))?;
    let number = match ident.kind.as_str() {
        "card" => Some(ident.value.as_str()),
        _ => ident.issued_cardnumber.as_deref(),
    };
    let ctx = match number {
        Some(number) => {
            let mc = tx
                .merchantcard_by_number(merchant_id, number)
                .await?
                .ok_or_else(|| {
                    DomainError::CardInvalid(format!("card {number} is unknown here"))
                })?;
            let mc = if lock {
                tx.lock_merchantcard(&mc.id)
                    .await?
                    .ok_or_else(|| ApiError::internal("merchant card vanished"))?
            } else {
                mc
            };
            check_usable(&mc, number, now)?;
            let group = tx
                .cardgroup(&mc.cardgroup_id)
                .await?
                .ok_or_else(|| ApiError::internal("card group missing"))?;
            CardContext {
                balances: balances_of(&mc),
                rules: card_rules(&group)?,
                group,
                card: Some((mc, number.to_owned())),
            }
        }
        None => {
            let group = tx
                .cardgroup(&ident.value)
                .await?
                .filter(|g| g.merchant_id == merchant_id && g.card_creation_via_stx)
                .ok_or_else(|| {
                    DomainError::CardInvalid(format!(
                        "card group {} cannot create cards",
                        ident.value
                    ))
                })?;
            let zero = Balances {
                cash: Cents::ZERO,
                bonus: Cents::ZERO,
                points: 0,
            };
            CardContext {
                balances: zero,
                rules: card_rules(&group)?,
                group,
                card: None,
            }
        }
    };
    if ctx.group.currency != doc.currency {
        return Err(ApiError::new(
            Code::BadAmount,
            "the transaction's currency differs from the card group's",
        ));
    }
    Ok(ctx)
}

pub async fn pre_transaction(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let (mut row, mut doc) = find(&mut *tx, req.caller(), req.param(0), true).await?;
    check(&Action::PreTransaction, status_of(&row)?, None)?;
    let ctx = card_context(&mut *tx, &row.merchant_id, &doc, app.clock.now(), false).await?;
    let planned = plan(&doc.client_lines(), &ctx.balances, &ctx.rules)?;
    let stored = StoredPlan::from_plan(&planned);
    let answer = json!({
        "missing_sum": stored.missing_sum,
        "bonus_products": stored.bonus_lines.iter().map(|l| json!({
            "id": l.id, "articleNumber": l.article_number, "ean": bonus_ean(&planned, l.id), "quantity": 1,
            "priceOne": l.price_one, "tax": l.tax, "desc": l.desc, "serialNumber": null,
        })).collect::<Vec<_>>(),
    });
    doc.plan = Some(stored);
    row.status = StxStatus::Processing.as_str().into();
    row.doc = doc.to_json();
    row.updated = Some(app.clock.now());
    tx.update_stx(&row).await?;
    tx.commit().await?;
    ok_json(&answer)
}

/// In `bonus_products` a bonus product without EAN shows `null` (in the basket line it is `""`).
fn bonus_ean(planned: &Plan, id: i64) -> Option<String> {
    planned
        .bonus_lines
        .iter()
        .find(|b| b.id == id)
        .and_then(|b| b.ean.clone())
}

// ---- start ----

pub async fn start(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let method = StartMethod::parse(req.param(1))?;
    json::parse_body(&req.body)?;
    let now = app.clock.now();
    let mut tx = app.store.write().await?;
    let (mut row, mut doc) = find(&mut *tx, req.caller(), req.param(0), true).await?;
    let status = status_of(&row)?;
    if check(
        &Action::Start(method),
        status,
        doc.payment_method.as_deref(),
    )? == Transition::Unchanged
    {
        return respond(&app, &mut *tx, &row, &doc).await;
    }
    let client_lines = doc.client_lines();
    let basket = totals(&client_lines)?;
    let stored_plan = doc.plan.as_ref().map(StoredPlan::domain);
    if method == StartMethod::Loyalty && status == StxStatus::Created {
        check_loyalty_method(status, &basket, None)?;
    }
    let booking = match doc.card_ident() {
        None => {
            if method == StartMethod::Loyalty
                || basket.load.value() > 0
                || basket.discharge.value() > 0
            {
                return Err(
                    DomainError::CardInvalid("this payment needs a card ident".into()).into(),
                );
            }
            None
        }
        Some(_) => {
            let ctx = card_context(&mut *tx, &row.merchant_id, &doc, now, true).await?;
            let settlement = settle(
                &client_lines,
                stored_plan.as_ref(),
                &ctx.balances,
                &ctx.rules,
            )?;
            if method == StartMethod::Loyalty {
                check_loyalty_method(status, &basket, stored_plan.as_ref())?;
            }
            Some((ctx, settlement))
        }
    };
    if method == StartMethod::Cashless {
        let amount = terminal_amount(&basket, stored_plan.as_ref());
        if charge_terminal(&mut *tx, &mut row, &mut doc, amount).await? == Terminal::Declined {
            row.status = StxStatus::Failed.as_str().into();
            doc.payment_method = Some(method.payment_method().into());
            row.doc = doc.to_json();
            row.updated = Some(now);
            tx.update_stx(&row).await?;
            tx.commit().await?;
            return Err(ApiError::new(
                Code::PaymentDeclined,
                "the terminal declined the payment",
            ));
        }
    }
    if let Some((ctx, settlement)) = booking {
        book_start(&app, &mut *tx, &mut row, &mut doc, ctx, settlement, now).await?;
    }
    row.status = StxStatus::Ok.as_str().into();
    doc.payment_method = Some(method.payment_method().into());
    save_and_respond(&app, tx, row, doc).await
}

fn terminal_amount(basket: &Totals, plan: Option<&Plan>) -> i64 {
    match plan {
        Some(p) => p.missing_sum.value(),
        None => basket.total.value() - basket.discharge.value(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Terminal {
    Approved,
    Declined,
}

/// The device's simulated terminal: assigns the receipt number; declines exactly 1111 cents.
async fn charge_terminal(
    tx: &mut dyn Tx,
    row: &mut StxRow,
    doc: &mut StxDoc,
    amount: i64,
) -> ApiResult<Terminal> {
    if amount == 0 {
        return Ok(Terminal::Approved);
    }
    let device_id = row.device_id.clone().ok_or_else(|| {
        ApiError::bad_request("start/cashless needs a device_source with a terminal")
    })?;
    let mut device = tx
        .lock_device(&device_id)
        .await?
        .ok_or_else(|| ApiError::internal("device vanished"))?;
    row.receipt_number = Some(device.next_receipt_number);
    device.next_receipt_number += 1;
    tx.update_device(&device).await?;
    doc.device_destination_id = Some(device.id);
    doc.terminal_amount = Some(amount);
    Ok(if amount == DECLINED_AMOUNT {
        Terminal::Declined
    } else {
        Terminal::Approved
    })
}

/// Issues a `create_card` card if needed and books the settlement as one loyalty transaction.
async fn book_start(
    app: &App,
    tx: &mut dyn Tx,
    row: &mut StxRow,
    doc: &mut StxDoc,
    ctx: CardContext,
    settlement: Settlement,
    now: i64,
) -> ApiResult<()> {
    let (mut card, cardnumber) = match ctx.card {
        Some(c) => c,
        None => {
            let issued = issue_card(
                tx,
                IssueRequest {
                    group: &ctx.group,
                    store_id: doc.store_id.as_deref(),
                    customer_id: None,
                    prefix: DEFAULT_PREFIX,
                    now,
                },
            )
            .await?;
            if let Some(ident) = doc.idents.first_mut() {
                ident.issued_cardnumber = Some(issued.card.cardnumber.clone());
            }
            (issued.merchantcard, issued.card.cardnumber)
        }
    };
    let tid = match &row.device_id {
        Some(id) => tx.device(id).await?.and_then(|d| d.tid),
        None => None,
    };
    let reserved = if app.config.demo {
        tx.take_reserved_ltx_id(&row.id).await?
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
    let (ltx, receipt) = ledger::post(tx, now, &mut card, &ctx.group, &cardnumber, posting).await?;
    row.trans_id = Some(ltx.trans_id.to_string());
    doc.transactions.push(ltx.id);
    doc.receipt = receipt_json(&receipt);
    Ok(())
}

// ---- cancel, canceltrx, abort ----

/// Lock order everywhere: merchant card before smart transaction (a direct `cancel_last` locks the
/// card and then marks the transaction). So a cancellation that will reverse a booking locks the
/// booking's card first, then the transaction, and re-reads it under the lock.
async fn lock_for_cancel(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
) -> ApiResult<(StxRow, StxDoc)> {
    let (row, doc) = find(tx, caller, id, false).await?;
    if let Some(ltx_id) = doc.transactions.first()
        && let Some(ltx) = tx.ltx(ltx_id).await?
    {
        tx.lock_merchantcard(&ltx.merchantcard_id).await?;
    }
    find(tx, caller, &row.id, true).await
}

pub async fn cancel(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let (row, doc) = lock_for_cancel(&mut *tx, req.caller(), req.param(0)).await?;
    let status = status_of(&row)?;
    if check(&Action::Cancel, status, None)? == Transition::Unchanged {
        return respond(&app, &mut *tx, &row, &doc).await;
    }
    cancel_and_save(&app, tx, row, doc, status, true).await
}

/// Cancels in any cancellable status; after `ok` the loyalty transaction is reversed.
async fn cancel_and_save(
    app: &App,
    mut tx: Box<dyn Tx>,
    mut row: StxRow,
    mut doc: StxDoc,
    status: StxStatus,
    show_storno: bool,
) -> ApiResult<Response> {
    if status == StxStatus::Ok {
        if let Some(original_id) = doc.transactions.first().cloned() {
            let receipt = reverse_ltx(&mut *tx, app.clock.now(), &original_id, &mut doc).await?;
            if show_storno {
                doc.receipt = receipt;
            }
        }
    } else {
        doc.plan = None;
    }
    row.status = StxStatus::Cancelled.as_str().into();
    save_and_respond(app, tx, row, doc).await
}

/// Reverses the transaction's loyalty transaction on its locked card; returns the STORNO receipt.
async fn reverse_ltx(
    tx: &mut dyn Tx,
    now: i64,
    ltx_id: &str,
    doc: &mut StxDoc,
) -> ApiResult<Value> {
    let original = tx
        .ltx(ltx_id)
        .await?
        .ok_or_else(|| ApiError::internal("loyalty transaction missing"))?;
    let mut card = tx
        .lock_merchantcard(&original.merchantcard_id)
        .await?
        .ok_or_else(|| ApiError::internal("merchant card missing"))?;
    let group = tx
        .cardgroup(&card.cardgroup_id)
        .await?
        .ok_or_else(|| ApiError::internal("card group missing"))?;
    let number = tx
        .card(&card.card_id)
        .await?
        .ok_or_else(|| ApiError::internal("card missing"))?
        .cardnumber;
    let (cancelling, receipt) =
        ledger::cancel(tx, now, &mut card, &group, &number, &original).await?;
    doc.transactions.push(cancelling.id);
    Ok(receipt_json(&receipt))
}

/// A direct `cancel_last` reversed `original`: its smart transaction, if any, is cancelled too.
pub async fn on_ltx_cancelled(
    tx: &mut dyn Tx,
    original: &LtxRow,
    cancellation: &LtxRow,
    now: i64,
) -> ApiResult<()> {
    let Some(stx_id) = &original.smart_transaction_id else {
        return Ok(());
    };
    let Some(mut row) = tx.lock_stx(stx_id).await? else {
        return Ok(());
    };
    let mut doc = stored_doc(&row)?;
    doc.transactions.push(cancellation.id.clone());
    doc.receipt = serde_json::from_str(&cancellation.receipt).unwrap_or(Value::Array(Vec::new()));
    row.status = StxStatus::Cancelled.as_str().into();
    row.doc = doc.to_json();
    row.updated = Some(now);
    tx.update_stx(&row).await?;
    Ok(())
}

pub async fn cancel_trx(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let caller = req.caller();
    let receipt_number: i64 = req
        .param(0)
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::bad_id(format!("malformed receipt number {}", req.param(0))))?;
    let device_id = caller.device_id.clone().ok_or_else(ApiError::forbidden)?;
    let mut tx = app.store.write().await?;
    let found = tx
        .stx_by_receipt_number(&device_id, receipt_number)
        .await?
        .filter(|r| r.merchant_id == caller.merchant_id)
        .ok_or_else(|| ApiError::not_found("smart.transactions", &receipt_number.to_string()))?;
    let (row, doc) = lock_for_cancel(&mut *tx, caller, &found.id).await?;
    let status = status_of(&row)?;
    if check(&Action::CancelTrx, status, None)? == Transition::Unchanged {
        return respond(&app, &mut *tx, &row, &doc).await;
    }
    let device = tx
        .device(&device_id)
        .await?
        .ok_or_else(|| ApiError::internal("device vanished"))?;
    if receipt_number <= device.end_of_day_receipt {
        return Err(DomainError::CancelNotAllowed(
            "the payment is before the device's last end of day".into(),
        )
        .into());
    }
    // canceltrx keeps `receipt` and `receipt_merchant` as they were (api.md §8.11).
    cancel_and_save(&app, tx, row, doc, status, false).await
}

pub async fn abort(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let (row, mut doc) = find(&mut *tx, req.caller(), req.param(0), true).await?;
    let status = status_of(&row)?;
    if check(&Action::Abort, status, None)? == Transition::Unchanged {
        return respond(&app, &mut *tx, &row, &doc).await;
    }
    doc.plan = None;
    let mut row = row;
    row.status = StxStatus::Cancelled.as_str().into();
    save_and_respond(&app, tx, row, doc).await
}

// ---- peripheral routes ----

#[derive(Deserialize)]
struct DeliveryDto {
    delivery_options: Map<String, Value>,
}

pub async fn set_delivery(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: DeliveryDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let (row, mut doc) = find(&mut *tx, req.caller(), req.param(0), true).await?;
    check(&Action::SetDelivery, status_of(&row)?, None)?;
    let mut merged = match doc.echo.remove("delivery_options") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    merged.extend(dto.delivery_options);
    merged
        .entry("type")
        .or_insert_with(|| Value::String("shipping".into()));
    doc.echo
        .insert("delivery_options".into(), Value::Object(merged));
    save_and_respond(&app, tx, row, doc).await
}

pub async fn prepare(_app: Arc<App>, _req: Req) -> ApiResult<Response> {
    Err(ApiError::bad_request(
        "online payment methods are not served; use start/{method}",
    ))
}

pub async fn update_payment_container(_app: Arc<App>, req: Req) -> ApiResult<Response> {
    Err(ApiError::new(
        Code::NotFound,
        format!(
            "subscription {} not found (subscriptions are not served)",
            req.param(0)
        ),
    ))
}

/// The device named by `diagnosis`/`endOfDay`: a device token may only name itself.
async fn terminal_device(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<DeviceRow> {
    if caller.kind == TokenKind::Device && caller.device_id.as_deref() != Some(id) {
        return Err(ApiError::forbidden());
    }
    let id = path_id(id, "SDV")?;
    let row = if lock {
        tx.lock_device(id).await?
    } else {
        tx.device(id).await?
    };
    owned(row, |d| &d.merchant_id, caller, "smart.devices", id)
}

/// A terminal-service transaction (diagnosis, end of day): `ok`, empty basket, the given receipt.
async fn service_transaction(
    app: &App,
    mut tx: Box<dyn Tx>,
    device: &DeviceRow,
    receipt: Value,
) -> ApiResult<Response> {
    let doc = StxDoc {
        contract_id: device.contract_id.clone(),
        store_id: Some(device.store_id.clone()),
        device_destination_id: None,
        lines: Vec::new(),
        basket_type: "default".into(),
        sum: 0,
        gratuity: None,
        currency: "EUR".into(),
        idents: Vec::new(),
        merchant_ref: None,
        transaction_ref: None,
        intent: None,
        is_demo: false,
        payment_method: None,
        echo: Map::new(),
        plan: None,
        transactions: Vec::new(),
        receipt,
        terminal_amount: None,
    };
    let row = StxRow {
        id: new_id("STX"),
        merchant_id: device.merchant_id.clone(),
        status: StxStatus::Ok.as_str().into(),
        device_id: Some(device.id.clone()),
        receipt_number: None,
        trans_id: None,
        doc: doc.to_json(),
        created: app.clock.now(),
        updated: None,
    };
    tx.insert_stx(&row).await?;
    let body = view::render(&mut *tx, &app.clock, &row, &doc).await?;
    tx.commit().await?;
    ok_json(&body)
}

pub async fn diagnosis(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let device = terminal_device(&mut *tx, req.caller(), req.param(0), false).await?;
    let receipt = receipt_json(&diagnosis_receipt(device.tid.as_deref()));
    service_transaction(&app, tx, &device, receipt).await
}

pub async fn end_of_day(app: Arc<App>, req: Req) -> ApiResult<Response> {
    json::parse_body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut device = terminal_device(&mut *tx, req.caller(), req.param(0), true).await?;
    let since = tx
        .stxs_of_device_after_receipt(&device.id, device.end_of_day_receipt)
        .await?;
    let (mut count, mut sum) = (0i64, 0i64);
    for row in &since {
        let doc = stored_doc(row)?;
        if row.status == StxStatus::Ok.as_str() && doc.payment_method.as_deref() == Some("cashless")
        {
            count += 1;
            sum += doc.terminal_amount.unwrap_or(0);
        }
    }
    let currency = loyalpos_domain::money::Currency::eur();
    let receipt = receipt_json(&end_of_day_receipt(
        device.tid.as_deref(),
        count,
        Cents(sum),
        &currency,
    ));
    // Every payment up to here can no longer be cancelled with canceltrx.
    device.end_of_day_receipt = device.next_receipt_number - 1;
    tx.update_device(&device).await?;
    service_transaction(&app, tx, &device, receipt).await
}
