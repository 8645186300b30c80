//! Bookings: the only way a balance changes (api.md §7.5, §13), and bonus collection (§8.8 step 8).

use crate::DomainError;
use crate::basket::{Line, LineClass};
use crate::money::Cents;
use crate::plan::Balances;
use crate::program::{BonusBase, BonusProgram, FilterMode};

named_enum! {
    /// What a booking does to a merchant card (api.md §13).
    pub enum BookingType ("booking type") {
        Opening = "opening",
        BonusSpent = "bonus_spent",
        CashSpent = "cash_spent",
        Discharge = "discharge",
        Charge = "charge",
        BonusCollected = "bonus_collected",
        PointsCharge = "points_charge",
        PointsDischarge = "points_discharge",
    }
}

named_enum! {
    /// Which balance of a merchant card a booking moves.
    pub enum BalanceKind ("balance") { Cash = "cash", Bonus = "bonus", Points = "points" }
}

named_enum! {
    /// A loyalty transaction is `ok` until a cancellation books its mirror image (api.md §13).
    pub enum LtxStatus ("loyalty transaction status") { Ok = "ok", Cancelled = "cancelled" }
}

/// One signed change of one balance; cents for cash and bonus, plain points for points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Booking {
    pub kind: BookingType,
    pub balance: BalanceKind,
    pub amount: i64,
}

impl Booking {
    pub fn new(kind: BookingType, balance: BalanceKind, amount: i64) -> Booking {
        Booking {
            kind,
            balance,
            amount,
        }
    }

    /// The same booking with the opposite sign, as a cancellation writes it (§8.10).
    pub fn negated(self) -> Booking {
        Booking {
            amount: self.amount.saturating_neg(),
            ..self
        }
    }
}

/// The balances after the bookings; every intermediate value stays within ±MAX_SAFE.
pub fn apply(balances: &Balances, bookings: &[Booking]) -> Result<Balances, DomainError> {
    let mut after = *balances;
    for b in bookings {
        let amount = Cents::safe(b.amount)?;
        match b.balance {
            BalanceKind::Cash => after.cash = after.cash.checked_add(amount)?,
            BalanceKind::Bonus => after.bonus = after.bonus.checked_add(amount)?,
            BalanceKind::Points => after.points = Cents(after.points).checked_add(amount)?.0,
        }
    }
    Ok(after)
}

/// Net change of the card's money balance (`cash + bonus`) by some bookings: an LTX's `amount` (§13).
pub fn money_change(bookings: &[Booking]) -> Result<Cents, DomainError> {
    bookings
        .iter()
        .filter(|b| b.balance != BalanceKind::Points)
        .try_fold(Cents::ZERO, |acc, b| {
            acc.checked_add(Cents::safe(b.amount)?)
        })
}

/// §8.8 step 8: the bonus a purchase earns. `lines` are the client lines plus the bonus lines
/// (`is_bonus`); discharges never earn, spent bonus reduces the base only when the base is "reduced",
/// and loads are filtered like any other line.
pub fn bonus_collected(lines: &[Line], program: &BonusProgram) -> Result<Cents, DomainError> {
    if program.rate == 0 {
        return Ok(Cents::ZERO);
    }
    let considered = lines
        .iter()
        .filter(|l| l.class() != LineClass::Discharge)
        .filter(|l| !l.is_bonus || program.base == BonusBase::Reduced)
        .filter(|l| eligible(l, program));
    let mut base = Cents::ZERO;
    for line in considered {
        base = base.checked_add(line.amount()?)?;
    }
    program.bonus_on(base.max(Cents::ZERO))
}

fn eligible(line: &Line, program: &BonusProgram) -> bool {
    let listed = |code: &Option<String>| {
        code.as_deref()
            .is_some_and(|c| program.filter_codes.iter().any(|f| f == c))
    };
    let on_list = listed(&line.ean) || listed(&line.article_number);
    match program.filter_mode {
        FilterMode::None => true,
        FilterMode::Blacklist => !on_list,
        FilterMode::Whitelist => on_list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn program(base: BonusBase, mode: FilterMode, codes: &[&str]) -> BonusProgram {
        BonusProgram {
            rate: 1000,
            base,
            filter_mode: mode,
            filter_codes: codes.iter().map(|c| c.to_string()).collect(),
            products: bonus10_rules().bonus.products,
        }
    }

    /// V19 mixed basket: 5900 @19 (articleNumber 30200) + load 2000 (EAN 4260447149502).
    fn mixed() -> Vec<Line> {
        vec![goods(1, 1, 5900, 19).with_article("30200"), load(2, 2000)]
    }

    fn spent_bonus_line() -> Line {
        let mut l = goods(3, 1, -20, 19)
            .with_ean("1111111119")
            .with_article("1111111119");
        l.is_bonus = true;
        l
    }

    fn collected(lines: &[Line], p: &BonusProgram) -> i64 {
        bonus_collected(lines, p).unwrap().0
    }

    #[test]
    fn booking_types_and_balances_round_trip_their_wire_names() {
        for &t in BookingType::ALL {
            assert_eq!(BookingType::parse(t.as_str()), Ok(t));
        }
        assert_eq!(BookingType::BonusSpent.as_str(), "bonus_spent");
        assert_eq!(BookingType::PointsDischarge.as_str(), "points_discharge");
        for &k in BalanceKind::ALL {
            assert_eq!(BalanceKind::parse(k.as_str()), Ok(k));
        }
        for &s in LtxStatus::ALL {
            assert_eq!(LtxStatus::parse(s.as_str()), Ok(s));
        }
        assert!(matches!(
            BookingType::parse("refund"),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            BalanceKind::parse("euro"),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn apply_adds_each_booking_to_its_balance() {
        let bookings = [
            Booking::new(BookingType::BonusSpent, BalanceKind::Bonus, -20),
            Booking::new(BookingType::CashSpent, BalanceKind::Cash, -200),
            Booking::new(BookingType::BonusCollected, BalanceKind::Bonus, 78),
            Booking::new(BookingType::PointsCharge, BalanceKind::Points, 5),
        ];
        let after = apply(&bal(200, 20), &bookings).unwrap();
        assert_eq!(
            after,
            Balances {
                cash: Cents(0),
                bonus: Cents(78),
                points: 5
            }
        );
        // V6: the LTX amount is −142.
        assert_eq!(money_change(&bookings), Ok(Cents(-142)));
    }

    #[test]
    fn apply_refuses_to_leave_the_safe_range() {
        let b = [Booking::new(
            BookingType::Charge,
            BalanceKind::Cash,
            crate::money::MAX_SAFE,
        )];
        assert!(matches!(
            apply(&bal(1, 0), &b),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn bonus_at_ten_percent_rounds_half_up() {
        let p = program(BonusBase::Full, FilterMode::None, &[]);
        for (e, bonus) in [
            (776, 78),
            (725, 73),
            (796, 80),
            (7900, 790),
            (15, 2),
            (5, 1),
            (4, 0),
        ] {
            assert_eq!(collected(&[goods(1, 1, e, 19)], &p), bonus, "E = {e}");
        }
    }

    #[test]
    fn the_mixed_basket_earns_790_without_a_filter() {
        assert_eq!(
            collected(&mixed(), &program(BonusBase::Full, FilterMode::None, &[])),
            790
        );
    }

    #[test]
    fn blacklisting_the_load_ean_earns_590() {
        let p = program(BonusBase::Full, FilterMode::Blacklist, &["4260447149502"]);
        assert_eq!(collected(&mixed(), &p), 590);
    }

    #[test]
    fn whitelisting_the_load_ean_earns_200() {
        let p = program(BonusBase::Full, FilterMode::Whitelist, &["4260447149502"]);
        assert_eq!(collected(&mixed(), &p), 200);
    }

    #[test]
    fn whitelisting_article_30200_earns_590() {
        let p = program(BonusBase::Full, FilterMode::Whitelist, &["30200"]);
        assert_eq!(collected(&mixed(), &p), 590);
    }

    #[test]
    fn blacklisting_article_30200_earns_200() {
        let p = program(BonusBase::Full, FilterMode::Blacklist, &["30200"]);
        assert_eq!(collected(&mixed(), &p), 200);
    }

    #[test]
    fn spent_bonus_lowers_the_base_only_when_the_base_is_reduced() {
        let mut lines = mixed();
        lines.push(spent_bonus_line());
        assert_eq!(
            collected(&lines, &program(BonusBase::Full, FilterMode::None, &[])),
            790
        );
        assert_eq!(
            collected(&lines, &program(BonusBase::Reduced, FilterMode::None, &[])),
            788
        );
        let steer = program(BonusBase::Reduced, FilterMode::Blacklist, &["1111111119"]);
        assert_eq!(collected(&lines, &steer), 790);
    }

    #[test]
    fn the_docs_basket_earns_78_after_spending_20_and_80_without() {
        let p = bonus10_rules().bonus;
        let mut lines = docs_basket();
        assert_eq!(collected(&lines, &p), 80);
        let mut b7 = goods(4, 1, -15, 7);
        b7.is_bonus = true;
        let mut b19 = goods(5, 1, -5, 19);
        b19.is_bonus = true;
        lines.extend([b7, b19]);
        assert_eq!(collected(&lines, &p), 78);
    }

    #[test]
    fn discharges_never_earn_bonus() {
        let p = program(BonusBase::Full, FilterMode::None, &[]);
        assert_eq!(collected(&[discharge(1, 5000)], &p), 0);
        assert_eq!(
            collected(&[discharge(1, 5000), goods(2, 1, 100, 7)], &p),
            10
        );
    }

    #[test]
    fn a_negative_base_earns_nothing_and_rate_zero_earns_nothing() {
        let p = program(BonusBase::Full, FilterMode::None, &[]);
        assert_eq!(collected(&[goods(1, 1, -500, 19)], &p), 0);
        assert_eq!(collected(&docs_basket(), &punkte_rules().bonus), 0);
    }
}
