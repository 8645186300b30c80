//! The dashboard's figures (office.md §2 "Dashboard"): today and the last 30 days — turnover
//! through loyalty cards, bookings, bonus granted, bonus and cash redeemed, cards in use, new cards —
//! with one bar per day. Sums are read per hour from the database and put into the installation's
//! days here, so that a day is a calendar day of the zone, also on the days the clocks change. An
//! ended day does not change, so its sums are kept (`office_day_figures`) and summed only once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use loyalpos_domain::booking::BookingType;
use loyalpos_store::{DayFiguresRow, Tx};

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
    fn from_row(row: &DayFiguresRow) -> DayFigures {
        DayFigures {
            turnover: row.turnover,
            bookings: row.bookings,
            bonus_granted: row.bonus_granted,
            bonus_redeemed: row.bonus_redeemed,
            cash_redeemed: row.cash_redeemed,
        }
    }

    fn to_row(&self, day: Date) -> DayFiguresRow {
        DayFiguresRow {
            day: day.to_string(),
            turnover: self.turnover,
            bookings: self.bookings,
            bonus_granted: self.bonus_granted,
            bonus_redeemed: self.bonus_redeemed,
            cash_redeemed: self.cash_redeemed,
        }
    }

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

/// A day ends for the dashboard's keeping only this long after midnight: a booking whose time was
/// taken just before midnight may still be committing.
pub const SETTLED_AFTER: i64 = 600;

/// What the dashboard read: the figures, and the ended days it had to sum because none were kept
/// (for [`keep_days`], in a write).
pub struct DashboardRead {
    pub dashboard: Dashboard,
    pub newly_summed: Vec<DayFiguresRow>,
}

/// The dashboard's figures. Ended days come from the kept figures; the days not kept yet and
/// today are summed from the bookings — after the first visit of a day, that is today alone.
pub fn dashboard(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    now: i64,
) -> ApiResult<DashboardRead> {
    let today = clock.zoned(now).date();
    let first = add_days(today, -(DAYS - 1))?;
    let days: Vec<Date> = (0..DAYS)
        .map(|i| add_days(first, i))
        .collect::<ApiResult<_>>()?;
    let start_of = |day: Date| clock.days(&day.to_string(), &day.to_string());
    let settled = |day: Date| start_of(day).is_some_and(|(_, end)| end + SETTLED_AFTER <= now);
    let zone = clock.zone_name();
    let kept: BTreeMap<String, DayFiguresRow> = tx
        .day_figures(
            &user.merchant_id,
            &zone,
            &first.to_string(),
            &today.to_string(),
        )?
        .into_iter()
        .map(|row| (row.day.clone(), row))
        .collect();
    let mut per_day: BTreeMap<Date, DayFigures> = BTreeMap::new();
    for &day in &days {
        if let Some(row) = kept.get(&day.to_string()).filter(|_| settled(day)) {
            per_day.insert(day, DayFigures::from_row(row));
        }
    }
    // Everything from the first day not kept on is summed (the days not kept are the newest).
    let first_summed = days.iter().copied().find(|d| !per_day.contains_key(d));
    let mut newly_summed = Vec::new();
    if let Some(from_day) = first_summed {
        let (since, _) = start_of(from_day)
            .ok_or_else(|| ApiError::internal("the dashboard's days do not exist in the zone"))?;
        let summed = sum_since(tx, user, clock, since)?;
        for &day in days.iter().filter(|d| **d >= from_day) {
            let figures = summed.get(&day).cloned().unwrap_or_default();
            if settled(day) && !kept.contains_key(&day.to_string()) {
                newly_summed.push(figures.to_row(day));
            }
            per_day.insert(day, figures);
        }
    }
    let mut period = DayFigures::default();
    for figures in per_day.values() {
        period.add(figures);
    }
    let (since, today_start) = start_of(first)
        .zip(start_of(today))
        .map(|((since, _), (today_start, _))| (since, today_start))
        .ok_or_else(|| ApiError::internal("the dashboard's days do not exist in the zone"))?;
    let dashboard = Dashboard {
        days: per_day.into_iter().collect(),
        period,
        cards_in_use_today: tx.cards_in_use_since(&user.merchant_id, today_start)?,
        cards_in_use_period: tx.cards_in_use_since(&user.merchant_id, since)?,
        new_cards_today: tx.new_cards_since(&user.merchant_id, today_start)?,
        new_cards_period: tx.new_cards_since(&user.merchant_id, since)?,
    };
    Ok(DashboardRead {
        dashboard,
        newly_summed,
    })
}

/// Keeps the ended days a dashboard read had to sum, so that the next one reads them.
pub fn keep_days(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    days: &[DayFiguresRow],
) -> ApiResult<()> {
    tx.keep_day_figures(&user.merchant_id, &clock.zone_name(), days)?;
    Ok(())
}

fn add_days(day: Date, days: i64) -> ApiResult<Date> {
    day.checked_add(jiff::Span::new().days(days))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The merchant's figures per calendar day of the zone since `since`: sums per hour from the
/// database, put into the zone's days here (also right on the days the clocks change).
fn sum_since(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    clock: &Clock,
    since: i64,
) -> ApiResult<BTreeMap<Date, DayFigures>> {
    let mut per_day: BTreeMap<Date, DayFigures> = BTreeMap::new();
    let day_of = |hour: i64| clock.zoned(hour * 3600).date();
    for hour in tx.transactions_per_hour(&user.merchant_id, since)? {
        let day = per_day.entry(day_of(hour.hour)).or_default();
        day.turnover += hour.revenue;
        day.bookings += hour.bookings;
    }
    for hour in tx.bookings_per_hour(&user.merchant_id, since)? {
        let day = per_day.entry(day_of(hour.hour)).or_default();
        match BookingType::parse(&hour.kind).ok() {
            Some(BookingType::BonusCollected) => day.bonus_granted += hour.amount,
            Some(BookingType::BonusSpent) => day.bonus_redeemed -= hour.amount,
            Some(BookingType::CashSpent | BookingType::Discharge) => {
                day.cash_redeemed -= hour.amount
            }
            _ => {}
        }
    }
    Ok(per_day)
}
