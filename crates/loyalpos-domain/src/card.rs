//! Card numbers, the passcode policy and lock reasons (api.md §1.4, §9, §11.2).

use std::fmt;

use crate::DomainError;

/// A card number: exactly 16 ASCII digits (secucard numbers start with `9276`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(s: &str) -> Result<CardNumber, DomainError> {
        if s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CardNumber(s.to_owned()))
        } else {
            Err(DomainError::InvalidCardNumber(
                "card number must be exactly 16 digits".into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first four digits, shown as an ident's `prefix`.
    pub fn prefix(&self) -> &str {
        &self.0[..4]
    }

    /// The form used in logs: `927600******2845`.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..6], &self.0[12..])
    }
}

// Debug masks the number so that a `{:?}` in a log line never leaks a full card number (STYLE.md).
impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

named_enum! {
    /// Whether a merchant card may book (api.md §11): a locked card refuses bookings with 4202.
    pub enum LockStatus ("lock status") { Locked = "locked", Unlocked = "unlocked" }
}

named_enum! {
    /// Where a card is in its life (models.md §5, informational; an issued card is `active`).
    pub enum StockStatus ("stock status") { Active = "active", Inactive = "inactive", Stored = "stored" }
}

/// An operation a passcode policy can guard (`checkPasscodeEnabled`'s `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasscodeAction {
    Charge,
    Discharge,
    SaleRevenue,
    ChargePoints,
    DischargePoints,
    CashReport,
}

impl PasscodeAction {
    pub fn parse(s: &str) -> Result<PasscodeAction, DomainError> {
        match s.to_ascii_lowercase().as_str() {
            "charge" => Ok(PasscodeAction::Charge),
            "discharge" => Ok(PasscodeAction::Discharge),
            "sale_revenue" => Ok(PasscodeAction::SaleRevenue),
            "charge_points" => Ok(PasscodeAction::ChargePoints),
            "discharge_points" => Ok(PasscodeAction::DischargePoints),
            // §9 spells it `cashreport`; the snake_case form of the other actions is accepted too.
            "cashreport" | "cash_report" => Ok(PasscodeAction::CashReport),
            _ => Err(DomainError::InvalidRequest(format!(
                "unknown passcode action {s:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PasscodeAction::Charge => "charge",
            PasscodeAction::Discharge => "discharge",
            PasscodeAction::SaleRevenue => "sale_revenue",
            PasscodeAction::ChargePoints => "charge_points",
            PasscodeAction::DischargePoints => "discharge_points",
            PasscodeAction::CashReport => "cashreport",
        }
    }

    /// The policy value that guards only this action (§9 table); cash reports have none of their own.
    fn policy(self) -> Option<i64> {
        match self {
            PasscodeAction::Discharge => Some(2),
            PasscodeAction::Charge => Some(3),
            PasscodeAction::SaleRevenue => Some(4),
            PasscodeAction::DischargePoints => Some(5),
            PasscodeAction::ChargePoints => Some(6),
            PasscodeAction::CashReport => None,
        }
    }
}

/// `checkPasscodeEnabled` (api.md §11.2): policy 1 guards everything; 2–6 guard one action each; without
/// an action the question is "is any passcode check configured at all".
pub fn passcode_required(policy: i64, action: Option<PasscodeAction>) -> bool {
    match action {
        None => policy != 0,
        Some(a) => policy == 1 || a.policy() == Some(policy),
    }
}

/// The lock reasons of `GET …/me/lockReasons`, in that order.
pub const LOCK_REASONS: [(i64, &str); 5] = [
    (1, "Karte verloren"),
    (2, "Karte defekt"),
    (3, "Reklamation"),
    (6, "Karte abgelaufen"),
    (8, "Karte nicht aktiviert"),
];

/// The text of a lock reason id, `None` for an id `lock` must refuse (4001).
pub fn lock_reason(id: i64) -> Option<&'static str> {
    LOCK_REASONS
        .iter()
        .find(|(reason, _)| *reason == id)
        .map(|(_, desc)| *desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_and_stock_statuses_are_read_back_from_their_names_and_nothing_else() {
        for &s in LockStatus::ALL {
            assert_eq!(LockStatus::parse(s.as_str()), Ok(s));
        }
        for &s in StockStatus::ALL {
            assert_eq!(StockStatus::parse(&s.to_string()), Ok(s));
        }
        assert_eq!(LockStatus::Locked.as_str(), "locked");
        assert!(LockStatus::parse("LOCKED").is_err());
        assert!(StockStatus::parse("lost").is_err());
    }

    #[test]
    fn a_card_number_is_exactly_16_digits() {
        let n = CardNumber::parse("9276004429942845").unwrap();
        assert_eq!(n.as_str(), "9276004429942845");
        for bad in [
            "12345",
            "92760044299428450",
            "927600442994284a",
            "",
            "９２７６００４４２９９４２８４",
        ] {
            assert!(
                matches!(
                    CardNumber::parse(bad),
                    Err(DomainError::InvalidCardNumber(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn prefix_is_the_first_four_digits_and_masking_keeps_six_and_four() {
        let n = CardNumber::parse("9276004429942845").unwrap();
        assert_eq!(n.prefix(), "9276");
        assert_eq!(n.masked(), "927600******2845");
        assert_eq!(format!("{n:?}"), "CardNumber(927600******2845)");
    }

    #[test]
    fn policy_one_guards_every_action_including_cash_reports() {
        for a in [
            PasscodeAction::Charge,
            PasscodeAction::Discharge,
            PasscodeAction::SaleRevenue,
            PasscodeAction::ChargePoints,
            PasscodeAction::DischargePoints,
            PasscodeAction::CashReport,
        ] {
            assert!(passcode_required(1, Some(a)), "{a:?}");
            assert!(!passcode_required(0, Some(a)), "{a:?}");
        }
    }

    #[test]
    fn policies_two_to_six_guard_exactly_their_action() {
        let pairs = [
            (2, PasscodeAction::Discharge),
            (3, PasscodeAction::Charge),
            (4, PasscodeAction::SaleRevenue),
            (5, PasscodeAction::DischargePoints),
            (6, PasscodeAction::ChargePoints),
        ];
        for (policy, action) in pairs {
            for (_, other) in pairs {
                assert_eq!(passcode_required(policy, Some(other)), other == action);
            }
            assert!(!passcode_required(policy, Some(PasscodeAction::CashReport)));
        }
    }

    #[test]
    fn without_an_action_any_nonzero_policy_counts() {
        assert!(!passcode_required(0, None));
        for p in 1..=6 {
            assert!(passcode_required(p, None));
        }
    }

    #[test]
    fn passcode_actions_parse_their_wire_names_and_refuse_others() {
        for a in [
            PasscodeAction::Charge,
            PasscodeAction::Discharge,
            PasscodeAction::SaleRevenue,
            PasscodeAction::ChargePoints,
            PasscodeAction::DischargePoints,
            PasscodeAction::CashReport,
        ] {
            assert_eq!(PasscodeAction::parse(a.as_str()), Ok(a));
        }
        assert!(matches!(
            PasscodeAction::parse("refund"),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn lock_reasons_are_the_five_documented_ones() {
        assert_eq!(LOCK_REASONS.map(|(id, _)| id), [1, 2, 3, 6, 8]);
        assert_eq!(lock_reason(1), Some("Karte verloren"));
        assert_eq!(lock_reason(8), Some("Karte nicht aktiviert"));
        assert_eq!(lock_reason(4), None);
    }
}
