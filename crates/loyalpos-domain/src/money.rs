//! Money: integer cents with checked arithmetic, ISO 4217 currency codes and the German receipt format
//! (api.md §1.6). There is no floating point anywhere near an amount.

use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};

use crate::DomainError;

/// Largest magnitude of any amount or derived total: 2^53 − 1, so that JavaScript clients read every
/// number exactly (api.md §1.2, "Range").
pub const MAX_SAFE: i64 = (1 << 53) - 1;

/// An amount in the smallest currency unit (Euro cent). Stored and sent as the bare integer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// The amount, refused (4001) when it leaves ±MAX_SAFE.
    pub fn safe(v: i64) -> Result<Cents, DomainError> {
        if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
            Ok(Cents(v))
        } else {
            Err(out_of_range(v))
        }
    }

    pub fn checked_add(self, o: Cents) -> Result<Cents, DomainError> {
        self.0
            .checked_add(o.0)
            .ok_or_else(overflow)
            .and_then(Cents::safe)
    }

    pub fn checked_sub(self, o: Cents) -> Result<Cents, DomainError> {
        self.0
            .checked_sub(o.0)
            .ok_or_else(overflow)
            .and_then(Cents::safe)
    }

    /// `self × qty`, e.g. a basket line's `quantity × priceOne`.
    pub fn checked_mul(self, qty: i64) -> Result<Cents, DomainError> {
        self.0
            .checked_mul(qty)
            .ok_or_else(overflow)
            .and_then(Cents::safe)
    }

    /// Sum of many amounts; every partial sum must stay in range too, so the order of lines never decides
    /// whether a basket is accepted by accident of cancellation.
    pub fn checked_sum<I: IntoIterator<Item = Cents>>(items: I) -> Result<Cents, DomainError> {
        items
            .into_iter()
            .try_fold(Cents::ZERO, |acc, c| acc.checked_add(c))
    }

    // The interface names this `neg`; `std::ops::Neg` is implemented as well and agrees with it.
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Cents {
        // Saturating only matters for i64::MIN, which no validated amount can hold.
        Cents(self.0.saturating_neg())
    }

    pub fn value(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl std::ops::Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents::neg(self)
    }
}

/// The plain number of cents, for diagnostics (`check`'s findings); receipts use [`format_amount`].
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<Cents> for i64 {
    fn from(c: Cents) -> i64 {
        c.0
    }
}

fn out_of_range(v: i64) -> DomainError {
    DomainError::InvalidRequest(format!("amount {v} is outside ±{MAX_SAFE}"))
}

fn overflow() -> DomainError {
    DomainError::InvalidRequest(format!("amount overflows ±{MAX_SAFE}"))
}

/// An ISO 4217 code: three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(String);

impl Currency {
    pub fn parse(s: &str) -> Result<Currency, DomainError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(s.to_owned()))
        } else {
            Err(DomainError::InvalidAmount(format!(
                "currency {s:?} is not an ISO 4217 code"
            )))
        }
    }

    /// The default currency of card groups and baskets.
    pub fn eur() -> Currency {
        Currency("EUR".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Currency {
        Currency::eur()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The German receipt format of api.md §1.6: optional `-`, euros grouped by `.`, `,`, two digits, a space,
/// the code — `7,96 EUR`, `1.234,56 EUR`, `-2,20 EUR`.
pub fn format_amount(amount: Cents, currency: &Currency) -> String {
    // unsigned_abs: even i64::MIN formats instead of overflowing.
    let magnitude = amount.0.unsigned_abs();
    let mut out = String::with_capacity(32);
    if amount.0 < 0 {
        out.push('-');
    }
    push_grouped(&mut out, magnitude / 100);
    let _ = write!(out, ",{:02} {}", magnitude % 100, currency.as_str());
    out
}

fn push_grouped(out: &mut String, mut units: u64) {
    // Thousands groups, least significant first; bounded by the 7 groups of a u64.
    let mut groups = Vec::with_capacity(7);
    loop {
        groups.push(units % 1000);
        units /= 1000;
        if units == 0 {
            break;
        }
    }
    let mut from_top = groups.iter().rev();
    if let Some(first) = from_top.next() {
        let _ = write!(out, "{first}");
    }
    for group in from_top {
        let _ = write!(out, ".{group:03}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(v: i64) -> String {
        format_amount(Cents(v), &Currency::eur())
    }

    /// Reads a receipt amount back: the inverse of `format_amount`, for the round-trip property.
    fn parse_receipt_amount(s: &str) -> Option<(i64, String)> {
        let (number, code) = s.split_once(' ')?;
        let (negative, number) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (euros, cents) = number.split_once(',')?;
        if cents.len() != 2 || !cents.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let groups: Vec<&str> = euros.split('.').collect();
        let well_grouped = groups.iter().enumerate().all(|(i, g)| {
            let len_ok = if i == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            };
            len_ok && g.bytes().all(|b| b.is_ascii_digit())
        });
        if !well_grouped || (groups[0].starts_with('0') && euros != "0") {
            return None;
        }
        let magnitude: i64 = format!("{}{}", groups.concat(), cents).parse().ok()?;
        Some((
            if negative { -magnitude } else { magnitude },
            code.to_owned(),
        ))
    }

    #[test]
    fn receipt_amounts_match_the_v19_table() {
        assert_eq!(eur(0), "0,00 EUR");
        assert_eq!(eur(5), "0,05 EUR");
        assert_eq!(eur(796), "7,96 EUR");
        assert_eq!(eur(123_456), "1.234,56 EUR");
        assert_eq!(eur(100_000_000), "1.000.000,00 EUR");
        assert_eq!(eur(-220), "-2,20 EUR");
    }

    #[test]
    fn small_negative_amounts_keep_their_sign() {
        assert_eq!(eur(-5), "-0,05 EUR");
        assert_eq!(eur(-100_000), "-1.000,00 EUR");
    }

    #[test]
    fn the_currency_code_follows_the_amount() {
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(format_amount(Cents(99_999), &chf), "999,99 CHF");
    }

    #[test]
    fn extreme_values_format_without_panicking() {
        assert_eq!(eur(MAX_SAFE), "90.071.992.547.409,91 EUR");
        assert_eq!(eur(i64::MIN), "-92.233.720.368.547.758,08 EUR");
    }

    #[test]
    fn currency_must_be_three_upper_case_letters() {
        assert_eq!(Currency::parse("EUR").unwrap(), Currency::eur());
        for bad in ["eur", "EURO", "EU", "", "E1R", "ÄUR"] {
            assert!(
                matches!(Currency::parse(bad), Err(DomainError::InvalidAmount(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn amounts_beyond_max_safe_are_invalid_requests() {
        assert_eq!(Cents::safe(MAX_SAFE), Ok(Cents(MAX_SAFE)));
        assert_eq!(Cents::safe(-MAX_SAFE), Ok(Cents(-MAX_SAFE)));
        assert!(matches!(
            Cents::safe(MAX_SAFE + 1),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            Cents(MAX_SAFE).checked_add(Cents(1)),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            Cents(-MAX_SAFE).checked_sub(Cents(1)),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            Cents(i64::MAX).checked_mul(2),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            Cents(1 << 30).checked_mul(1 << 30),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn checked_arithmetic_is_exact_in_range() {
        assert_eq!(Cents(99).checked_mul(2), Ok(Cents(198)));
        assert_eq!(Cents(349).checked_add(Cents(249)), Ok(Cents(598)));
        assert_eq!(Cents(796).checked_sub(Cents(71)), Ok(Cents(725)));
        assert_eq!(
            Cents::checked_sum([Cents(349), Cents(249), Cents(198)]),
            Ok(Cents(796))
        );
        assert_eq!(Cents(220).neg(), Cents(-220));
        assert_eq!(-Cents(-5), Cents(5));
    }

    proptest! {
        #[test]
        fn format_amount_round_trips_every_safe_amount(v in -MAX_SAFE..=MAX_SAFE) {
            let text = eur(v);
            prop_assert_eq!(parse_receipt_amount(&text), Some((v, "EUR".to_owned())));
        }

        #[test]
        fn format_amount_never_panics_for_any_i64(v in any::<i64>()) {
            let text = eur(v);
            prop_assert!(text.ends_with(" EUR"));
        }

        #[test]
        fn checked_add_agrees_with_i128_inside_the_range(a in -MAX_SAFE..=MAX_SAFE, b in -MAX_SAFE..=MAX_SAFE) {
            let exact = i128::from(a) + i128::from(b);
            let fits = exact.abs() <= i128::from(MAX_SAFE);
            match Cents(a).checked_add(Cents(b)) {
                Ok(c) => prop_assert!(fits && i128::from(c.0) == exact),
                Err(e) => prop_assert!(!fits && matches!(e, DomainError::InvalidRequest(_))),
            }
        }
    }
}
