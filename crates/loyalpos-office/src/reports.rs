//! The reports page, the bookings CSV — one row per booking of a period, amounts in the page's
//! language, card numbers masked unless an admin asks for full numbers — and the end-of-day
//! totals per device and day, as a printable page and as CSV.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use loyalpos_app::ApiError;
use loyalpos_app::office::OfficeUser;
use loyalpos_app::office::reports::{
    self as commands, EndOfDayRead, ReportForm, ReportLine, ReportPeriod,
};
use loyalpos_store::Tx;
use serde::Deserialize;

use crate::Office;
use crate::lang::Lang;
use crate::render::{Frame, html};

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    frame: Frame,
    today: String,
    month_start: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportsQuery {
    lang: Option<String>,
}

pub async fn reports(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<ReportsQuery>,
) -> Response {
    let switch = query.lang.as_deref().and_then(Lang::parse);
    let visit = match office.visit(&headers, "/office/reports", switch).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let today = office.clock.zoned(office.clock.now()).date();
    html(
        200,
        &ReportsPage {
            frame: visit.frame(),
            today: today.to_string(),
            month_start: today.first_of_month().to_string(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct BookingsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    full: Option<String>,
    lang: Option<String>,
    /// The printable page starts after this TA code.
    #[serde(default)]
    after: i64,
}

impl BookingsQuery {
    fn link(&self, after: Option<i64>) -> String {
        let mut pairs = vec![("from", self.from.clone()), ("to", self.to.clone())];
        if self.full.is_some() {
            pairs.push(("full", "1".to_owned()));
        }
        if let Some(after) = after {
            pairs.push(("after", after.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Checks the period and the user's right to it, and audits the export; the period on success.
async fn begin_bookings(
    office: &Office,
    visit: &crate::session::Visit,
    query: &BookingsQuery,
    form: ReportForm,
) -> Result<ReportPeriod, Response> {
    let Some((from, to)) = office.clock.days(&query.from, &query.to) else {
        let err = ApiError::bad_request("from, to: two dates YYYY-MM-DD, from not after to");
        return Err(visit.refused(&err));
    };
    let period = ReportPeriod {
        from,
        to,
        full_numbers: query.full.is_some(),
    };
    let user = visit.user().clone();
    let now = office.clock.now();
    office
        .store
        .write(move |tx| commands::begin_report(tx, &user, period, form, now))
        .await
        .map_err(|e| visit.refused(&e))?;
    Ok(period)
}

/// One line of the printable bookings page.
pub struct BookingRow {
    pub time: String,
    pub store: String,
    pub tid: String,
    pub card: String,
    pub ta_code: i64,
    pub kind: String,
    pub cash: String,
    pub bonus: String,
    pub balance_after: String,
}

#[derive(Template)]
#[template(path = "bookings.html")]
struct BookingsReportPage {
    frame: Frame,
    from: String,
    to: String,
    rows: Vec<BookingRow>,
    /// `(currency, cash, bonus)` over this page's rows.
    sums: Vec<(String, String, String)>,
    csv: String,
    next: Option<String>,
}

/// The bookings of a period as a page made for printing, [`commands::BOOKINGS_PAGE`] rows a page.
pub async fn bookings(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<BookingsQuery>,
) -> Response {
    let switch = query.lang.as_deref().and_then(Lang::parse);
    let visit = match office.visit(&headers, "/office/reports", switch).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let period = match begin_bookings(&office, &visit, &query, ReportForm::Page).await {
        Ok(period) => period,
        Err(refused) => return refused,
    };
    let (user, after) = (visit.user().clone(), query.after);
    let read = move |tx: &mut dyn Tx| commands::bookings_page(tx, &user, period, after);
    let page = match office.store.read(read).await {
        Ok(page) => page,
        Err(e) => return visit.refused(&e),
    };
    let lang = visit.lang;
    let money = |cents: i64, currency: &str| lang.money(cents, currency);
    let rows = page
        .lines
        .iter()
        .map(|l| BookingRow {
            time: lang.time(&office.clock, l.created),
            store: l.store.clone(),
            tid: l.tid.clone(),
            card: l.card.clone(),
            ta_code: l.ta_code,
            kind: l.kind.clone(),
            cash: money(l.cash, &l.currency),
            bonus: money(l.bonus, &l.currency),
            balance_after: money(l.balance_after, &l.currency),
        })
        .collect();
    let report = BookingsReportPage {
        frame: visit.frame(),
        from: query.from.clone(),
        to: query.to.clone(),
        rows,
        sums: page
            .sums
            .iter()
            .map(|(currency, cash, bonus)| {
                (
                    currency.clone(),
                    money(*cash, currency),
                    money(*bonus, currency),
                )
            })
            .collect(),
        csv: format!("/office/reports/bookings.csv?{}", query.link(None)),
        next: page
            .next_after
            .map(|after| format!("/office/reports/bookings?{}", query.link(Some(after)))),
    };
    html(200, &report)
}

pub async fn bookings_csv(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<BookingsQuery>,
) -> Response {
    let visit = match office.visit(&headers, "/office/reports", None).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let period = match begin_bookings(&office, &visit, &query, ReportForm::Csv).await {
        Ok(period) => period,
        Err(refused) => return refused,
    };
    let name = format!("bookings-{}-{}.csv", query.from.trim(), query.to.trim());
    let body = Body::from_stream(csv(office, visit.user().clone(), visit.lang, period));
    csv_download(&name, body)
}

/// A CSV answer the browser saves as `file_name` (only printable ASCII is kept of it).
pub fn csv_download(file_name: &str, body: impl Into<Body>) -> Response {
    let file_name = file_name.replace(|c: char| !c.is_ascii_graphic() || c == '"', "");
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response()
}

/// The CSV as it is read: the header, then one piece per chunk of the period, each chunk one read
/// of the store — a long period never sits in memory. A read that fails ends the download early
/// (its status is already sent) and is logged.
fn csv(
    office: Office,
    user: OfficeUser,
    lang: Lang,
    period: ReportPeriod,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let head = stream::once(async move { Ok(Bytes::from_static(header(lang).as_bytes())) });
    let rows = stream::unfold(Some(0), move |after| {
        let (office, user) = (office.clone(), user.clone());
        async move {
            let after = after?;
            let reader = user.clone();
            let chunk = office
                .store
                .read(move |tx| commands::bookings_chunk(tx, &reader, period, after))
                .await;
            match chunk {
                Ok(chunk) if chunk.is_empty() => None,
                Ok(chunk) => {
                    let mut out = String::new();
                    for line in &chunk {
                        row(&office, lang, line, &mut out);
                    }
                    let next = chunk.last().map(|l| l.ta_code);
                    Some((Ok(Bytes::from(out)), next))
                }
                Err(e) => {
                    tracing::error!(error = %e.details, user = %user.username, "the bookings CSV stopped early");
                    Some((Err(std::io::Error::other(e.details)), None))
                }
            }
        }
    });
    // Fused: a body wrapper (the compression layer) may poll again after the end.
    head.chain(rows).fuse()
}

fn header(lang: Lang) -> &'static str {
    match lang {
        Lang::De => {
            "Zeit;Filiale;Terminal;Karte;TA-Code;Art;Betrag;Bargeld;Bonus;Saldo danach;Währung;Smart-Transaktion\r\n"
        }
        Lang::En => {
            "Time;Store;Terminal;Card;TA code;Kind;Amount;Cash;Bonus;Balance after;Currency;Smart transaction\r\n"
        }
    }
}

fn row(office: &Office, lang: Lang, line: &ReportLine, out: &mut String) {
    let time = office
        .clock
        .zoned(line.created)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let fields = [
        time,
        text(&line.store),
        text(&line.tid),
        line.card.clone(),
        line.ta_code.to_string(),
        text(&line.kind),
        decimal(lang, line.amount),
        decimal(lang, line.cash),
        decimal(lang, line.bonus),
        decimal(lang, line.balance_after),
        text(&line.currency),
        line.smart_transaction.clone(),
    ];
    out.push_str(&fields.join(";"));
    out.push_str("\r\n");
}

/// An amount in cents as a decimal number: `1234,56` in German, `1234.56` in English.
fn decimal(lang: Lang, cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let separator = match lang {
        Lang::De => ',',
        Lang::En => '.',
    };
    format!("{sign}{}{separator}{:02}", abs / 100, abs % 100)
}

/// A text field: quoted when it holds the separator, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is neutralised so that a spreadsheet never reads it as a formula.
fn text(value: &str) -> String {
    let value = match value.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_numbers_in_the_pages_language() {
        assert_eq!(decimal(Lang::De, 123_456), "1234,56");
        assert_eq!(decimal(Lang::En, -5), "-0.05");
    }

    #[test]
    fn text_fields_are_quoted_and_never_read_as_formulas() {
        assert_eq!(text("Bäckerei; Filiale 2"), "\"Bäckerei; Filiale 2\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("Aufladung"), "Aufladung");
    }
}

/// One line of the end-of-day report as shown.
pub struct EndOfDayRow {
    pub day: String,
    pub device: String,
    pub method: String,
    pub payments: i64,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "end_of_day.html")]
struct EndOfDayPage {
    frame: Frame,
    from: String,
    to: String,
    rows: Vec<EndOfDayRow>,
    /// Per payment method over the whole period: (method, payments, amount).
    totals: Vec<(String, i64, String)>,
    csv: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct EndOfDayQuery {
    lang: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The lines of the end-of-day report, read as the signed-in user.
async fn end_of_day_lines(
    office: &Office,
    headers: &HeaderMap,
    path: &str,
    query: &EndOfDayQuery,
) -> Result<(crate::session::Visit, EndOfDayRead), Response> {
    let (from, to, clock) = (query.from.clone(), query.to.clone(), office.clock.clone());
    let now = clock.now();
    let read = move |tx: &mut dyn Tx, user: &OfficeUser| {
        commands::end_of_day(tx, user, &clock, &from, &to, now)
    };
    let (visit, mut read) = office
        .read_page(headers, path, query.lang.as_deref(), read)
        .await?;
    if let Some(summed) = read.newly_summed.take() {
        let (user, clock) = (visit.user().clone(), office.clock.clone());
        let kept = office
            .store
            .write(move |tx| commands::keep_payment_days(tx, &user, &clock, &summed))
            .await;
        // The report is right either way; days not kept are summed again next time.
        if let Err(e) = kept {
            tracing::warn!(error = %e.details, "the end-of-day report's ended days were not kept");
        }
    }
    Ok((visit, read))
}

/// The end-of-day totals as a page made for printing (the navigation and forms are not printed).
pub async fn end_of_day(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<EndOfDayQuery>,
) -> Response {
    let path = "/office/reports/end-of-day";
    let (visit, read) = match end_of_day_lines(&office, &headers, path, &query).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = visit.lang;
    let page = EndOfDayPage {
        frame: visit.frame(),
        from: query.from.clone(),
        to: query.to.clone(),
        rows: read
            .lines
            .iter()
            .map(|l| EndOfDayRow {
                day: l.day.to_string(),
                device: l.device.clone(),
                method: l.method.clone(),
                payments: l.payments,
                amount: lang.money(l.amount, "EUR"),
            })
            .collect(),
        totals: read
            .totals()
            .iter()
            .map(|t| (t.method.clone(), t.payments, lang.money(t.amount, "EUR")))
            .collect(),
        csv: format!(
            "/office/reports/end-of-day.csv?{}",
            serde_urlencoded::to_string([("from", &query.from), ("to", &query.to)])
                .unwrap_or_default()
        ),
    };
    html(200, &page)
}

/// The same totals as CSV (`;`, amounts as decimals in the page's language).
pub async fn end_of_day_csv(
    State(office): State<Office>,
    headers: HeaderMap,
    Query(query): Query<EndOfDayQuery>,
) -> Response {
    let path = "/office/reports/end-of-day";
    let (visit, read) = match end_of_day_lines(&office, &headers, path, &query).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let mut csv = String::from("day;device;payment_method;payments;amount\r\n");
    for l in &read.lines {
        let amount = decimal(visit.lang, l.amount);
        let line = format!(
            "{};{};{};{};{amount}\r\n",
            l.day, l.device, l.method, l.payments
        );
        csv.push_str(&line);
    }
    let name = format!("end-of-day-{}-{}.csv", query.from.trim(), query.to.trim());
    csv_download(&name, csv)
}
