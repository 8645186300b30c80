//! The cards pages: search, the card with its ledger, and the card's forms (lock, unlock, move,
//! correction booking). Each form posts, is checked against the session's CSRF token, runs one
//! command of `loyalpos_app::office::cards` and redirects back to the card (post/redirect/get).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use loyalpos_app::loyalty::Merchantcard;
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::cards::{self as commands, CardDetail, Correction, LedgerEntry};
use loyalpos_app::{ApiError, ApiResult};
use loyalpos_domain::card::LockStatus;
use loyalpos_store::{CustomerRow, Tx};
use serde::Deserialize;
use serde_json::Value;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, SlipLine, html, till_slip};
use crate::session::Visit;

/// A card in the search result.
pub struct CardLine {
    pub id: String,
    pub number: String,
    pub customer: String,
    pub group: String,
    pub balance: String,
    pub lock: &'static str,
}

#[derive(Template)]
#[template(path = "cards.html")]
struct CardsPage {
    frame: Frame,
    query: String,
    cards: Vec<CardLine>,
    previous: Option<String>,
    next: Option<String>,
}

/// A search page's query string (the cards and customers pages).
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub lang: Option<String>,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: u32,
}

pub async fn search(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    let (text, page) = (query.q.clone(), query.page);
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::search(tx, user, &text, page);
    let lang = query.lang.as_deref();
    let (visit, found) = match office
        .read_page(&headers, "/office/cards", lang, read)
        .await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let cards = found.cards.iter().map(|c| card_line(lang, c)).collect();
    let link = |page: u32| format!("/office/cards?{}", encode_query(&query.q, page));
    let page = CardsPage {
        frame: visit.frame(),
        query: query.q.clone(),
        cards,
        previous: (query.page > 0).then(|| link(query.page - 1)),
        next: found.more.then(|| link(query.page + 1)),
    };
    html(200, &page)
}

/// A card as a list shows it (the search, a customer's cards).
pub(crate) fn card_line(lang: Lang, c: &Merchantcard) -> CardLine {
    CardLine {
        id: c.row.id.to_string(),
        number: c.parts.card.cardnumber.clone(),
        customer: customer_name(c.parts.customer.as_ref()),
        group: c.parts.group.display_name.clone(),
        balance: lang.money(total(&c.row), &c.parts.group.currency),
        lock: lock_text(lang, c.row.lock_status),
    }
}

fn encode_query(q: &str, page: u32) -> String {
    serde_urlencoded::to_string([("q", q), ("page", &page.to_string())]).unwrap_or_default()
}

fn total(row: &loyalpos_store::MerchantcardRow) -> i64 {
    row.cash_balance.value() + row.bonus_balance.value()
}

fn lock_text(lang: Lang, status: LockStatus) -> &'static str {
    match status {
        LockStatus::Locked => lang.texts().locked,
        _ => lang.texts().unlocked,
    }
}

/// The customer as staff recognise them: the contact's name, else its e-mail, else the customer
/// number.
pub(crate) fn customer_name(customer: Option<&CustomerRow>) -> String {
    let Some(customer) = customer else {
        return String::new();
    };
    let contact: Value = customer
        .merchant_contact
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let field = |key: &str| contact[key].as_str().unwrap_or_default().trim().to_owned();
    let name = [field("forename"), field("surname")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [name, field("companyname"), field("email")]
        .into_iter()
        .find(|text| !text.is_empty())
        .or_else(|| customer.customernumber.clone())
        .unwrap_or_default()
}

/// The card's facts as the page shows them.
pub struct CardView {
    pub id: String,
    pub number: String,
    pub cash: String,
    pub bonus: String,
    pub total: String,
    pub group: String,
    pub customer: String,
    pub expiry: String,
    pub lock: String,
    pub locked: bool,
}

/// One booking of the ledger, with its receipt as a till slip.
pub struct LedgerLine {
    pub id: String,
    /// The storno button is offered (api.md §8.10 allows it now).
    pub cancellable: bool,
    pub time: String,
    pub ta_code: i64,
    pub kind: String,
    pub amount: String,
    pub balance: String,
    pub slip: Vec<SlipLine>,
}

#[derive(Template)]
#[template(path = "card.html")]
struct CardPage {
    frame: Frame,
    card: CardView,
    groups: Vec<(String, String)>,
    ledger: Vec<LedgerLine>,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct CardQuery {
    lang: Option<String>,
    done: Option<String>,
}

pub async fn card(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<CardQuery>,
) -> Response {
    let path = format!("/office/cards/{id}");
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| commands::card(tx, user, &id);
    let lang = query.lang.as_deref();
    let (visit, detail) = match office.read_page(&headers, &path, lang, read).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    html(
        200,
        &card_page(&office, &visit, detail, query.done.is_some()),
    )
}

fn card_page(office: &Office, visit: &Visit, detail: CardDetail, done: bool) -> CardPage {
    let lang = visit.lang;
    let CardDetail {
        card,
        ledger,
        groups,
    } = detail;
    let currency = card.parts.group.currency.clone();
    let row = &card.row;
    let reason = row
        .lock_reason
        .filter(|_| row.lock_status == LockStatus::Locked)
        .map(|r| format!(" ({})", lang.texts().lock_reason(r)))
        .unwrap_or_default();
    let view = CardView {
        id: row.id.to_string(),
        number: card.parts.card.cardnumber.clone(),
        cash: lang.money(row.cash_balance.value(), &currency),
        bonus: lang.money(row.bonus_balance.value(), &currency),
        total: lang.money(total(row), &currency),
        group: card.parts.group.display_name.clone(),
        customer: customer_name(card.parts.customer.as_ref()),
        expiry: row.expiry_date.map_or_else(
            || lang.texts().none.to_owned(),
            |e| lang.time(&office.clock, e),
        ),
        lock: format!("{}{reason}", lock_text(lang, row.lock_status)),
        locked: row.lock_status == LockStatus::Locked,
    };
    CardPage {
        frame: visit.frame(),
        card: view,
        groups: groups
            .into_iter()
            .filter(|g| g.id != row.cardgroup_id)
            .map(|g| (g.id.to_string(), g.display_name))
            .collect(),
        ledger: ledger
            .iter()
            .map(|entry| ledger_line(office, lang, entry))
            .collect(),
        done,
    }
}

fn ledger_line(office: &Office, lang: Lang, entry: &LedgerEntry) -> LedgerLine {
    let ltx = &entry.ltx;
    LedgerLine {
        id: ltx.id.to_string(),
        cancellable: entry.cancellable,
        time: lang.time(&office.clock, ltx.created),
        ta_code: ltx.trans_id,
        kind: ltx.description.clone(),
        amount: lang.money(ltx.amount.value(), &ltx.currency),
        balance: lang.money(ltx.balance.value(), &ltx.currency),
        slip: till_slip(&ltx.receipt),
    }
}

/// Runs one card form's command, then back to the card (post/redirect/get).
async fn card_form<F, C>(
    office: Office,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    command: C,
) -> Response
where
    F: serde::de::DeserializeOwned + Send + 'static,
    C: FnOnce(&mut dyn Tx, &OfficeUser, &str, F, i64) -> ApiResult<()> + Send + 'static,
{
    let path = format!("/office/cards/{id}");
    let back = format!("{path}?done=1");
    let run =
        move |tx: &mut dyn Tx, user: &OfficeUser, form: F, now| command(tx, user, &id, form, now);
    let answer = move |()| Redirect::to(&back).into_response();
    office.submit(&headers, &path, &body, run, answer).await
}

#[derive(Debug, Deserialize)]
pub struct LockForm {
    reason: Option<i64>,
    note: Option<String>,
}

pub async fn lock(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    card_form(
        office,
        headers,
        id,
        body,
        |tx, user, id, f: LockForm, now| commands::lock(tx, user, id, f.reason, f.note, now),
    )
    .await
}

pub async fn unlock(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    card_form(
        office,
        headers,
        id,
        body,
        |tx, user, id, _: Vec<(String, String)>, now| commands::unlock(tx, user, id, now),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    cardgroup: String,
}

pub async fn move_to_group(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    card_form(
        office,
        headers,
        id,
        body,
        |tx, user, id, f: MoveForm, now| commands::move_to_group(tx, user, id, &f.cardgroup, now),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    text: String,
}

pub async fn correct(
    State(office): State<Office>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    card_form(
        office,
        headers,
        id,
        body,
        |tx, user, id, f: CorrectionForm, now| {
            let kind = Correction::parse(&f.kind)?;
            let amount = f.amount.trim();
            let amount = match amount.parse::<i64>() {
                Ok(a) => Some(a),
                Err(_) if amount.is_empty() => None,
                Err(_) => {
                    return Err(ApiError::bad_request(
                        "amount: must be a whole number of cents",
                    ));
                }
            };
            commands::correct(tx, user, id, kind, amount, &f.text, now).map(drop)
        },
    )
    .await
}

pub async fn cancel_booking(
    State(office): State<Office>,
    headers: HeaderMap,
    Path((id, ltx)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    card_form(
        office,
        headers,
        id,
        body,
        move |tx, user, id, _: Vec<(String, String)>, now| {
            commands::cancel_booking(tx, user, id, &ltx, now).map(drop)
        },
    )
    .await
}
