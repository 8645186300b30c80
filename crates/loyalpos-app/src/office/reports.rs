//! The reports (office.md §2 "Reports"): the bookings of a period — one row per loyalty
//! transaction with its cash and bonus movements, read in chunks by TA code so that a long period
//! never holds more than one chunk in memory — and the end-of-day totals per device and day.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use loyalpos_domain::booking::BalanceKind;
use loyalpos_store::{DayPaymentsRow, LtxId, MerchantcardId, PaymentDay, Tx};

use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::office::dashboard::SETTLED_AFTER;
use crate::office::{OfficeUser, audit};

/// Loyalty transactions per chunk.
pub const REPORT_CHUNK: i64 = 2000;

/// One booking row of the report.
#[derive(Debug, Clone)]
pub struct ReportLine {
    pub created: i64,
    pub store: String,
    pub tid: String,
    /// Masked to BIN and last four digits unless full numbers were asked for.
    pub card: String,
    pub ta_code: i64,
    pub kind: String,
    pub amount: i64,
    pub cash: i64,
    pub bonus: i64,
    pub balance_after: i64,
    pub currency: String,
    pub smart_transaction: String,
}

/// What the report covers.
#[derive(Debug, Clone, Copy)]
pub struct ReportPeriod {
    pub from: i64,
    pub to: i64,
    pub full_numbers: bool,
}

/// How the bookings report is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportForm {
    Csv,
    /// The printable page, one page of [`BOOKINGS_PAGE`] rows at a time.
    Page,
}

impl ReportForm {
    fn as_str(self) -> &'static str {
        match self {
            ReportForm::Csv => "bookings.csv",
            ReportForm::Page => "bookings page",
        }
    }
}

/// Checks that the user may pull this report (full card numbers are admin work) and records the
/// export in the audit trail.
pub fn begin_report(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
    form: ReportForm,
    now: i64,
) -> ApiResult<()> {
    if period.full_numbers {
        user.require_admin()?;
    }
    let numbers = if period.full_numbers {
        "full"
    } else {
        "masked"
    };
    let detail = format!("{}..{} card numbers {numbers}", period.from, period.to);
    audit(tx, user, "report_bookings", form.as_str(), &detail, now)?;
    Ok(())
}

/// The report's rows after TA code `after`, at most [`REPORT_CHUNK`]; empty at the end.
pub fn bookings_chunk(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
    after: i64,
) -> ApiResult<Vec<ReportLine>> {
    bookings_after(tx, user, period, after, REPORT_CHUNK)
}

/// Rows on one printable page of the bookings report.
pub const BOOKINGS_PAGE: i64 = 500;

/// One printable page of the bookings report: its rows, their sums per currency, and the TA code
/// the next page starts after (`None` on the last page).
#[derive(Debug, Clone)]
pub struct BookingsPage {
    pub lines: Vec<ReportLine>,
    /// `(currency, cash, bonus)` summed over the page's rows.
    pub sums: Vec<(String, i64, i64)>,
    pub next_after: Option<i64>,
}

/// The page of the report after TA code `after` (keyset pagination: one page and one row more
/// are read).
pub fn bookings_page(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
    after: i64,
) -> ApiResult<BookingsPage> {
    let mut lines = bookings_after(tx, user, period, after, BOOKINGS_PAGE + 1)?;
    let more = lines.len() as i64 > BOOKINGS_PAGE;
    lines.truncate(BOOKINGS_PAGE as usize);
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for line in &lines {
        let sum = sums.entry(line.currency.clone()).or_default();
        sum.0 += line.cash;
        sum.1 += line.bonus;
    }
    Ok(BookingsPage {
        next_after: lines.last().filter(|_| more).map(|l| l.ta_code),
        sums: sums
            .into_iter()
            .map(|(currency, (cash, bonus))| (currency, cash, bonus))
            .collect(),
        lines,
    })
}

fn bookings_after(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<ReportLine>> {
    let ltxs = tx.ltxs_in_period(&user.merchant_id, period.from, period.to, after, limit)?;
    let ids: Vec<LtxId> = ltxs.iter().map(|l| l.id.clone()).collect();
    let mut moved: HashMap<LtxId, (i64, i64)> = HashMap::new();
    for booking in tx.bookings_of_ltxs(&ids)? {
        let entry = moved.entry(booking.ltx_id).or_default();
        match booking.balance_kind {
            BalanceKind::Cash => entry.0 += booking.amount,
            BalanceKind::Bonus => entry.1 += booking.amount,
            BalanceKind::Points => {}
        }
    }
    let mut cards: Vec<MerchantcardId> = ltxs.iter().map(|l| l.merchantcard_id.clone()).collect();
    cards.sort();
    cards.dedup();
    let numbers: HashMap<String, String> = tx.card_numbers(&cards)?.into_iter().collect();
    let stores: HashMap<String, String> = tx
        .stores(&user.merchant_id)?
        .into_iter()
        .map(|s| (s.id.to_string(), s.name))
        .collect();
    Ok(ltxs
        .into_iter()
        .map(|l| {
            let (cash, bonus) = moved.get(&l.id).copied().unwrap_or_default();
            let number = numbers
                .get(l.merchantcard_id.as_str())
                .cloned()
                .unwrap_or_default();
            ReportLine {
                created: l.created,
                store: l
                    .store_id
                    .as_ref()
                    .and_then(|s| stores.get(s.as_str()).cloned())
                    .unwrap_or_default(),
                tid: l.tid.unwrap_or_default(),
                card: if period.full_numbers {
                    number
                } else {
                    masked(&number)
                },
                ta_code: l.trans_id,
                kind: l.description,
                amount: l.amount.value(),
                cash,
                bonus,
                balance_after: l.balance.value(),
                currency: l.currency,
                smart_transaction: l
                    .smart_transaction_id
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// A card number as the report shows it by default: the BIN (first six digits) and the last four.
pub fn masked(number: &str) -> String {
    if number.len() < 10 || !number.is_ascii() {
        return "*".repeat(number.len());
    }
    let hidden = "*".repeat(number.len() - 10);
    format!("{}{hidden}{}", &number[..6], &number[number.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::{EndOfDayLine, MethodTotal, masked, method_totals};

    #[test]
    fn a_card_number_keeps_only_its_bin_and_last_four_digits() {
        assert_eq!(masked("9276004429942845"), "927600******2845");
        assert_eq!(masked("123"), "***");
    }

    fn line(day: &str, device: &str, method: &str, payments: i64, amount: i64) -> EndOfDayLine {
        EndOfDayLine {
            day: day.parse().unwrap(),
            device: device.into(),
            method: method.into(),
            payments,
            amount,
        }
    }

    #[test]
    fn end_of_day_totals_add_every_day_and_device_of_a_method() {
        let lines = [
            line("2026-12-01", "SDV_A", "cash", 3, 1_250),
            line("2026-12-01", "SDV_B", "cashless", 1, 999),
            line("2026-12-02", "SDV_A", "cash", 2, -300),
            line("2026-12-02", "SDV_B", "cash", 1, 5),
        ];
        let total = |method: &str, payments, amount| MethodTotal {
            method: method.into(),
            payments,
            amount,
        };
        assert_eq!(
            method_totals(&lines),
            vec![total("cash", 6, 955), total("cashless", 1, 999)]
        );
        assert!(method_totals(&[]).is_empty());
    }
}

/// Days the end-of-day report covers at most (a loyalpos rule: its read stays bounded).
pub const END_OF_DAY_DAYS: i64 = 31;

/// One device's completed payments of one calendar day (of the installation's zone) by one
/// payment method: what the device's `endOfDay` totals for `cashless` (api.md §8.11), and the
/// same for the other methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfDayLine {
    pub day: jiff::civil::Date,
    pub device: String,
    pub method: String,
    pub payments: i64,
    pub amount: i64,
}

/// One payment method's total over the report's whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodTotal {
    pub method: String,
    pub payments: i64,
    pub amount: i64,
}

/// What the end-of-day report read: its lines, and the ended days it had to sum because none
/// were kept (for [`keep_payment_days`], in a write).
pub struct EndOfDayRead {
    pub lines: Vec<EndOfDayLine>,
    pub newly_summed: Option<SummedDays>,
}

impl EndOfDayRead {
    /// The totals per payment method over the whole period.
    pub fn totals(&self) -> Vec<MethodTotal> {
        method_totals(&self.lines)
    }
}

/// The totals per payment method (in the methods' order) of a report's lines.
fn method_totals(lines: &[EndOfDayLine]) -> Vec<MethodTotal> {
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for line in lines {
        let total = totals.entry(line.method.as_str()).or_default();
        total.0 += line.payments;
        total.1 += line.amount;
    }
    totals
        .into_iter()
        .map(|(method, (payments, amount))| MethodTotal {
            method: method.to_owned(),
            payments,
            amount,
        })
        .collect()
}

/// Ended days summed by a report, with the merchant's generation read before the sums.
pub struct SummedDays {
    generation: i64,
    days: Vec<PaymentDay>,
    payments: Vec<DayPaymentsRow>,
}

type LineKey = (Date, String, String);

/// The end-of-day totals of the days `from..=to` (`YYYY-MM-DD`), by day, device and method. A
/// transaction counts on the day it was created; cancelled ones do not count. Ended days come from
/// the kept sums (`office_day_payments`); the others are summed from the transactions.
pub fn end_of_day(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    from: &str,
    to: &str,
    now: i64,
) -> ApiResult<EndOfDayRead> {
    let (start, end) = clock.days(from, to).ok_or_else(|| {
        ApiError::bad_request("from, to: two dates YYYY-MM-DD, from not after to")
    })?;
    // Calendar days, not 86,400 s: a day with a clock change is 23 or 25 hours long.
    let first = clock.zoned(start).date();
    let last = clock.zoned(end - 1).date();
    if (last - first).get_days() >= END_OF_DAY_DAYS as i32 {
        return Err(ApiError::bad_request(format!(
            "from, to: at most {END_OF_DAY_DAYS} days"
        )));
    }
    // Read before the sums: a change after this read makes the sums unfit for keeping.
    let generation = tx.payment_generation(&user.merchant_id)?;
    let zone = clock.zone_name();
    let (kept_days, kept) = tx.kept_payment_days(
        &user.merchant_id,
        &zone,
        &first.to_string(),
        &last.to_string(),
    )?;
    let mut lines: BTreeMap<LineKey, (i64, i64)> = BTreeMap::new();
    for row in kept {
        let day: Date = row
            .day
            .parse()
            .map_err(|e| ApiError::internal(format!("kept day {}: {e}", row.day)))?;
        lines.insert((day, row.device_id, row.method), (row.payments, row.amount));
    }
    let mut summed = SummedDays {
        generation,
        days: Vec::new(),
        payments: Vec::new(),
    };
    let mut day = first;
    while day <= last {
        if !kept_days.contains(&day.to_string()) {
            let (day_start, day_end) = clock
                .days(&day.to_string(), &day.to_string())
                .ok_or_else(|| ApiError::internal(format!("day {day} is not in the zone")))?;
            let day_lines = sum_payments(tx, user, clock, day_start, day_end)?;
            if day_end + SETTLED_AFTER <= now {
                summed.days.push(PaymentDay {
                    day: day.to_string(),
                    start: day_start,
                    end: day_end,
                });
                summed.payments.extend(day_lines.iter().map(
                    |((d, device, method), (n, amount))| DayPaymentsRow {
                        day: d.to_string(),
                        device_id: device.clone(),
                        method: method.clone(),
                        payments: *n,
                        amount: *amount,
                    },
                ));
            }
            lines.extend(day_lines);
        }
        day = day
            .tomorrow()
            .map_err(|e| ApiError::internal(e.to_string()))?;
    }
    Ok(EndOfDayRead {
        lines: lines
            .into_iter()
            .map(|((day, device, method), (payments, amount))| EndOfDayLine {
                day,
                device,
                method,
                payments,
                amount,
            })
            .collect(),
        newly_summed: (!summed.days.is_empty()).then_some(summed),
    })
}

/// The payments created in `[start, end)`, per calendar day of the zone, device and method.
fn sum_payments(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    start: i64,
    end: i64,
) -> ApiResult<BTreeMap<LineKey, (i64, i64)>> {
    let mut lines: BTreeMap<LineKey, (i64, i64)> = BTreeMap::new();
    for hour in tx.payments_per_hour(&user.merchant_id, start, end)? {
        let key = (
            clock.zoned(hour.hour * 3600).date(),
            hour.device_id.unwrap_or_default(),
            hour.method.unwrap_or_default(),
        );
        let line = lines.entry(key).or_default();
        line.0 += hour.payments;
        line.1 += hour.amount;
    }
    Ok(lines)
}

/// Keeps the ended days a report had to sum, unless a transaction changed since it read them
/// (then they are summed again next time); whether they were kept.
pub fn keep_payment_days(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    summed: &SummedDays,
) -> ApiResult<bool> {
    Ok(tx.keep_payment_days(
        &user.merchant_id,
        &clock.zone_name(),
        summed.generation,
        &summed.days,
        &summed.payments,
    )?)
}
