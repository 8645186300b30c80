//! The reports (office.md §2 "Reports"): the bookings of a period — one row per loyalty
//! transaction with its cash and bonus movements, read in chunks by TA code so that a long period
//! never holds more than one chunk in memory — and the end-of-day totals per device and day.

use std::collections::{BTreeMap, HashMap};

use loyalpos_domain::booking::BalanceKind;
use loyalpos_store::{LtxId, MerchantcardId, Tx};

use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
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

/// Checks that the user may pull this report (full card numbers are admin work) and records the
/// export in the audit trail.
pub fn begin_report(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
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
    audit(tx, user, "report_bookings", "bookings.csv", &detail, now)?;
    Ok(())
}

/// The report's rows after TA code `after`, at most [`REPORT_CHUNK`]; empty at the end.
pub fn bookings_chunk(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    period: ReportPeriod,
    after: i64,
) -> ApiResult<Vec<ReportLine>> {
    let ltxs = tx.ltxs_in_period(
        &user.merchant_id,
        period.from,
        period.to,
        after,
        REPORT_CHUNK,
    )?;
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
    use super::masked;

    #[test]
    fn a_card_number_keeps_only_its_bin_and_last_four_digits() {
        assert_eq!(masked("9276004429942845"), "927600******2845");
        assert_eq!(masked("123"), "***");
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

/// The end-of-day totals of the days `from..=to` (`YYYY-MM-DD`), by day, device and method. A
/// transaction counts on the day it was created; cancelled ones do not count.
pub fn end_of_day(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    from: &str,
    to: &str,
) -> ApiResult<Vec<EndOfDayLine>> {
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
    let mut lines: BTreeMap<(jiff::civil::Date, String, String), (i64, i64)> = BTreeMap::new();
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
    Ok(lines
        .into_iter()
        .map(|((day, device, method), (payments, amount))| EndOfDayLine {
            day,
            device,
            method,
            payments,
            amount,
        })
        .collect())
}
