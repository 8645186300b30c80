//! The domain's failures. Each variant is exactly one code of the error catalogue (api.md §3.2); the HTTP
//! layer maps the variant to status, exception name and German `error_user`, and sends the English detail
//! as `error_details`.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// 4001: malformed value, unknown enum value, amount outside ±(2^53−1).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// 4002: basket sum mismatch, negative total, bad or mismatching currency.
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    /// 4003: card number not 16 digits.
    #[error("invalid card number: {0}")]
    InvalidCardNumber(String),
    /// 4101: action not allowed in the smart transaction's status.
    #[error("state conflict: {0}")]
    StateConflict(String),
    /// 4201: card unknown, expired or not valid here.
    #[error("card invalid: {0}")]
    CardInvalid(String),
    /// 4202: card locked.
    #[error("card locked: {0}")]
    CardLocked(String),
    /// 4203: the balance (overdraft included) does not cover the amount.
    #[error("insufficient balance: {0}")]
    InsufficientBalance(String),
    /// 4204: the card no longer covers a stored preTransaction plan.
    #[error("balance changed: {0}")]
    BalanceChanged(String),
    /// 4205: the loyalty transaction may not be cancelled.
    #[error("cancel not allowed: {0}")]
    CancelNotAllowed(String),
    /// 4206: wrong CSC or passcode.
    #[error("wrong secret: {0}")]
    WrongSecret(String),
}

impl DomainError {
    /// The catalogue code (api.md §3.2) this failure is reported with.
    pub fn code(&self) -> u16 {
        match self {
            DomainError::InvalidRequest(_) => 4001,
            DomainError::InvalidAmount(_) => 4002,
            DomainError::InvalidCardNumber(_) => 4003,
            DomainError::StateConflict(_) => 4101,
            DomainError::CardInvalid(_) => 4201,
            DomainError::CardLocked(_) => 4202,
            DomainError::InsufficientBalance(_) => 4203,
            DomainError::BalanceChanged(_) => 4204,
            DomainError::CancelNotAllowed(_) => 4205,
            DomainError::WrongSecret(_) => 4206,
        }
    }

    /// The English detail, without the variant prefix of `Display`.
    pub fn detail(&self) -> &str {
        match self {
            DomainError::InvalidRequest(d)
            | DomainError::InvalidAmount(d)
            | DomainError::InvalidCardNumber(d)
            | DomainError::StateConflict(d)
            | DomainError::CardInvalid(d)
            | DomainError::CardLocked(d)
            | DomainError::InsufficientBalance(d)
            | DomainError::BalanceChanged(d)
            | DomainError::CancelNotAllowed(d)
            | DomainError::WrongSecret(d) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_knows_its_catalogue_code() {
        let d = String::new;
        let codes: Vec<u16> = [
            DomainError::InvalidRequest(d()),
            DomainError::InvalidAmount(d()),
            DomainError::InvalidCardNumber(d()),
            DomainError::StateConflict(d()),
            DomainError::CardInvalid(d()),
            DomainError::CardLocked(d()),
            DomainError::InsufficientBalance(d()),
            DomainError::BalanceChanged(d()),
            DomainError::CancelNotAllowed(d()),
            DomainError::WrongSecret(d()),
        ]
        .iter()
        .map(DomainError::code)
        .collect();
        assert_eq!(
            codes,
            [4001, 4002, 4003, 4101, 4201, 4202, 4203, 4204, 4205, 4206]
        );
    }

    #[test]
    fn display_carries_the_english_detail() {
        let e = DomainError::CardLocked("card 9276004429999952 is locked".into());
        assert_eq!(
            e.to_string(),
            "card locked: card 9276004429999952 is locked"
        );
        assert_eq!(e.detail(), "card 9276004429999952 is locked");
    }
}
