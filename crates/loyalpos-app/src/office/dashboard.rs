//! The dashboard's figures (office.md §2 "Dashboard"): today and the last 30 days — turnover
//! through loyalty cards, bookings, bonus granted, bonus and cash redeemed, cards in use, new cards —
//! with one bar per day. Sums are read per hour from the database and put into the installation's
//! days here, so that a day is a calendar day of the zone, also on the days the clocks change.

use std::collections::BTreeMap;

use jiff::civil::Date;
use loyalpos_domain::booking::BookingType;
use loyalpos_store::Tx;

use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::office::OfficeUser;

/// Days the dashboard covers, today included.
pub const DAYS: i64 = 30;

/// One calendar day's figures, in cents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub turnover: i64,
    pub bookings: i64,
    pub bonus_granted: i64,
    pub bonus_redeemed: i64,
    pub cash_redeemed: i64,
}

impl DayFigures {
    fn add(&mut self, other: &DayFigures) {
        self.turnover += other.turnover;
        self.bookings += other.bookings;
        self.bonus_granted += other.bonus_granted;
        self.bonus_redeemed += other.bonus_redeemed;
        self.cash_redeemed += other.cash_redeemed;
    }
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The last [`DAYS`] days, oldest first; the last is today.
    pub days: Vec<(Date, DayFigures)>,
    pub period: DayFigures,
    pub cards_in_use_today: i64,
    pub cards_in_use_period: i64,
    pub new_cards_today: i64,
    pub new_cards_period: i64,
}

impl Dashboard {
    pub fn today(&self) -> &DayFigures {
        &self.days.last().expect("the dashboard has days").1
    }
}

pub fn dashboard(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    now: i64,
) -> ApiResult<Dashboard> {
    let today = clock.zoned(now).date();
    let first = today
        .checked_sub(jiff::Span::new().days(DAYS - 1))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let window = |from: Date| clock.days(&from.to_string(), &today.to_string());
    let ((since, _), (today_start, _)) = window(first)
        .zip(window(today))
        .ok_or_else(|| ApiError::internal("the dashboard's days do not exist in the zone"))?;
    let mut per_day: BTreeMap<Date, DayFigures> = (0..DAYS)
        .filter_map(|i| first.checked_add(jiff::Span::new().days(i)).ok())
        .map(|d| (d, DayFigures::default()))
        .collect();
    let day_of = |hour: i64| clock.zoned(hour * 3600).date();
    for hour in tx.transactions_per_hour(&user.merchant_id, since)? {
        if let Some(day) = per_day.get_mut(&day_of(hour.hour)) {
            day.turnover += hour.revenue;
            day.bookings += hour.bookings;
        }
    }
    for hour in tx.bookings_per_hour(&user.merchant_id, since)? {
        let Some(day) = per_day.get_mut(&day_of(hour.hour)) else {
            continue;
        };
        match BookingType::parse(&hour.kind).ok() {
            Some(BookingType::BonusCollected) => day.bonus_granted += hour.amount,
            Some(BookingType::BonusSpent) => day.bonus_redeemed -= hour.amount,
            Some(BookingType::CashSpent | BookingType::Discharge) => {
                day.cash_redeemed -= hour.amount
            }
            _ => {}
        }
    }
    let mut period = DayFigures::default();
    for figures in per_day.values() {
        period.add(figures);
    }
    Ok(Dashboard {
        days: per_day.into_iter().collect(),
        period,
        cards_in_use_today: tx.cards_in_use_since(&user.merchant_id, today_start)?,
        cards_in_use_period: tx.cards_in_use_since(&user.merchant_id, since)?,
        new_cards_today: tx.new_cards_since(&user.merchant_id, today_start)?,
        new_cards_period: tx.new_cards_since(&user.merchant_id, since)?,
    })
}
