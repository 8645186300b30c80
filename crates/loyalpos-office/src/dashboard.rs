//! The dashboard: today's and the last 30 days' figures, a bar per day (SVG, labelled on the bars
//! themselves), and the latest bookings, kept live by `live.js` from the event stream (push.md §3)
//! that `/office/live` relays for the signed-in user's merchant.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use loyalpos_app::office::dashboard::{self as commands, Dashboard, DayFigures};
use loyalpos_app::office::{self as office_commands};
use loyalpos_store::{LtxRow, MerchantId};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::Office;
use crate::lang::Lang;
use crate::pages::LangSwitch;
use crate::render::{Frame, html};

/// A booking as the dashboard lists it.
pub struct BookingLine {
    pub time: String,
    pub ta_code: i64,
    pub card_id: String,
    pub kind: String,
    pub amount: String,
    pub balance: String,
}

/// One figure in both columns.
pub struct Figure {
    pub label: &'static str,
    pub today: String,
    pub period: String,
}

/// One bar of the chart, in SVG units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub title: String,
    /// The day's label under the bar (every fifth day and today).
    pub label: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    frame: Frame,
    figures: Vec<Figure>,
    bars: Vec<Bar>,
    chart_max: String,
    bookings: Vec<BookingLine>,
}

const CHART_HEIGHT: i64 = 160;
const BAR_STEP: i64 = 20;

pub async fn dashboard(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(q): Query<LangSwitch>,
) -> Response {
    let visit = match office.visit(&headers, "/office/dashboard", q.lang()).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let user = visit.user().clone();
    let clock = office.clock.clone();
    let now = office.clock.now();
    let found = office
        .store
        .read(move |tx| {
            let figures = commands::dashboard(tx, &user, &clock, now)?;
            Ok::<_, loyalpos_app::ApiError>((figures, office_commands::recent_bookings(tx, &user)?))
        })
        .await;
    let (read, recent) = match found {
        Ok(found) => found,
        Err(e) => return visit.refused(&e),
    };
    if !read.newly_summed.is_empty() {
        let (user, clock) = (visit.user().clone(), office.clock.clone());
        let days = read.newly_summed;
        let kept = office
            .store
            .write(move |tx| commands::keep_days(tx, &user, &clock, &days))
            .await;
        // The page is right either way; unkept days are summed again next time.
        if let Err(e) = kept {
            tracing::warn!(error = %e.details, "the dashboard's ended days were not kept");
        }
    }
    let dashboard = read.dashboard;
    let lang = visit.lang;
    let (bars, chart_max) = chart(lang, &dashboard);
    let page = DashboardPage {
        frame: visit.frame(),
        figures: figures(lang, &dashboard),
        bars,
        chart_max,
        bookings: recent
            .iter()
            .map(|r| booking_line(&office, lang, r))
            .collect(),
    };
    html(200, &page)
}

fn booking_line(office: &Office, lang: Lang, r: &LtxRow) -> BookingLine {
    BookingLine {
        time: lang.time(&office.clock, r.created),
        ta_code: r.trans_id,
        card_id: r.merchantcard_id.to_string(),
        kind: r.description.clone(),
        amount: lang.money(r.amount.value(), &r.currency),
        balance: lang.money(r.balance.value(), &r.currency),
    }
}

/// The figures in EUR (the dashboard sums every card group; loyalpos merchants book in one
/// currency).
fn figures(lang: Lang, d: &Dashboard) -> Vec<Figure> {
    let t = lang.texts();
    let money = |f: fn(&DayFigures) -> i64| {
        (
            lang.money(f(d.today()), "EUR"),
            lang.money(f(&d.period), "EUR"),
        )
    };
    let mut rows = vec![
        (t.turnover, money(|f| f.turnover)),
        (
            t.bookings_count,
            (
                d.today().bookings.to_string(),
                d.period.bookings.to_string(),
            ),
        ),
        (t.bonus_granted, money(|f| f.bonus_granted)),
        (t.bonus_redeemed, money(|f| f.bonus_redeemed)),
        (t.cash_redeemed, money(|f| f.cash_redeemed)),
    ];
    rows.push((
        t.cards_in_use,
        (
            d.cards_in_use_today.to_string(),
            d.cards_in_use_period.to_string(),
        ),
    ));
    rows.push((
        t.new_cards,
        (
            d.new_cards_today.to_string(),
            d.new_cards_period.to_string(),
        ),
    ));
    rows.into_iter()
        .map(|(label, (today, period))| Figure {
            label,
            today,
            period,
        })
        .collect()
}

/// One bar per day of the turnover, scaled to the largest day.
fn chart(lang: Lang, d: &Dashboard) -> (Vec<Bar>, String) {
    let largest = d
        .days
        .iter()
        .map(|(_, f)| f.turnover)
        .max()
        .unwrap_or(0)
        .max(0);
    let max = largest.max(1);
    let last = d.days.len().saturating_sub(1);
    let bars = d
        .days
        .iter()
        .enumerate()
        .map(|(i, (day, f))| {
            let height = (f.turnover.max(0) * CHART_HEIGHT) / max;
            let date = match lang {
                Lang::De => day.strftime("%d.%m.").to_string(),
                Lang::En => day.strftime("%m-%d").to_string(),
            };
            Bar {
                x: i as i64 * BAR_STEP,
                y: CHART_HEIGHT - height,
                height,
                title: format!(
                    "{date}: {}, {} ×",
                    lang.money(f.turnover, "EUR"),
                    f.bookings
                ),
                label: (i % 5 == 0 || i == last).then_some(date),
            }
        })
        .collect();
    (bars, lang.money(largest, "EUR"))
}

/// The merchant's new loyalty transactions as they are booked, as Server-Sent Events of the
/// dashboard's row (`live.js` adds them to the list); other events are not sent.
pub async fn live(State(office): State<Office>, headers: HeaderMap) -> Response {
    let visit = match office.visit(&headers, "/office/dashboard", None).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let merchant = visit.user().merchant_id.clone();
    let events = bookings_of(office, visit.lang, merchant);
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn bookings_of(
    office: Office,
    lang: Lang,
    merchant: MerchantId,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let feed = office.store.subscribe_events();
    stream::unfold((feed, office), move |(mut feed, office)| {
        let merchant = merchant.clone();
        async move {
            loop {
                match feed.recv().await {
                    Ok(event) => {
                        let row = &event.row;
                        let booked = row.merchant_id == merchant
                            && row.target == loyalpos_app::events::LOYALTY_TRANSACTIONS
                            && row.kind == "added";
                        if !booked {
                            continue;
                        }
                        let Some(line) = live_line(&office, lang, &row.data) else {
                            continue;
                        };
                        let event = Event::default().event("booking").data(line.to_string());
                        return Some((Ok(event), (feed, office)));
                    }
                    // A dashboard that fell behind misses rows, not the page: it goes on.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    })
    // Fused: a body wrapper (the compression layer) may poll again after the end.
    .fuse()
}

/// The dashboard's row of a loyalty transaction from its event data (the API's view).
fn live_line(office: &Office, lang: Lang, data: &str) -> Option<Value> {
    let ltx: Value = serde_json::from_str(data).ok()?;
    let currency = ltx["currency"].as_str().unwrap_or("EUR");
    let created = office.clock.parse(ltx["created"].as_str()?)?;
    Some(json!({
        "time": lang.time(&office.clock, created),
        "ta_code": ltx["trans_id"],
        "card": ltx["merchantcard"]["id"],
        "kind": ltx["description"],
        "amount": lang.money(ltx["amount"].as_i64()?, currency),
        "balance": lang.money(ltx["balance"].as_i64()?, currency),
    }))
}
