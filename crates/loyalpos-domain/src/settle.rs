//! start (api.md §8.8 steps 4, 5, 7–9): re-check the plan against the card, book, collect bonus and derive
//! the figures the receipt and the loyalty transaction show.

use crate::DomainError;
use crate::basket::{Line, LineClass, totals};
use crate::booking::{BalanceKind, Booking, BookingType, apply, bonus_collected, money_change};
use crate::money::{Cents, Currency};
use crate::plan::{Balances, Plan, available_cash, check_discharge_covered, check_payable};
use crate::program::CardRules;
use crate::receipt::ReceiptFigures;

/// The `description` of a loyalty transaction (§13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LtxDescription {
    Opening,
    Charge,
    Discharge,
    Cancellation,
    PointsCharge,
    PointsDischarge,
    Revenue,
    /// A back-office correction of the bonus balance (office.md §2 "Card"; a loyalpos rule).
    BonusCorrection,
}

impl LtxDescription {
    pub const ALL: [LtxDescription; 8] = [
        LtxDescription::Opening,
        LtxDescription::Charge,
        LtxDescription::Discharge,
        LtxDescription::Cancellation,
        LtxDescription::PointsCharge,
        LtxDescription::PointsDischarge,
        LtxDescription::Revenue,
        LtxDescription::BonusCorrection,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            LtxDescription::Opening => "Saldovortrag",
            LtxDescription::Charge => "Aufladung",
            LtxDescription::Discharge => "Entladung",
            LtxDescription::Cancellation => "Storno",
            LtxDescription::PointsCharge => "Punkte Aufladung",
            LtxDescription::PointsDischarge => "Punkte Entladung",
            LtxDescription::Revenue => "Umsatz",
            LtxDescription::BonusCorrection => "Bonuskorrektur",
        }
    }

    pub fn parse(s: &str) -> Result<LtxDescription, DomainError> {
        LtxDescription::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| DomainError::InvalidRequest(format!("unknown description {s:?}")))
    }
}

/// Everything a start books and shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// Non-zero bookings in the order bonus_spent, cash_spent, discharge, charge, bonus_collected.
    pub bookings: Vec<Booking>,
    pub bonus_spent: Cents,
    pub cash_spent: Cents,
    pub discharge: Cents,
    pub load: Cents,
    pub bonus_collected: Cents,
    /// `bonus_spent + cash_spent + D`.
    pub paid_by_card: Cents,
    /// Σ goods lines including the bonus lines (`basket_info.sum − L − D`).
    pub revenue: Cents,
    pub balances_before: Balances,
    pub balances_after: Balances,
    pub description: LtxDescription,
    /// Every basket line is a load: the receipt's caption is "Kundenkarte Aufladung".
    pub all_lines_load: bool,
}

impl Settlement {
    /// The LTX `amount`: `balance_after − balance_before` (money only, points excluded).
    pub fn ltx_amount(&self) -> Result<Cents, DomainError> {
        money_change(&self.bookings)
    }

    /// The figures of the booking receipt (§8.9) once the TA code is allocated.
    pub fn receipt_figures(
        &self,
        card_number: &str,
        ta_code: i64,
        currency: &Currency,
    ) -> Result<ReceiptFigures, DomainError> {
        Ok(ReceiptFigures {
            load_only: self.all_lines_load,
            card_number: card_number.to_owned(),
            ta_code,
            paid_by_card: self.paid_by_card,
            load: self.load,
            revenue: self.revenue,
            bonus_collected: self.bonus_collected,
            balance_after: self.balances_after.balance()?,
            currency: currency.clone(),
        })
    }
}

/// `client_lines` are the client's lines only; `plan` is the stored preTransaction plan (None = no
/// preTransaction). With a plan the card must still cover it (else 4204); without one only the
/// discharges must be covered (else 4203).
pub fn settle(
    client_lines: &[Line],
    plan: Option<&Plan>,
    balances: &Balances,
    rules: &CardRules,
) -> Result<Settlement, DomainError> {
    let t = totals(client_lines)?;
    check_payable(&t)?;
    let avail_cash = available_cash(balances, rules)?;
    let (bonus_spent, cash_spent, bonus_lines) = match plan {
        Some(p) => {
            debug_assert_eq!(
                (p.discharge, p.load),
                (t.discharge, t.load),
                "plan of another basket"
            );
            check_plan_covered(
                p.bonus_spent,
                p.cash_spent,
                t.discharge,
                balances,
                avail_cash,
            )?;
            (p.bonus_spent, p.cash_spent, p.bonus_as_lines())
        }
        None => {
            check_discharge_covered(t.discharge, avail_cash)?;
            (Cents::ZERO, Cents::ZERO, Vec::new())
        }
    };

    let mut all_lines = client_lines.to_vec();
    all_lines.extend(bonus_lines);
    let collected = bonus_collected(&all_lines, &rules.bonus)?;
    let bookings = nonzero(&[
        (
            BookingType::BonusSpent,
            BalanceKind::Bonus,
            bonus_spent.neg(),
        ),
        (BookingType::CashSpent, BalanceKind::Cash, cash_spent.neg()),
        (BookingType::Discharge, BalanceKind::Cash, t.discharge.neg()),
        (BookingType::Charge, BalanceKind::Cash, t.load),
        (BookingType::BonusCollected, BalanceKind::Bonus, collected),
    ]);
    let after = apply(balances, &bookings)?;
    debug_assert!(
        after.cash >= rules.cash_floor() || after.cash >= balances.cash,
        "cash below floor"
    );
    debug_assert!(
        !after.bonus.is_negative() || after.bonus >= balances.bonus,
        "bonus below 0"
    );

    let paid_by_card = Cents::checked_sum([bonus_spent, cash_spent, t.discharge])?;
    let revenue = goods_sum(&all_lines)?;
    debug_assert_eq!(
        Some(revenue),
        t.total
            .checked_sub(bonus_spent)
            .and_then(|s| s.checked_sub(t.load))
            .and_then(|s| s.checked_sub(t.discharge))
            .ok(),
        "revenue = basket_info.sum − L − D"
    );
    debug_assert_eq!(
        money_change(&bookings).ok(),
        after
            .balance()
            .and_then(|a| a.checked_sub(balances.balance()?))
            .ok(),
        "LTX amount = balance_after − balance_before"
    );

    Ok(Settlement {
        bookings,
        bonus_spent,
        cash_spent,
        discharge: t.discharge,
        load: t.load,
        bonus_collected: collected,
        paid_by_card,
        revenue,
        balances_before: *balances,
        balances_after: after,
        description: describe(client_lines),
        all_lines_load: every(client_lines, LineClass::Load),
    })
}

/// §8.8 step 4: the stored plan must still be covered by the card as it is now.
fn check_plan_covered(
    bonus_spent: Cents,
    cash_spent: Cents,
    discharge: Cents,
    balances: &Balances,
    avail_cash: Cents,
) -> Result<(), DomainError> {
    if bonus_spent.is_positive() && balances.bonus < bonus_spent {
        return Err(DomainError::BalanceChanged(format!(
            "bonus balance {} no longer covers the planned {}; call preTransaction again",
            balances.bonus.0, bonus_spent.0
        )));
    }
    let cash_needed = cash_spent.checked_add(discharge)?;
    if cash_needed.is_positive() && avail_cash < cash_needed {
        return Err(DomainError::BalanceChanged(format!(
            "available cash {} no longer covers the planned {}; call preTransaction again",
            avail_cash.0, cash_needed.0
        )));
    }
    Ok(())
}

/// Zero amounts are not written (§8.8 step 7).
pub(crate) fn nonzero(entries: &[(BookingType, BalanceKind, Cents)]) -> Vec<Booking> {
    entries
        .iter()
        .filter(|(_, _, amount)| *amount != Cents::ZERO)
        .map(|&(kind, balance, amount)| Booking::new(kind, balance, amount.0))
        .collect()
}

fn goods_sum(lines: &[Line]) -> Result<Cents, DomainError> {
    let mut sum = Cents::ZERO;
    for line in lines.iter().filter(|l| l.class() == LineClass::Goods) {
        sum = sum.checked_add(line.amount()?)?;
    }
    Ok(sum)
}

fn every(lines: &[Line], class: LineClass) -> bool {
    !lines.is_empty() && lines.iter().all(|l| l.class() == class)
}

/// §13: "Aufladung" when every line is a load, "Entladung" when every line is a discharge, else "Umsatz"
/// (an empty basket included).
fn describe(lines: &[Line]) -> LtxDescription {
    if every(lines, LineClass::Load) {
        LtxDescription::Charge
    } else if every(lines, LineClass::Discharge) {
        LtxDescription::Discharge
    } else {
        LtxDescription::Revenue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use crate::testutil::*;

    fn b(kind: BookingType, balance: BalanceKind, amount: i64) -> Booking {
        Booking::new(kind, balance, amount)
    }

    #[test]
    fn descriptions_have_their_german_ledger_texts() {
        let texts: Vec<&str> = LtxDescription::ALL
            .iter()
            .map(LtxDescription::as_str)
            .collect();
        assert_eq!(
            texts,
            [
                "Saldovortrag",
                "Aufladung",
                "Entladung",
                "Storno",
                "Punkte Aufladung",
                "Punkte Entladung",
                "Umsatz",
                "Bonuskorrektur"
            ]
        );
        for d in LtxDescription::ALL {
            assert_eq!(LtxDescription::parse(d.as_str()), Ok(d));
        }
    }

    #[test]
    fn paying_at_the_register_books_nothing_but_records_revenue() {
        // V1: start/cash without preTransaction, no bonus programme.
        let s = settle(&docs_basket(), None, &bal(1000, 0), &punkte_rules()).unwrap();
        assert!(s.bookings.is_empty());
        assert_eq!(
            (s.paid_by_card, s.revenue, s.bonus_collected),
            (Cents(0), Cents(796), Cents(0))
        );
        assert_eq!(s.balances_after, bal(1000, 0));
        assert_eq!(s.description, LtxDescription::Revenue);
        assert_eq!(s.ltx_amount(), Ok(Cents(0)));
        assert!(!s.all_lines_load);
    }

    #[test]
    fn a_stored_plan_of_796_books_cash_spent() {
        // V2.
        let rules = punkte_rules();
        let p = plan(&docs_basket(), &bal(1000, 0), &rules).unwrap();
        let s = settle(&docs_basket(), Some(&p), &bal(1000, 0), &rules).unwrap();
        assert_eq!(
            s.bookings,
            [b(BookingType::CashSpent, BalanceKind::Cash, -796)]
        );
        assert_eq!(s.balances_after, bal(204, 0));
        assert_eq!((s.paid_by_card, s.revenue), (Cents(796), Cents(796)));
        assert_eq!(s.ltx_amount(), Ok(Cents(-796)));
    }

    #[test]
    fn a_pure_discharge_books_discharge_and_no_revenue() {
        // V3.
        let s = settle(&[discharge(1, 500)], None, &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            s.bookings,
            [b(BookingType::Discharge, BalanceKind::Cash, -500)]
        );
        assert_eq!(s.balances_after, bal(500, 0));
        assert_eq!((s.paid_by_card, s.revenue), (Cents(500), Cents(0)));
        assert_eq!(s.description, LtxDescription::Discharge);
    }

    #[test]
    fn a_discharge_beyond_the_balance_without_plan_is_insufficient() {
        // V3 negative.
        let err = settle(&[discharge(1, 1500)], None, &bal(1000, 0), &punkte_rules()).unwrap_err();
        assert!(matches!(err, DomainError::InsufficientBalance(_)));
    }

    #[test]
    fn spending_bonus_71_books_minus_71_and_collects_73() {
        // V5.
        let rules = bonus10_rules();
        let p = plan(&docs_basket(), &bal(0, 71), &rules).unwrap();
        let s = settle(&docs_basket(), Some(&p), &bal(0, 71), &rules).unwrap();
        assert_eq!(
            s.bookings,
            [
                b(BookingType::BonusSpent, BalanceKind::Bonus, -71),
                b(BookingType::BonusCollected, BalanceKind::Bonus, 73)
            ]
        );
        assert_eq!(s.balances_after, bal(0, 73));
        assert_eq!(s.ltx_amount(), Ok(Cents(2)));
        assert_eq!((s.paid_by_card, s.revenue), (Cents(71), Cents(725)));
    }

    #[test]
    fn spending_bonus_20_and_cash_200_collects_78() {
        // V6.
        let rules = bonus10_rules();
        let p = plan(&docs_basket(), &bal(200, 20), &rules).unwrap();
        let s = settle(&docs_basket(), Some(&p), &bal(200, 20), &rules).unwrap();
        assert_eq!(
            s.bookings,
            [
                b(BookingType::BonusSpent, BalanceKind::Bonus, -20),
                b(BookingType::CashSpent, BalanceKind::Cash, -200),
                b(BookingType::BonusCollected, BalanceKind::Bonus, 78),
            ]
        );
        assert_eq!(s.balances_after, bal(0, 78));
        assert_eq!(s.ltx_amount(), Ok(Cents(-142)));
        assert_eq!((s.paid_by_card, s.revenue), (Cents(220), Cents(776)));
    }

    #[test]
    fn a_pure_load_is_described_as_aufladung() {
        // V7.
        let s = settle(&[load(1, 1500)], None, &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            s.bookings,
            [b(BookingType::Charge, BalanceKind::Cash, 1500)]
        );
        assert_eq!(s.balances_after, bal(2500, 0));
        assert_eq!(s.description, LtxDescription::Charge);
        assert!(s.all_lines_load);
        assert_eq!(s.revenue, Cents(0));
    }

    #[test]
    fn an_empty_basket_is_revenue_of_zero() {
        let s = settle(&[], None, &bal(10, 0), &punkte_rules()).unwrap();
        assert!(s.bookings.is_empty());
        assert_eq!(s.description, LtxDescription::Revenue);
        assert!(!s.all_lines_load);
    }

    #[test]
    fn a_plan_the_card_no_longer_covers_is_balance_changed() {
        // V13: both devices planned 796 on 1000; the winner left 204.
        let rules = punkte_rules();
        let p = plan(&docs_basket(), &bal(1000, 0), &rules).unwrap();
        let err = settle(&docs_basket(), Some(&p), &bal(204, 0), &rules).unwrap_err();
        assert!(matches!(err, DomainError::BalanceChanged(_)));

        let rules = bonus10_rules();
        let p = plan(&docs_basket(), &bal(0, 71), &rules).unwrap();
        let err = settle(&docs_basket(), Some(&p), &bal(0, 70), &rules).unwrap_err();
        assert!(matches!(err, DomainError::BalanceChanged(_)));
    }

    #[test]
    fn a_plan_still_covered_after_other_changes_books_as_planned() {
        let rules = bonus10_rules();
        let p = plan(&docs_basket(), &bal(200, 20), &rules).unwrap();
        let s = settle(&docs_basket(), Some(&p), &bal(900, 25), &rules).unwrap();
        assert_eq!(s.balances_after, bal(700, 83));
    }
}
