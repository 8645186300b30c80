//! The smart transaction's status machine (api.md §8.1) and the method checks of start (§8.8 steps 1, 5).

use crate::DomainError;
use crate::basket::Totals;
use crate::plan::Plan;

named_enum! {
    /// The smart transaction's status (api.md §8.1).
    pub enum StxStatus ("status") {
        Created = "created",
        Processing = "processing",
        Ok = "ok",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl StxStatus {
    /// `created` or `processing`: the basket may still change.
    fn is_open(self) -> bool {
        matches!(self, StxStatus::Created | StxStatus::Processing)
    }
}

/// The `{method}` of `start/{method}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StartMethod {
    Cash,
    Loyalty,
    Cashless,
    Demo,
    /// `start/` with an empty method: treated like cash.
    Empty,
}

impl StartMethod {
    /// Path segments match case-insensitively (§1.1); online methods (`debit`, `invoice`, …) are 4001.
    pub fn parse(s: &str) -> Result<StartMethod, DomainError> {
        match s.to_ascii_lowercase().as_str() {
            "" => Ok(StartMethod::Empty),
            "cash" => Ok(StartMethod::Cash),
            "loyalty" => Ok(StartMethod::Loyalty),
            "cashless" => Ok(StartMethod::Cashless),
            "demo" => Ok(StartMethod::Demo),
            _ => Err(DomainError::InvalidRequest(format!(
                "start method {s:?} is not served"
            ))),
        }
    }

    /// The stored `payment_method`: as sent, an empty method as `"cash"`.
    pub fn payment_method(&self) -> &'static str {
        match self {
            StartMethod::Cash | StartMethod::Empty => "cash",
            StartMethod::Loyalty => "loyalty",
            StartMethod::Cashless => "cashless",
            StartMethod::Demo => "demo",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Put,
    PreTransaction,
    Start(StartMethod),
    Cancel,
    Abort,
    CancelTrx,
    SetDelivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Carry the action out.
    Proceed,
    /// Answer 200 with the stored object and do nothing (a repeated start, cancel or abort).
    Unchanged,
}

/// The §8.1 table. `stored_method` is the `payment_method` stored on an `ok` transaction; a repeated
/// start with the same method is answered unchanged, so a register may safely retry.
pub fn check(
    action: &Action,
    status: StxStatus,
    stored_method: Option<&str>,
) -> Result<Transition, DomainError> {
    use StxStatus::*;
    use Transition::*;
    let outcome = match (action, status) {
        (Action::Put | Action::PreTransaction, s) if s.is_open() => Some(Proceed),
        (Action::Start(_), s) if s.is_open() => Some(Proceed),
        (Action::Start(m), Ok) => {
            let same =
                stored_method.is_some_and(|stored| stored.eq_ignore_ascii_case(m.payment_method()));
            same.then_some(Unchanged)
        }
        (Action::Cancel, Created | Processing | Ok | Failed) => Some(Proceed),
        (Action::Abort, s) if s.is_open() => Some(Proceed),
        (Action::CancelTrx, Ok) => Some(Proceed),
        (Action::Cancel | Action::Abort | Action::CancelTrx, Cancelled) => Some(Unchanged),
        (Action::SetDelivery, Created | Processing | Ok) => Some(Proceed),
        _ => None,
    };
    outcome.ok_or_else(|| {
        DomainError::StateConflict(format!(
            "{} is not allowed on a transaction in status {}",
            action_name(action),
            status.as_str()
        ))
    })
}

fn action_name(action: &Action) -> String {
    match action {
        Action::Put => "PUT".into(),
        Action::PreTransaction => "preTransaction".into(),
        Action::Start(m) => format!("start/{}", m.payment_method()),
        Action::Cancel => "cancel".into(),
        Action::Abort => "abort".into(),
        Action::CancelTrx => "canceltrx".into(),
        Action::SetDelivery => "setDelivery".into(),
    }
}

/// §8.8: `start/loyalty` pays entirely with the card.
///
/// * `created` (step 1): allowed only when `T − D = 0`; otherwise a preTransaction is required → 4101.
/// * `processing` (step 5): the plan's `missing_sum` must be 0 → else 4203. The caller runs this after
///   the plan re-check of `settle`, so a changed balance reports 4204 first.
pub fn check_loyalty_method(
    status: StxStatus,
    totals: &Totals,
    plan: Option<&Plan>,
) -> Result<(), DomainError> {
    match (status, plan) {
        (StxStatus::Processing, Some(p)) if p.missing_sum.is_positive() => {
            Err(DomainError::InsufficientBalance(format!(
                "the card leaves {} to pay; use start/cash or start/cashless",
                p.missing_sum.0
            )))
        }
        (StxStatus::Processing, Some(_)) => Ok(()),
        (StxStatus::Created | StxStatus::Processing, _) => {
            let needs_card_money = totals.total.checked_sub(totals.discharge)?.is_positive();
            if needs_card_money {
                return Err(DomainError::StateConflict(
                    "start/loyalty needs a preTransaction first".into(),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basket::totals;
    use crate::money::Cents;
    use crate::plan::plan;
    use crate::testutil::*;
    use StxStatus::*;

    const CASH: Action = Action::Start(StartMethod::Cash);
    const LOYALTY: Action = Action::Start(StartMethod::Loyalty);

    fn conflict(r: Result<Transition, DomainError>) -> bool {
        matches!(r, Err(DomainError::StateConflict(_)))
    }

    #[test]
    fn statuses_and_methods_parse_their_wire_names() {
        for &s in StxStatus::ALL {
            assert_eq!(StxStatus::parse(s.as_str()), Result::Ok(s));
        }
        assert_eq!(StartMethod::parse(""), Result::Ok(StartMethod::Empty));
        assert_eq!(StartMethod::parse("CASH"), Result::Ok(StartMethod::Cash));
        assert_eq!(
            StartMethod::parse("Loyalty"),
            Result::Ok(StartMethod::Loyalty)
        );
        for unknown in ["debit", "invoice", "prepaid", "cashless_direct", "ccload"] {
            assert!(matches!(
                StartMethod::parse(unknown),
                Err(DomainError::InvalidRequest(_))
            ));
        }
        assert_eq!(StartMethod::Empty.payment_method(), "cash");
        assert_eq!(StartMethod::Demo.payment_method(), "demo");
    }

    #[test]
    fn put_and_pre_transaction_need_an_open_transaction() {
        for a in [Action::Put, Action::PreTransaction] {
            assert_eq!(check(&a, Created, None), Result::Ok(Transition::Proceed));
            assert_eq!(check(&a, Processing, None), Result::Ok(Transition::Proceed));
            for s in [Ok, Failed, Cancelled] {
                assert!(conflict(check(&a, s, Some("cash"))), "{a:?} on {s:?}");
            }
        }
    }

    #[test]
    fn a_repeated_start_with_the_same_method_is_answered_unchanged() {
        // V1 repeats: start/cash again → 200 unchanged; start/loyalty → 4101.
        assert_eq!(
            check(&CASH, Ok, Some("cash")),
            Result::Ok(Transition::Unchanged)
        );
        assert!(conflict(check(&LOYALTY, Ok, Some("cash"))));
        assert_eq!(
            check(&Action::Start(StartMethod::Empty), Ok, Some("cash")),
            Result::Ok(Transition::Unchanged)
        );
        assert_eq!(
            check(&Action::Start(StartMethod::Demo), Ok, Some("demo")),
            Result::Ok(Transition::Unchanged)
        );
        assert!(conflict(check(
            &Action::Start(StartMethod::Demo),
            Ok,
            Some("cash")
        )));
        assert!(conflict(check(&CASH, Ok, None)));
    }

    #[test]
    fn start_on_failed_or_cancelled_is_a_conflict() {
        // V16: a declined cashless payment cannot be retried with start/cash.
        assert!(conflict(check(&CASH, Failed, Some("cashless"))));
        assert!(conflict(check(
            &Action::Start(StartMethod::Cashless),
            Failed,
            Some("cashless")
        )));
        assert!(conflict(check(&CASH, Cancelled, Some("cash"))));
        assert_eq!(check(&CASH, Created, None), Result::Ok(Transition::Proceed));
        assert_eq!(
            check(&LOYALTY, Processing, None),
            Result::Ok(Transition::Proceed)
        );
    }

    #[test]
    fn cancel_works_everywhere_and_repeats_unchanged() {
        for s in [Created, Processing, Ok, Failed] {
            assert_eq!(
                check(&Action::Cancel, s, Some("cash")),
                Result::Ok(Transition::Proceed)
            );
        }
        assert_eq!(
            check(&Action::Cancel, Cancelled, Some("cash")),
            Result::Ok(Transition::Unchanged)
        );
    }

    #[test]
    fn abort_only_before_payment() {
        assert_eq!(
            check(&Action::Abort, Created, None),
            Result::Ok(Transition::Proceed)
        );
        assert_eq!(
            check(&Action::Abort, Processing, None),
            Result::Ok(Transition::Proceed)
        );
        assert_eq!(
            check(&Action::Abort, Cancelled, None),
            Result::Ok(Transition::Unchanged)
        );
        assert!(conflict(check(&Action::Abort, Ok, Some("cash"))));
        assert!(conflict(check(&Action::Abort, Failed, Some("cashless"))));
    }

    #[test]
    fn canceltrx_only_on_paid_transactions() {
        assert_eq!(
            check(&Action::CancelTrx, Ok, Some("cashless")),
            Result::Ok(Transition::Proceed)
        );
        assert_eq!(
            check(&Action::CancelTrx, Cancelled, Some("cashless")),
            Result::Ok(Transition::Unchanged)
        );
        for s in [Created, Processing, Failed] {
            assert!(conflict(check(&Action::CancelTrx, s, None)));
        }
    }

    #[test]
    fn set_delivery_until_failed_or_cancelled() {
        for s in [Created, Processing, Ok] {
            assert_eq!(
                check(&Action::SetDelivery, s, Some("cash")),
                Result::Ok(Transition::Proceed)
            );
        }
        for s in [Failed, Cancelled] {
            assert!(conflict(check(&Action::SetDelivery, s, None)));
        }
    }

    #[test]
    fn loyalty_without_pre_transaction_is_a_conflict_unless_only_discharges_are_paid() {
        // V2 negative: T − D = 796 → 4101. V3: a pure discharge is allowed.
        let t = totals(&docs_basket()).unwrap();
        assert!(matches!(
            check_loyalty_method(Created, &t, None),
            Err(DomainError::StateConflict(_))
        ));
        let t = totals(&[discharge(1, 500)]).unwrap();
        assert_eq!(check_loyalty_method(Created, &t, None), Result::Ok(()));
        let t = totals(&[]).unwrap();
        assert_eq!(check_loyalty_method(Created, &t, None), Result::Ok(()));
    }

    #[test]
    fn loyalty_after_pre_transaction_needs_a_zero_missing_sum() {
        // V2: missing 0 → allowed. V4: missing 296 → 4203.
        let t = totals(&docs_basket()).unwrap();
        let full = plan(&docs_basket(), &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            check_loyalty_method(Processing, &t, Some(&full)),
            Result::Ok(())
        );
        let partial = plan(&docs_basket(), &bal(500, 0), &punkte_rules()).unwrap();
        assert_eq!(partial.missing_sum, Cents(296));
        assert!(matches!(
            check_loyalty_method(Processing, &t, Some(&partial)),
            Err(DomainError::InsufficientBalance(_))
        ));
    }
}
