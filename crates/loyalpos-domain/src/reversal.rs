//! Cancellation of a loyalty transaction (api.md §8.10): which one may be cancelled, and the reversal
//! bookings that must not push a balance below its floor.

use crate::DomainError;
use crate::booking::{Booking, apply};
use crate::money::Cents;
use crate::plan::Balances;
use crate::program::CardRules;

/// Negates every booking of the original. A balance the reversal lowers must not end below its floor
/// (cash below `cash_floor`, bonus or points below 0) → 4205, nothing changes.
///
/// loyalpos decision: a balance that was already below its floor (the group's overdraft limit was lowered
/// afterwards) does not block a reversal that raises it; only a reversal that *falls* below is refused.
pub fn reverse(
    original: &[Booking],
    balances: &Balances,
    rules: &CardRules,
) -> Result<(Vec<Booking>, Balances), DomainError> {
    let reversed: Vec<Booking> = original.iter().map(|b| b.negated()).collect();
    let after = apply(balances, &reversed)?;
    check_floor("cash", after.cash, balances.cash, rules.cash_floor())?;
    check_floor("bonus", after.bonus, balances.bonus, Cents::ZERO)?;
    check_floor(
        "points",
        Cents(after.points),
        Cents(balances.points),
        Cents::ZERO,
    )?;
    debug_assert_eq!(
        apply(&after, original).ok(),
        Some(*balances),
        "a reversal undoes exactly the original"
    );
    Ok((reversed, after))
}

fn check_floor(name: &str, after: Cents, before: Cents, floor: Cents) -> Result<(), DomainError> {
    if after < floor && after < before {
        return Err(DomainError::CancelNotAllowed(format!(
            "the cancellation would take the {name} balance to {}, below {}",
            after.0, floor.0
        )));
    }
    Ok(())
}

/// What the cancellation rule needs to know about one loyalty transaction of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct LtxState {
    /// An opening transaction (`Saldovortrag`): never cancelled, ignored when finding the last one.
    pub is_opening: bool,
    /// A cancellation itself: a cancellation cannot be cancelled.
    pub is_cancelling: bool,
    /// Already reversed.
    pub cancelled: bool,
}

impl LtxState {
    pub fn is_cancellable(&self) -> bool {
        !self.is_opening && !self.is_cancelling && !self.cancelled
    }
}

/// Index of the card's most recent transaction that is neither opening, cancelling nor cancelled;
/// `history` is in booking order, oldest first. This is `cancel_last`'s target.
pub fn last_cancellable(history: &[LtxState]) -> Option<usize> {
    history.iter().rposition(LtxState::is_cancellable)
}

/// §8.10 step 1: `history[index]` may be cancelled if it is cancellable at all and, unless the group has
/// `cancel_selected`, it is the card's most recent cancellable transaction.
pub fn check_cancellable(
    history: &[LtxState],
    index: usize,
    cancel_selected: bool,
) -> Result<(), DomainError> {
    let target = history
        .get(index)
        .ok_or_else(|| DomainError::CancelNotAllowed("no such loyalty transaction".into()))?;
    if !target.is_cancellable() {
        return Err(DomainError::CancelNotAllowed(
            "an opening, a cancellation or a cancelled transaction cannot be cancelled".into(),
        ));
    }
    if !cancel_selected && last_cancellable(history) != Some(index) {
        return Err(DomainError::CancelNotAllowed(
            "only the card's most recent transaction may be cancelled".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{BalanceKind, BookingType};
    use crate::testutil::*;

    fn b(kind: BookingType, balance: BalanceKind, amount: i64) -> Booking {
        Booking::new(kind, balance, amount)
    }

    const OPENING: LtxState = LtxState {
        is_opening: true,
        is_cancelling: false,
        cancelled: false,
    };
    const OK: LtxState = LtxState {
        is_opening: false,
        is_cancelling: false,
        cancelled: false,
    };
    const CANCELLED: LtxState = LtxState {
        is_opening: false,
        is_cancelling: false,
        cancelled: true,
    };
    const STORNO: LtxState = LtxState {
        is_opening: false,
        is_cancelling: true,
        cancelled: false,
    };

    #[test]
    fn cancelling_a_load_of_1500_takes_it_back() {
        // V8a: A = 2500 after the load; Y books charge −1500, A = 1000.
        let load = [b(BookingType::Charge, BalanceKind::Cash, 1500)];
        let (bookings, after) = reverse(&load, &bal(2500, 0), &punkte_rules()).unwrap();
        assert_eq!(bookings, [b(BookingType::Charge, BalanceKind::Cash, -1500)]);
        assert_eq!(after, bal(1000, 0));
    }

    #[test]
    fn cancelling_a_transaction_without_bookings_books_nothing() {
        // V8b step 2: Y' has bookings [] and amount 0.
        let (bookings, after) = reverse(&[], &bal(2500, 0), &punkte_rules()).unwrap();
        assert!(bookings.is_empty());
        assert_eq!(after, bal(2500, 0));
    }

    #[test]
    fn a_reversal_that_would_overdraw_is_not_allowed() {
        // V8c: B holds 100 cash after the discharge; undoing the load of 1000 would leave −900.
        let load = [b(BookingType::Charge, BalanceKind::Cash, 1000)];
        let err = reverse(&load, &bal(100, 52), &gift_rules()).unwrap_err();
        assert!(matches!(err, DomainError::CancelNotAllowed(_)));
        // Undo the discharge first, then the load: back to 300/52.
        let dis = [b(BookingType::Discharge, BalanceKind::Cash, -1200)];
        let (_, after) = reverse(&dis, &bal(100, 52), &gift_rules()).unwrap();
        assert_eq!(after, bal(1300, 52));
        let (_, after) = reverse(&load, &after, &gift_rules()).unwrap();
        assert_eq!(after, bal(300, 52));
    }

    #[test]
    fn overdraft_lets_a_reversal_go_down_to_the_limit() {
        let mut rules = punkte_rules();
        rules.overdraft_allowed = true;
        rules.overdraft_limit = Cents(900);
        let load = [b(BookingType::Charge, BalanceKind::Cash, 1000)];
        assert_eq!(
            reverse(&load, &bal(100, 0), &rules).unwrap().1,
            bal(-900, 0)
        );
        assert!(matches!(
            reverse(&load, &bal(99, 0), &rules),
            Err(DomainError::CancelNotAllowed(_))
        ));
    }

    #[test]
    fn reversing_collected_bonus_that_was_spent_is_not_allowed() {
        let orig = [b(BookingType::BonusCollected, BalanceKind::Bonus, 78)];
        assert!(matches!(
            reverse(&orig, &bal(0, 50), &bonus10_rules()),
            Err(DomainError::CancelNotAllowed(_))
        ));
        let points = [b(BookingType::PointsCharge, BalanceKind::Points, 10)];
        let card = Balances {
            points: 9,
            ..bal(0, 0)
        };
        assert!(matches!(
            reverse(&points, &card, &punkte_rules()),
            Err(DomainError::CancelNotAllowed(_))
        ));
    }

    #[test]
    fn a_reversal_that_raises_a_balance_below_its_floor_is_allowed() {
        // The overdraft was switched off after the card went to −500.
        let dis = [b(BookingType::Discharge, BalanceKind::Cash, -200)];
        let (_, after) = reverse(&dis, &bal(-500, 0), &punkte_rules()).unwrap();
        assert_eq!(after, bal(-300, 0));
    }

    #[test]
    fn a_v6_purchase_reverses_to_the_opening_balances() {
        let orig = [
            b(BookingType::BonusSpent, BalanceKind::Bonus, -20),
            b(BookingType::CashSpent, BalanceKind::Cash, -200),
            b(BookingType::BonusCollected, BalanceKind::Bonus, 78),
        ];
        let (bookings, after) = reverse(&orig, &bal(0, 78), &bonus10_rules()).unwrap();
        assert_eq!(
            bookings.iter().map(|b| b.amount).collect::<Vec<_>>(),
            [20, 200, -78]
        );
        assert_eq!(
            bookings.iter().map(|b| b.kind).collect::<Vec<_>>(),
            orig.map(|b| b.kind)
        );
        assert_eq!(after, bal(200, 20));
    }

    #[test]
    fn only_the_most_recent_transaction_may_be_cancelled_without_cancel_selected() {
        // V8b: opening, load X7, purchase → X7 is not the last one.
        let history = [OPENING, OK, OK];
        assert!(matches!(
            check_cancellable(&history, 1, false),
            Err(DomainError::CancelNotAllowed(_))
        ));
        assert_eq!(check_cancellable(&history, 2, false), Ok(()));
        // After the purchase is cancelled, the load is the most recent uncancelled one.
        let history = [OPENING, OK, CANCELLED, STORNO];
        assert_eq!(last_cancellable(&history), Some(1));
        assert_eq!(check_cancellable(&history, 1, false), Ok(()));
    }

    #[test]
    fn cancel_selected_allows_any_uncancelled_transaction() {
        let history = [OPENING, OK, OK];
        assert_eq!(check_cancellable(&history, 1, true), Ok(()));
        assert!(check_cancellable(&history, 0, true).is_err());
        let history = [OPENING, CANCELLED, STORNO];
        assert!(check_cancellable(&history, 1, true).is_err());
        assert!(check_cancellable(&history, 2, true).is_err());
        assert!(check_cancellable(&history, 9, true).is_err());
    }

    #[test]
    fn a_card_with_only_an_opening_has_nothing_to_cancel() {
        assert_eq!(last_cancellable(&[OPENING]), None);
        assert_eq!(last_cancellable(&[]), None);
    }
}
