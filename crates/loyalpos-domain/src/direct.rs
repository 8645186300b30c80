//! The direct card transaction `POST /Loyalty/MerchantCards/{id}/transaction/{target}` (api.md §9):
//! one action on one card without a basket.

use crate::DomainError;
use crate::booking::{BalanceKind, Booking, BookingType, apply};
use crate::money::{Cents, Currency};
use crate::plan::{Balances, available_cash};
use crate::program::CardRules;
use crate::receipt::{
    ReceiptFigures, ReceiptLine, bonus_correction_receipt, booking_receipt, points_receipt,
};
use crate::settle::{LtxDescription, nonzero};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirectAction {
    Charge,
    Discharge,
    SaleRevenue,
    ChargePoints,
    DischargePoints,
    CancelLast,
}

impl DirectAction {
    pub const ALL: [DirectAction; 6] = [
        DirectAction::Charge,
        DirectAction::Discharge,
        DirectAction::SaleRevenue,
        DirectAction::ChargePoints,
        DirectAction::DischargePoints,
        DirectAction::CancelLast,
    ];

    /// `immediate_bonus` is refused like any unknown action: loyalpos has no immediate bonus (§11.1).
    pub fn parse(s: &str) -> Result<DirectAction, DomainError> {
        DirectAction::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| DomainError::InvalidRequest(format!("action {s:?} is not served")))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DirectAction::Charge => "charge",
            DirectAction::Discharge => "discharge",
            DirectAction::SaleRevenue => "sale_revenue",
            DirectAction::ChargePoints => "charge_points",
            DirectAction::DischargePoints => "discharge_points",
            DirectAction::CancelLast => "cancel_last",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectOutcome {
    pub bookings: Vec<Booking>,
    /// The amount actually booked, positive (a split discharge books less than asked).
    pub booked_amount: i64,
    pub balances_after: Balances,
    pub description: LtxDescription,
    pub revenue: Cents,
    pub bonus_collected: Cents,
}

impl DirectOutcome {
    /// The receipt of §9's table for this action, once the TA code is allocated.
    pub fn receipt(
        &self,
        card_number: &str,
        ta_code: i64,
        currency: &Currency,
    ) -> Result<Vec<ReceiptLine>, DomainError> {
        let points_after = self.balances_after.points;
        match self.description {
            LtxDescription::PointsCharge => Ok(points_receipt(
                card_number,
                ta_code,
                true,
                self.booked_amount,
                points_after,
            )),
            LtxDescription::PointsDischarge => Ok(points_receipt(
                card_number,
                ta_code,
                false,
                self.booked_amount,
                points_after,
            )),
            LtxDescription::BonusCorrection => Ok(bonus_correction_receipt(
                card_number,
                ta_code,
                self.bonus_change(),
                self.balances_after.balance()?,
                currency,
            )),
            _ => Ok(booking_receipt(&self.receipt_figures(
                card_number,
                ta_code,
                currency,
            )?)),
        }
    }

    /// The signed change of the bonus balance.
    fn bonus_change(&self) -> Cents {
        Cents(
            self.bookings
                .iter()
                .filter(|b| b.balance == BalanceKind::Bonus)
                .map(|b| b.amount)
                .sum(),
        )
    }

    /// The booking-receipt figures of a money action (charge, discharge, sale revenue).
    pub fn receipt_figures(
        &self,
        card_number: &str,
        ta_code: i64,
        currency: &Currency,
    ) -> Result<ReceiptFigures, DomainError> {
        let booked = Cents(self.booked_amount);
        let (load, paid_by_card) = match self.description {
            LtxDescription::Charge => (booked, Cents::ZERO),
            LtxDescription::Discharge => (Cents::ZERO, booked),
            _ => (Cents::ZERO, Cents::ZERO),
        };
        Ok(ReceiptFigures {
            load_only: self.description == LtxDescription::Charge,
            card_number: card_number.to_owned(),
            ta_code,
            paid_by_card,
            load,
            revenue: self.revenue,
            bonus_collected: self.bonus_collected,
            balance_after: self.balances_after.balance()?,
            currency: currency.clone(),
        })
    }
}

/// Books one direct action. Not for `CancelLast`: the caller finds the transaction and uses `reverse`.
pub fn direct(
    action: DirectAction,
    amount: i64,
    split_allowed: bool,
    balances: &Balances,
    rules: &CardRules,
) -> Result<DirectOutcome, DomainError> {
    if amount <= 0 {
        return Err(DomainError::InvalidRequest(
            "amount must be greater than 0".into(),
        ));
    }
    let amount = Cents::safe(amount)?;
    let (kind, balance, booked, description) = match action {
        DirectAction::Charge => (
            BookingType::Charge,
            BalanceKind::Cash,
            amount,
            LtxDescription::Charge,
        ),
        DirectAction::Discharge => {
            let booked = dischargeable(amount, split_allowed, balances, rules)?;
            (
                BookingType::Discharge,
                BalanceKind::Cash,
                booked.neg(),
                LtxDescription::Discharge,
            )
        }
        DirectAction::SaleRevenue => return sale_revenue(amount, balances, rules),
        DirectAction::ChargePoints => (
            BookingType::PointsCharge,
            BalanceKind::Points,
            amount,
            LtxDescription::PointsCharge,
        ),
        DirectAction::DischargePoints => {
            if balances.points < amount.0 {
                return Err(DomainError::InsufficientBalance(format!(
                    "{} points do not cover {}",
                    balances.points, amount.0
                )));
            }
            (
                BookingType::PointsDischarge,
                BalanceKind::Points,
                amount.neg(),
                LtxDescription::PointsDischarge,
            )
        }
        DirectAction::CancelLast => {
            return Err(DomainError::InvalidRequest(
                "cancel_last is a reversal, not a booking".into(),
            ));
        }
    };
    let bookings = vec![Booking::new(kind, balance, booked.0)];
    let after = apply(balances, &bookings)?;
    debug_assert!(
        after.cash >= rules.cash_floor() || after.cash >= balances.cash,
        "cash below floor"
    );
    debug_assert!(
        after.points >= 0 || after.points >= balances.points,
        "points below 0"
    );
    Ok(DirectOutcome {
        bookings,
        booked_amount: booked.0.abs(),
        balances_after: after,
        description,
        revenue: Cents::ZERO,
        bonus_collected: Cents::ZERO,
    })
}

/// A discharge takes the full amount, or with `amount_split_allowed` whatever cash is available.
fn dischargeable(
    amount: Cents,
    split_allowed: bool,
    balances: &Balances,
    rules: &CardRules,
) -> Result<Cents, DomainError> {
    let avail = available_cash(balances, rules)?;
    if avail >= amount {
        Ok(amount)
    } else if split_allowed && avail.is_positive() {
        Ok(avail)
    } else {
        Err(DomainError::InsufficientBalance(format!(
            "available cash {} does not cover the discharge of {}",
            avail.0, amount.0
        )))
    }
}

/// A correction of the bonus balance by `change` cents (a loyalpos rule for the back office):
/// a credit books `bonus_collected`, a debit `bonus_spent` and may not take the bonus balance below
/// 0 (4203). Cash and points do not move.
pub fn bonus_correction(change: i64, balances: &Balances) -> Result<DirectOutcome, DomainError> {
    let change = Cents::safe(change)?;
    let kind = match change.0 {
        0 => {
            return Err(DomainError::InvalidRequest(
                "a bonus correction must change the balance".into(),
            ));
        }
        c if c > 0 => BookingType::BonusCollected,
        c if balances.bonus.0 < -c => {
            return Err(DomainError::InsufficientBalance(format!(
                "bonus balance {} does not cover the correction of {c}",
                balances.bonus.0
            )));
        }
        _ => BookingType::BonusSpent,
    };
    let bookings = vec![Booking::new(kind, BalanceKind::Bonus, change.0)];
    let after = apply(balances, &bookings)?;
    Ok(DirectOutcome {
        bookings,
        booked_amount: change.0.abs(),
        balances_after: after,
        description: LtxDescription::BonusCorrection,
        revenue: Cents::ZERO,
        bonus_collected: if change.is_positive() {
            change
        } else {
            Cents::ZERO
        },
    })
}

/// Records revenue and credits the bonus it earns; there are no lines, so no article filter applies.
fn sale_revenue(
    amount: Cents,
    balances: &Balances,
    rules: &CardRules,
) -> Result<DirectOutcome, DomainError> {
    let collected = rules.bonus.bonus_on(amount)?;
    let bookings = nonzero(&[(BookingType::BonusCollected, BalanceKind::Bonus, collected)]);
    let after = apply(balances, &bookings)?;
    Ok(DirectOutcome {
        bookings,
        booked_amount: amount.0,
        balances_after: after,
        description: LtxDescription::Revenue,
        revenue: amount,
        bonus_collected: collected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn b(kind: BookingType, balance: BalanceKind, amount: i64) -> Booking {
        Booking::new(kind, balance, amount)
    }

    fn points(cash: i64, bonus: i64, points: i64) -> Balances {
        Balances {
            points,
            ..bal(cash, bonus)
        }
    }

    #[test]
    fn a_bonus_credit_books_bonus_collected_and_leaves_cash_and_points() {
        let o = bonus_correction(250, &points(1000, 100, 7)).unwrap();
        assert_eq!(
            o.bookings,
            vec![b(BookingType::BonusCollected, BalanceKind::Bonus, 250)]
        );
        assert_eq!(o.balances_after, points(1000, 350, 7));
        assert_eq!((o.booked_amount, o.bonus_collected), (250, Cents(250)));
        assert_eq!(o.description, LtxDescription::BonusCorrection);
        let receipt = o.receipt("9276123456789012", 7, &Currency::eur()).unwrap();
        let text = format!("{receipt:?}");
        assert!(
            text.contains("Bonuskorrektur:") && text.contains("2,50 EUR"),
            "{text}"
        );
        assert!(text.contains("13,50 EUR"), "{text}");
    }

    #[test]
    fn a_bonus_debit_books_bonus_spent_and_never_takes_the_bonus_below_zero() {
        let o = bonus_correction(-100, &points(0, 100, 0)).unwrap();
        assert_eq!(
            o.bookings,
            vec![b(BookingType::BonusSpent, BalanceKind::Bonus, -100)]
        );
        assert_eq!(o.balances_after, points(0, 0, 0));
        assert_eq!((o.booked_amount, o.bonus_collected), (100, Cents::ZERO));
        assert!(matches!(
            bonus_correction(-101, &points(5000, 100, 0)),
            Err(DomainError::InsufficientBalance(_))
        ));
        assert!(matches!(
            bonus_correction(0, &points(0, 100, 0)),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn actions_parse_their_wire_names_and_immediate_bonus_is_refused() {
        for a in DirectAction::ALL {
            assert_eq!(DirectAction::parse(a.as_str()), Ok(a));
        }
        assert_eq!(
            DirectAction::parse("Sale_Revenue"),
            Ok(DirectAction::SaleRevenue)
        );
        assert!(matches!(
            DirectAction::parse("immediate_bonus"),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            DirectAction::parse("balance_check"),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_direct_charge_adds_cash_and_no_bonus() {
        let o = direct(
            DirectAction::Charge,
            1500,
            false,
            &bal(1000, 0),
            &bonus10_rules(),
        )
        .unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::Charge, BalanceKind::Cash, 1500)]
        );
        assert_eq!((o.booked_amount, o.balances_after), (1500, bal(2500, 0)));
        assert_eq!(o.description.as_str(), "Aufladung");
        assert_eq!((o.revenue, o.bonus_collected), (Cents(0), Cents(0)));
    }

    #[test]
    fn a_direct_discharge_takes_cash() {
        let o = direct(
            DirectAction::Discharge,
            600,
            false,
            &bal(1000, 50),
            &punkte_rules(),
        )
        .unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::Discharge, BalanceKind::Cash, -600)]
        );
        assert_eq!((o.booked_amount, o.balances_after), (600, bal(400, 50)));
        assert_eq!(o.description.as_str(), "Entladung");
    }

    #[test]
    fn a_discharge_beyond_the_cash_needs_split_to_take_the_rest() {
        let err = direct(
            DirectAction::Discharge,
            1500,
            false,
            &bal(1000, 0),
            &punkte_rules(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::InsufficientBalance(_)));
        let o = direct(
            DirectAction::Discharge,
            1500,
            true,
            &bal(1000, 0),
            &punkte_rules(),
        )
        .unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::Discharge, BalanceKind::Cash, -1000)]
        );
        assert_eq!((o.booked_amount, o.balances_after), (1000, bal(0, 0)));
    }

    #[test]
    fn a_split_discharge_of_an_empty_card_is_still_insufficient() {
        let err = direct(
            DirectAction::Discharge,
            100,
            true,
            &bal(0, 71),
            &bonus10_rules(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::InsufficientBalance(_)));
    }

    #[test]
    fn overdraft_extends_direct_discharges_and_splits() {
        let mut rules = punkte_rules();
        rules.overdraft_allowed = true;
        rules.overdraft_limit = Cents(500);
        let o = direct(DirectAction::Discharge, 1500, false, &bal(1000, 0), &rules).unwrap();
        assert_eq!(o.balances_after, bal(-500, 0));
        let o = direct(DirectAction::Discharge, 9999, true, &bal(1000, 0), &rules).unwrap();
        assert_eq!((o.booked_amount, o.balances_after), (1500, bal(-500, 0)));
    }

    #[test]
    fn sale_revenue_credits_rounded_bonus_without_filters() {
        let mut rules = bonus10_rules();
        rules.bonus.filter_mode = crate::program::FilterMode::Whitelist;
        let o = direct(DirectAction::SaleRevenue, 725, false, &bal(0, 0), &rules).unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::BonusCollected, BalanceKind::Bonus, 73)]
        );
        assert_eq!(
            (o.revenue, o.bonus_collected, o.balances_after),
            (Cents(725), Cents(73), bal(0, 73))
        );
        assert_eq!((o.booked_amount, o.description.as_str()), (725, "Umsatz"));
    }

    #[test]
    fn sale_revenue_without_a_bonus_programme_books_nothing() {
        let o = direct(
            DirectAction::SaleRevenue,
            796,
            false,
            &bal(1000, 0),
            &punkte_rules(),
        )
        .unwrap();
        assert!(o.bookings.is_empty());
        assert_eq!((o.revenue, o.balances_after), (Cents(796), bal(1000, 0)));
        let o = direct(
            DirectAction::SaleRevenue,
            4,
            false,
            &bal(0, 0),
            &bonus10_rules(),
        )
        .unwrap();
        assert!(o.bookings.is_empty(), "4 cents at 10 % round to 0");
    }

    #[test]
    fn points_are_charged_and_discharged_as_plain_integers() {
        let o = direct(
            DirectAction::ChargePoints,
            50,
            false,
            &points(100, 0, 10),
            &punkte_rules(),
        )
        .unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::PointsCharge, BalanceKind::Points, 50)]
        );
        assert_eq!(
            (o.balances_after, o.description.as_str()),
            (points(100, 0, 60), "Punkte Aufladung")
        );
        let o = direct(
            DirectAction::DischargePoints,
            60,
            false,
            &points(100, 0, 60),
            &punkte_rules(),
        )
        .unwrap();
        assert_eq!(
            o.bookings,
            [b(BookingType::PointsDischarge, BalanceKind::Points, -60)]
        );
        assert_eq!(
            (o.balances_after, o.description.as_str()),
            (points(100, 0, 0), "Punkte Entladung")
        );
    }

    #[test]
    fn discharging_more_points_than_held_is_insufficient_even_with_split() {
        let err = direct(
            DirectAction::DischargePoints,
            61,
            true,
            &points(0, 0, 60),
            &punkte_rules(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::InsufficientBalance(_)));
    }

    #[test]
    fn amounts_must_be_positive_and_cancel_last_is_not_a_booking() {
        for amount in [0, -1] {
            let err = direct(
                DirectAction::Charge,
                amount,
                false,
                &bal(0, 0),
                &punkte_rules(),
            )
            .unwrap_err();
            assert!(matches!(err, DomainError::InvalidRequest(_)));
        }
        let err = direct(
            DirectAction::CancelLast,
            1,
            false,
            &bal(0, 0),
            &punkte_rules(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::InvalidRequest(_)));
        let err = direct(
            DirectAction::Charge,
            crate::money::MAX_SAFE,
            false,
            &bal(1, 0),
            &punkte_rules(),
        );
        assert!(matches!(err, Err(DomainError::InvalidRequest(_))));
    }
}
