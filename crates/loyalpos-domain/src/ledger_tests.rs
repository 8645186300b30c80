//! The ledger invariant (api.md §7.5) as a property: an in-memory ledger of loyalty transactions, driven by
//! random direct bookings, purchases (with fresh or stale preTransaction plans) and cancellations, must
//! after every step keep each balance equal to the sum of its bookings, never go below a floor, and leave
//! no trace of a failed step.

use proptest::prelude::*;

use crate::DomainError;
use crate::basket::Line;
use crate::booking::{BalanceKind, Booking, BookingType, apply, money_change};
use crate::direct::{DirectAction, direct};
use crate::money::Cents;
use crate::plan::{Balances, plan};
use crate::program::CardRules;
use crate::reversal::{LtxState, check_cancellable, last_cancellable, reverse};
use crate::settle::settle;
use crate::testutil::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Ltx {
    bookings: Vec<Booking>,
    state: LtxState,
    /// `balance_after − balance_before` as recorded when written.
    amount: Cents,
    balance_after: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Ledger {
    rules: CardRules,
    ltxs: Vec<Ltx>,
    balances: Balances,
    /// The balances before the previous step: a plan made then is a stale plan now.
    previous: Balances,
}

#[derive(Debug, Clone)]
enum Step {
    Direct(DirectAction, i64, bool),
    Purchase(Vec<Line>),
    PurchaseWithPlan(Vec<Line>),
    PurchaseWithStalePlan(Vec<Line>),
    CancelLast,
    CancelAt(usize),
}

impl Ledger {
    fn open(rules: CardRules, opening: Balances) -> Ledger {
        let bookings: Vec<Booking> = [
            (BalanceKind::Cash, opening.cash.0),
            (BalanceKind::Bonus, opening.bonus.0),
            (BalanceKind::Points, opening.points),
        ]
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .map(|(balance, amount)| Booking::new(BookingType::Opening, balance, amount))
        .collect();
        let mut ledger = Ledger {
            rules,
            ltxs: Vec::new(),
            balances: Balances::default(),
            previous: Balances::default(),
        };
        let state = LtxState {
            is_opening: true,
            ..LtxState::default()
        };
        ledger.write(bookings, state, None).unwrap();
        ledger
    }

    /// Writes one LTX; `cancels` marks the original of a cancellation.
    fn write(
        &mut self,
        bookings: Vec<Booking>,
        state: LtxState,
        cancels: Option<usize>,
    ) -> Result<(), DomainError> {
        let after = apply(&self.balances, &bookings)?;
        let amount = money_change(&bookings)?;
        self.previous = self.balances;
        self.balances = after;
        if let Some(i) = cancels {
            self.ltxs[i].state.cancelled = true;
        }
        self.ltxs.push(Ltx {
            bookings,
            state,
            amount,
            balance_after: after.balance()?,
        });
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), DomainError> {
        let rules = self.rules.clone();
        let booking = LtxState::default();
        match step {
            Step::Direct(action, amount, split) => {
                let o = direct(*action, *amount, *split, &self.balances, &rules)?;
                assert_eq!(o.balances_after, apply(&self.balances, &o.bookings)?);
                self.write(o.bookings, booking, None)
            }
            Step::Purchase(lines) => {
                let s = settle(lines, None, &self.balances, &rules)?;
                self.write(s.bookings, booking, None)
            }
            Step::PurchaseWithPlan(lines) => {
                let p = plan(lines, &self.balances, &rules)?;
                let s = settle(lines, Some(&p), &self.balances, &rules)?;
                self.write(s.bookings, booking, None)
            }
            Step::PurchaseWithStalePlan(lines) => {
                let p = plan(lines, &self.previous, &rules)?;
                let s = settle(lines, Some(&p), &self.balances, &rules)?;
                self.write(s.bookings, booking, None)
            }
            Step::CancelLast => {
                let states: Vec<LtxState> = self.ltxs.iter().map(|l| l.state).collect();
                let i = last_cancellable(&states)
                    .ok_or_else(|| DomainError::CancelNotAllowed("nothing to cancel".into()))?;
                self.cancel(i)
            }
            Step::CancelAt(i) => {
                let states: Vec<LtxState> = self.ltxs.iter().map(|l| l.state).collect();
                let i = i % states.len();
                check_cancellable(&states, i, rules.cancel_selected)?;
                self.cancel(i)
            }
        }
    }

    fn cancel(&mut self, i: usize) -> Result<(), DomainError> {
        let (reversed, _) = reverse(&self.ltxs[i].bookings, &self.balances, &self.rules)?;
        let state = LtxState {
            is_cancelling: true,
            ..LtxState::default()
        };
        self.write(reversed, state, Some(i))
    }

    fn sum_of(&self, kind: BalanceKind) -> i64 {
        self.ltxs
            .iter()
            .flat_map(|l| &l.bookings)
            .filter(|b| b.balance == kind)
            .map(|b| b.amount)
            .sum()
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let b = self.balances;
        prop_assert_eq!(
            self.sum_of(BalanceKind::Cash),
            b.cash.0,
            "cash = Σ cash bookings"
        );
        prop_assert_eq!(
            self.sum_of(BalanceKind::Bonus),
            b.bonus.0,
            "bonus = Σ bonus bookings"
        );
        prop_assert_eq!(
            self.sum_of(BalanceKind::Points),
            b.points,
            "points = Σ points bookings"
        );
        prop_assert_eq!(
            b.balance().unwrap(),
            Cents(b.cash.0 + b.bonus.0),
            "balance = cash + bonus"
        );
        prop_assert!(
            b.cash >= self.rules.cash_floor(),
            "cash {:?} below floor",
            b.cash
        );
        prop_assert!(!b.bonus.is_negative(), "bonus below 0");
        prop_assert!(b.points >= 0, "points below 0");
        let mut before = Cents::ZERO;
        for ltx in &self.ltxs {
            prop_assert_eq!(
                ltx.balance_after.0 - before.0,
                ltx.amount.0,
                "LTX amount = after − before"
            );
            before = ltx.balance_after;
        }
        let cancelled = self.ltxs.iter().filter(|l| l.state.cancelled).count();
        let cancelling = self.ltxs.iter().filter(|l| l.state.is_cancelling).count();
        prop_assert_eq!(
            cancelled,
            cancelling,
            "every cancellation cancels exactly one LTX"
        );
        Ok(())
    }
}

fn any_rules() -> impl Strategy<Value = CardRules> {
    (any::<bool>(), 1i64..5_000, 0i64..=2_000, any::<bool>()).prop_map(
        |(overdraft, limit, rate, selected)| {
            let mut r = bonus10_rules();
            r.overdraft_allowed = overdraft;
            r.overdraft_limit = if overdraft { Cents(limit) } else { Cents::ZERO };
            r.bonus.rate = rate;
            r.cancel_selected = selected;
            r
        },
    )
}

fn any_basket() -> impl Strategy<Value = Vec<Line>> {
    let line = (
        0u8..8,
        1i64..3,
        -500i64..3_000,
        prop_oneof![Just(7i64), Just(19), Just(1900), Just(0)],
    );
    prop::collection::vec(line, 0..5).prop_map(|lines| {
        let mut out: Vec<Line> = lines
            .into_iter()
            .enumerate()
            .map(|(i, (kind, qty, price, tax))| {
                let id = i as i64 + 1;
                match kind {
                    0 => load(id, price.abs() + 1),
                    1 => discharge(id, price.abs() + 1),
                    _ => goods(id, qty, price, tax),
                }
            })
            .collect();
        // Keep only baskets a client could have created (T ≥ 0).
        let total: i64 = out.iter().map(|l| l.quantity * l.price_one.0).sum();
        if total < 0 {
            out.push(goods(out.len() as i64 + 1, 1, -total, 19));
        }
        out
    })
}

fn any_step() -> impl Strategy<Value = Step> {
    let amount = 1i64..4_000;
    prop_oneof![
        amount
            .clone()
            .prop_map(|a| Step::Direct(DirectAction::Charge, a, false)),
        (amount.clone(), any::<bool>()).prop_map(|(a, split)| Step::Direct(
            DirectAction::Discharge,
            a,
            split
        )),
        amount
            .clone()
            .prop_map(|a| Step::Direct(DirectAction::SaleRevenue, a, false)),
        amount
            .clone()
            .prop_map(|a| Step::Direct(DirectAction::ChargePoints, a, false)),
        amount.prop_map(|a| Step::Direct(DirectAction::DischargePoints, a, false)),
        any_basket().prop_map(Step::Purchase),
        any_basket().prop_map(Step::PurchaseWithPlan),
        any_basket().prop_map(Step::PurchaseWithStalePlan),
        Just(Step::CancelLast),
        Just(Step::CancelLast),
        (0usize..64).prop_map(Step::CancelAt),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_invariant_holds_after_every_step(
        rules in any_rules(),
        cash in 0i64..5_000,
        bonus in 0i64..500,
        points in 0i64..500,
        steps in prop::collection::vec(any_step(), 1..40),
    ) {
        let opening = Balances { cash: Cents(cash), bonus: Cents(bonus), points };
        let mut ledger = Ledger::open(rules, opening);
        ledger.check_invariants()?;
        for step in &steps {
            let before = ledger.clone();
            match ledger.step(step) {
                Ok(()) => prop_assert_eq!(ledger.ltxs.len(), before.ltxs.len() + 1),
                Err(e) => {
                    prop_assert!(
                        matches!(
                            e,
                            DomainError::InsufficientBalance(_)
                                | DomainError::BalanceChanged(_)
                                | DomainError::CancelNotAllowed(_)
                                | DomainError::InvalidAmount(_)
                        ),
                        "unexpected failure {:?} for {:?}", e, step
                    );
                    prop_assert_eq!(&ledger, &before, "a failed step changed the ledger");
                }
            }
            ledger.check_invariants()?;
        }
    }
}

#[test]
fn cancelling_everything_returns_to_the_opening_balances() {
    let mut ledger = Ledger::open(bonus10_rules(), bal(200, 20));
    for step in [
        Step::PurchaseWithPlan(docs_basket()),
        Step::Direct(DirectAction::Charge, 1000, false),
        Step::Direct(DirectAction::SaleRevenue, 500, false),
    ] {
        ledger.step(&step).unwrap();
    }
    assert_eq!(ledger.balances, bal(1000, 128));
    while ledger.step(&Step::CancelLast).is_ok() {}
    assert_eq!(ledger.balances, bal(200, 20));
    assert_eq!(ledger.ltxs.len(), 7);
}
