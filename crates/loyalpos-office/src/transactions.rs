//! The transactions pages (office.md §2 "Transactions"): the merchant's Smart Transactions with
//! their filters, a transaction with its basket, idents, history, bookings and receipt slip, and
//! its cancel form — each a command of `loyalpos_app::office::transactions`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::office::transactions::{self as commands, TransactionDetail, TransactionFilter};
use loyalpos_app::office::{self, OfficeUser, devices};
use loyalpos_app::smart::SmartTransaction;
use loyalpos_app::smart::doc::BasketLine;
use loyalpos_store::Tx;
use serde::Deserialize;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, SlipLine, html, till_slip_of};

/// A transaction in the list.
pub struct TransactionLine {
    pub id: String,
    pub time: String,
    pub status: &'static str,
    pub ta_code: String,
    pub card: String,
    pub device: String,
    pub payment_method: String,
    pub sum: String,
}

#[derive(Template)]
#[template(path = "transactions.html")]
struct TransactionsPage {
    frame: Frame,
    query: ListQuery,
    statuses: Vec<(&'static str, &'static str)>,
    stores: Vec<(String, String)>,
    devices: Vec<(String, String)>,
    transactions: Vec<TransactionLine>,
    previous: Option<String>,
    next: Option<String>,
}

/// The list's query string: the filters and the page.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ListQuery {
    #[serde(default, skip_serializing)]
    lang: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    device: String,
    #[serde(default)]
    store: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    #[serde(default)]
    page: u32,
}

impl ListQuery {
    fn filter(&self) -> TransactionFilter {
        TransactionFilter {
            status: self.status.clone(),
            day: self.day.clone(),
            device: self.device.clone(),
            store: self.store.clone(),
            card: self.card.clone(),
            min: self.min.clone(),
            max: self.max.clone(),
        }
    }

    fn link(&self, page: u32) -> String {
        let at = ListQuery {
            page,
            ..self.clone()
        };
        let query = serde_urlencoded::to_string(&at).unwrap_or_default();
        format!("/office/transactions?{query}")
    }
}

/// What the filter form offers besides the typed fields.
struct Choices {
    stores: Vec<(String, String)>,
    devices: Vec<(String, String)>,
}

pub async fn list(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let (filter, page, clock, now) = (
        query.filter(),
        query.page,
        office.clock.clone(),
        office.clock.now(),
    );
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| {
        let found = commands::list(tx, user, &filter, page, &clock, now)?;
        let stores = office::stores(tx, user)?;
        let (devices, _) = devices::devices(tx, user, 0, now)?;
        let choices = Choices {
            stores: stores
                .into_iter()
                .map(|s| (s.id.to_string(), s.name))
                .collect(),
            devices: devices
                .into_iter()
                .map(|d| device_choice(&d.device))
                .collect(),
        };
        Ok((found, choices))
    };
    let lang = query.lang.as_deref();
    let (visit, (found, choices)) = match office
        .read_page(&headers, "/office/transactions", lang, read)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let transactions = found
        .transactions
        .iter()
        .map(|t| transaction_line(&office, lang, t))
        .collect();
    let page = TransactionsPage {
        frame: visit.frame(),
        statuses: lang.texts().statuses.to_vec(),
        stores: choices.stores,
        devices: choices.devices,
        transactions,
        previous: (query.page > 0).then(|| query.link(query.page - 1)),
        next: found.more.then(|| query.link(query.page + 1)),
        query,
    };
    html(200, &page)
}

/// A device as the filter offers it: its id, with its vendor and description when it has them.
fn device_choice(device: &loyalpos_store::DeviceRow) -> (String, String) {
    let id = device.id.to_string();
    let about: Vec<&str> = [device.vendor.as_deref(), device.description.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let label = if about.is_empty() {
        id.clone()
    } else {
        format!("{id} ({})", about.join(", "))
    };
    (id, label)
}

fn transaction_line(office: &Office, lang: Lang, t: &SmartTransaction) -> TransactionLine {
    TransactionLine {
        id: t.row.id.to_string(),
        time: lang.time(&office.clock, t.row.created),
        status: lang.texts().status(t.row.status.as_str()),
        ta_code: t.row.trans_id.clone().unwrap_or_default(),
        card: t
            .doc
            .card_ident()
            .and_then(|i| i.cardnumber())
            .unwrap_or_default()
            .to_owned(),
        device: t
            .row
            .device_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        payment_method: t.doc.payment_method.clone().unwrap_or_default(),
        sum: lang.money(t.doc.sum.value(), &t.doc.currency),
    }
}

/// A basket line as the detail shows it.
pub struct ShownLine {
    pub desc: String,
    pub quantity: i64,
    pub unit_price: String,
    pub tax: i64,
    pub sum: String,
    pub bonus: bool,
}

/// A card the transaction names.
pub struct ShownIdent {
    pub number: String,
    /// The merchant card's page, when the card is known here.
    pub merchantcard: Option<String>,
}

/// One step of the transaction's history.
pub struct HistoryStep {
    pub time: String,
    pub what: String,
}

/// A booking of the transaction.
pub struct ShownBooking {
    pub time: String,
    pub ta_code: i64,
    pub kind: String,
    pub amount: String,
    pub merchantcard: String,
}

#[derive(Template)]
#[template(path = "transaction.html")]
struct TransactionPage {
    frame: Frame,
    id: String,
    status: &'static str,
    facts: Vec<(&'static str, String)>,
    idents: Vec<ShownIdent>,
    lines: Vec<ShownLine>,
    sum: String,
    missing_sum: Option<String>,
    history: Vec<HistoryStep>,
    bookings: Vec<ShownBooking>,
    slip: Vec<SlipLine>,
    cancellable: bool,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    lang: Option<String>,
    done: Option<String>,
}

pub async fn detail(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Response {
    let path = format!("/office/transactions/{id}");
    let now = office.clock.now();
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::detail(tx, user, &id, now);
    let lang = query.lang.as_deref();
    match office.read_page(&headers, &path, lang, read).await {
        Ok((visit, detail)) => html(
            200,
            &transaction_page(
                &office,
                visit.frame(),
                visit.lang,
                detail,
                query.done.is_some(),
            ),
        ),
        Err(page) => page,
    }
}

fn transaction_page(
    office: &Office,
    frame: Frame,
    lang: Lang,
    detail: TransactionDetail,
    done: bool,
) -> TransactionPage {
    let TransactionDetail {
        transaction: t,
        bookings,
        cancellable,
    } = detail;
    let texts = lang.texts();
    let currency = t.doc.currency.clone();
    let money = |cents: i64| lang.money(cents, &currency);
    let optional = |value: Option<String>| value.unwrap_or_else(|| texts.none.to_owned());
    let facts = vec![
        (texts.created, lang.time(&office.clock, t.row.created)),
        (texts.payment_method, optional(t.doc.payment_method.clone())),
        (texts.ta_code, optional(t.row.trans_id.clone())),
        (
            texts.receipt_number,
            optional(t.row.receipt_number.map(|n| n.to_string())),
        ),
        (
            texts.device,
            optional(t.row.device_id.as_ref().map(ToString::to_string)),
        ),
        (
            texts.store,
            optional(t.doc.store_id.as_ref().map(ToString::to_string)),
        ),
        (texts.reference, optional(t.doc.merchant_ref.clone())),
    ];
    let idents = t
        .doc
        .idents
        .iter()
        .zip(&t.idents)
        .map(|(ident, card)| ShownIdent {
            number: ident.cardnumber().unwrap_or(&ident.value).to_owned(),
            merchantcard: card
                .merchantcard
                .as_ref()
                .map(|c| c.merchantcard.id.to_string()),
        })
        .collect();
    let bonus_count = t.doc.plan.as_ref().map_or(0, |p| p.bonus_lines.len());
    let shown = t.doc.shown_lines();
    let first_bonus = shown.len() - bonus_count;
    let lines = shown
        .iter()
        .enumerate()
        .map(|(i, line)| shown_line(line, i >= first_bonus, &money))
        .collect();
    let mut history = vec![HistoryStep {
        time: lang.time(&office.clock, t.row.created),
        what: texts.status("created").to_owned(),
    }];
    history.extend(bookings.iter().map(|b| HistoryStep {
        time: lang.time(&office.clock, b.created),
        what: format!("{} {} ({})", texts.ta_code, b.trans_id, b.description),
    }));
    if let Some(updated) = t.row.updated {
        history.push(HistoryStep {
            time: lang.time(&office.clock, updated),
            what: format!(
                "{}: {}",
                texts.last_change,
                texts.status(t.row.status.as_str())
            ),
        });
    }
    let bookings = bookings
        .iter()
        .map(|b| ShownBooking {
            time: lang.time(&office.clock, b.created),
            ta_code: b.trans_id,
            kind: b.description.clone(),
            amount: lang.money(b.amount.value(), &b.currency),
            merchantcard: b.merchantcard_id.to_string(),
        })
        .collect();
    TransactionPage {
        frame,
        id: t.row.id.to_string(),
        status: texts.status(t.row.status.as_str()),
        facts,
        idents,
        lines,
        sum: money(t.doc.sum.value()),
        missing_sum: t.doc.plan.as_ref().map(|p| money(p.missing_sum.value())),
        history,
        bookings,
        slip: till_slip_of(&t.doc.receipt),
        cancellable,
        done,
    }
}

fn shown_line(line: &BasketLine, bonus: bool, money: &impl Fn(i64) -> String) -> ShownLine {
    let sum = line
        .sum
        .map_or(line.price_one.value().saturating_mul(line.quantity), |s| {
            s.value()
        });
    ShownLine {
        desc: line.desc.clone(),
        quantity: line.quantity,
        unit_price: money(line.price_one.value()),
        tax: line.tax,
        sum: money(sum),
        bonus,
    }
}

/// Cancels the transaction (any user of the merchant, as the API lets its registers), then back
/// to its page.
pub async fn cancel(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/office/transactions/{id}");
    let back = format!("{path}?done=1");
    let run = move |tx: &mut dyn Tx, user: &OfficeUser, _: Vec<(String, String)>, now| {
        commands::cancel(tx, user, &id, now)
    };
    let answer = move |()| Redirect::to(&back).into_response();
    office.submit(&headers, &path, &body, run, answer).await
}
