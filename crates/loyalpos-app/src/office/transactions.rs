//! The transactions pages (office.md §2 "Transactions"): the merchant's Smart Transactions with
//! filters, one transaction with its bookings, and cancelling it where the API allows — through
//! `smart::cancel`, with an audit entry.

use loyalpos_domain::status::{Action, StxStatus, Transition, check};
use loyalpos_store::{Field, Filter, ListQuery, LtxRow, Page, Scalar, Tx};

use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::office::{OfficeUser, audit};
use crate::smart::{self, SmartTransaction};

/// Transactions on one page.
pub const TRANSACTIONS_PAGE: u64 = 25;

/// The filters as the page's form sends them; an empty field does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    /// A status word (`created`, `ok`, …).
    pub status: String,
    /// A calendar day `YYYY-MM-DD` of the installation's zone.
    pub day: String,
    /// A device id (`SDV_…`).
    pub device: String,
    /// A store id (`STO_…`).
    pub store: String,
    /// A card number: the transactions that booked on the card.
    pub card: String,
    /// The basket's sum, at least / at most (an amount like `7,96` or `7.96`).
    pub min: String,
    pub max: String,
}

impl TransactionFilter {
    /// The store's condition; a field that does not read answers 400 naming it.
    pub fn condition(&self, clock: &Clock) -> ApiResult<Filter> {
        let mut all = Vec::new();
        if let Some(status) = given(&self.status) {
            let status = StxStatus::parse(status)
                .map_err(|_| ApiError::bad_request("status: not a transaction status"))?;
            all.push(Filter::Eq(Field::Status, text(status.as_str())));
        }
        if let Some(day) = given(&self.day) {
            let (from, to) = clock
                .days(day, day)
                .ok_or_else(|| ApiError::bad_request("day: must be a date YYYY-MM-DD"))?;
            let range = Filter::Range(
                Field::Created,
                Some(Scalar::Int(from)),
                Some(Scalar::Int(to - 1)),
            );
            all.push(range);
        }
        if let Some(device) = given(&self.device) {
            all.push(Filter::Eq(Field::DeviceId, text(device)));
        }
        if let Some(store) = given(&self.store) {
            all.push(Filter::Eq(Field::StoreId, text(store)));
        }
        if let Some(card) = given(&self.card) {
            let digits: String = card.chars().filter(|c| !c.is_whitespace()).collect();
            all.push(Filter::Eq(Field::CardNumber, Scalar::Text(digits)));
        }
        let min = given(&self.min)
            .map(|m| parse_amount(m, "min"))
            .transpose()?;
        let max = given(&self.max)
            .map(|m| parse_amount(m, "max"))
            .transpose()?;
        if min.is_some() || max.is_some() {
            let range = Filter::Range(Field::Amount, min.map(Scalar::Int), max.map(Scalar::Int));
            all.push(range);
        }
        Ok(Filter::And(all))
    }
}

fn given(field: &str) -> Option<&str> {
    Some(field.trim()).filter(|f| !f.is_empty())
}

fn text(s: &str) -> Scalar {
    Scalar::Text(s.to_owned())
}

/// An amount as staff type it — `7`, `7,96`, `7.96`, `7,9` — in cents. At most two decimals and
/// no thousands separators, so that `1.234` is refused rather than read as 1.23 or 1234.
pub fn parse_amount(text: &str, field: &str) -> ApiResult<i64> {
    let refused = || ApiError::bad_request(format!("{field}: must be an amount like 7,96"));
    let text = text.trim();
    let (units, decimals) = match text.split_once([',', '.']) {
        Some((units, decimals)) => (units, decimals),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !all_digits(units) || !all_digits(decimals) || decimals.len() > 2 {
        return Err(refused());
    }
    let units: i64 = units.parse().map_err(|_| refused())?;
    let cents = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().map_err(|_| refused())? * 10,
        _ => decimals.parse::<i64>().map_err(|_| refused())?,
    };
    units
        .checked_mul(100)
        .and_then(|c| c.checked_add(cents))
        .ok_or_else(refused)
}

/// One page of the list; `more` tells whether another page follows.
pub struct TransactionsPage {
    pub transactions: Vec<SmartTransaction>,
    pub more: bool,
}

/// Page `page` (from 0) of the merchant's transactions that pass the filter, newest first. Only
/// the page (and one row more, to know whether another follows) is read; nothing is counted.
pub fn list(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    filter: &TransactionFilter,
    page: u32,
    clock: &Clock,
    now: i64,
) -> ApiResult<TransactionsPage> {
    let condition = filter.condition(clock)?;
    let query = ListQuery {
        filter: Some(&condition),
        page: Some(Page {
            offset: u64::from(page) * TRANSACTIONS_PAGE,
            count: TRANSACTIONS_PAGE + 1,
            total: false,
        }),
    };
    let mut transactions = smart::list(tx, &user.principal(), query, now)?.rows;
    let more = transactions.len() as u64 > TRANSACTIONS_PAGE;
    transactions.truncate(TRANSACTIONS_PAGE as usize);
    Ok(TransactionsPage { transactions, more })
}

/// A transaction's page: the transaction, its loyalty transactions (oldest first: the booking,
/// then its cancellation) and whether the API would cancel it now.
pub struct TransactionDetail {
    pub transaction: SmartTransaction,
    pub bookings: Vec<LtxRow>,
    pub cancellable: bool,
}

pub fn detail(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    now: i64,
) -> ApiResult<TransactionDetail> {
    let transaction = smart::get(tx, &user.principal(), id, now)?;
    let of_this = Filter::Eq(
        Field::SmartTransactionId,
        Scalar::Text(transaction.row.id.to_string()),
    );
    let query = ListQuery {
        filter: Some(&of_this),
        page: None,
    };
    let mut bookings = tx.list_ltxs(&user.merchant_id, query)?.rows;
    bookings.reverse();
    let cancellable = matches!(
        check(&Action::Cancel, transaction.row.status, None),
        Ok(Transition::Proceed)
    );
    Ok(TransactionDetail {
        transaction,
        bookings,
        cancellable,
    })
}

/// Cancels the transaction as `POST …/cancel` does (after `ok` its booking is reversed).
pub fn cancel(tx: &mut dyn Tx, user: &OfficeUser, id: &str, now: i64) -> ApiResult<()> {
    let before = smart::get(tx, &user.principal(), id, now)?.row.status;
    let after = smart::cancel(tx, &user.principal(), id, now)?;
    let detail = format!("{} → {}", before.as_str(), after.row.status.as_str());
    audit(
        tx,
        user,
        "transaction_cancel",
        &after.row.id.to_string(),
        &detail,
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_comma_or_point_and_at_most_two_decimals() {
        assert_eq!(parse_amount("7", "min").unwrap(), 700);
        assert_eq!(parse_amount("7,96", "min").unwrap(), 796);
        assert_eq!(parse_amount(" 7.96 ", "min").unwrap(), 796);
        assert_eq!(parse_amount("7,9", "min").unwrap(), 790);
        assert_eq!(parse_amount("0,05", "min").unwrap(), 5);
        assert_eq!(parse_amount("12,", "min").unwrap(), 1200);
        for bad in [
            "",
            ",50",
            "1.234,56",
            "1,234",
            "-5",
            "7 €",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad, "min").is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn empty_fields_do_not_filter_and_bad_ones_name_the_field() {
        let clock = Clock::new(jiff::tz::TimeZone::UTC);
        let none = TransactionFilter::default().condition(&clock).unwrap();
        assert_eq!(none, Filter::And(vec![]));
        let bad_status = TransactionFilter {
            status: "paid".into(),
            ..Default::default()
        };
        let err = bad_status.condition(&clock).unwrap_err();
        assert!(err.details.contains("status"), "{}", err.details);
        let bad_day = TransactionFilter {
            day: "3.12.2026".into(),
            ..Default::default()
        };
        assert!(bad_day.condition(&clock).is_err());
    }

    #[test]
    fn a_day_is_the_zones_calendar_day_and_the_card_number_loses_its_spaces() {
        let clock = Clock::new(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        let filter = TransactionFilter {
            day: "2026-12-03".into(),
            card: "9276 0040 0001 0002".into(),
            ..Default::default()
        };
        let Filter::And(parts) = filter.condition(&clock).unwrap() else {
            panic!("a conjunction")
        };
        // 2026-12-03 00:00 CET = 2026-12-02 23:00 UTC.
        let from = 1_796_252_400;
        assert_eq!(
            parts[0],
            Filter::Range(
                Field::Created,
                Some(Scalar::Int(from)),
                Some(Scalar::Int(from + 86_400 - 1))
            )
        );
        assert_eq!(
            parts[1],
            Filter::Eq(Field::CardNumber, Scalar::Text("9276004000010002".into()))
        );
    }
}
