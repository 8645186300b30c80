//! VAT rates. Registers write a line's `tax` either as a percentage (`7`, `19`) or in hundredths of a
//! percent (`700`, `1900`); both notations must land in the same rate group (api.md §8.2).

use crate::DomainError;

/// A VAT rate in hundredths of a percent: 7 % = 700.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VatRate(u32);

impl VatRate {
    /// Reads a line's `tax`: below 100 it is a percentage, from 100 on hundredths of a percent
    /// (loyalpos rule, api.md §8.2). So `100` means 1 %, never 100 %.
    pub fn from_tax(tax: i64) -> Result<VatRate, DomainError> {
        let hundredths = match tax {
            t if t < 0 => return Err(DomainError::InvalidRequest(format!("tax {t} is negative"))),
            t if t < 100 => t * 100,
            t => t,
        };
        u32::try_from(hundredths)
            .map(VatRate)
            .map_err(|_| DomainError::InvalidRequest(format!("tax {tax} is out of range")))
    }

    pub const fn from_hundredths(hundredths: u32) -> VatRate {
        VatRate(hundredths)
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// The percentage as printed in texts: `7`, `19`, `7,5`, `0` (decimal comma, no trailing zeros).
    pub fn label(self) -> String {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => whole.to_string(),
            f if f % 10 == 0 => format!("{whole},{}", f / 10),
            f => format!("{whole},{f:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(tax: i64) -> VatRate {
        VatRate::from_tax(tax).unwrap()
    }

    #[test]
    fn percent_and_hundredths_notation_fall_into_one_group() {
        assert_eq!(rate(7), rate(700));
        assert_eq!(rate(19), rate(1900));
        assert_eq!(rate(0).hundredths(), 0);
        assert_eq!(rate(99).hundredths(), 9900);
        assert_eq!(rate(100).hundredths(), 100);
        assert_eq!(rate(750).hundredths(), 750);
    }

    #[test]
    fn labels_use_a_decimal_comma_only_when_needed() {
        assert_eq!(rate(7).label(), "7");
        assert_eq!(rate(1900).label(), "19");
        assert_eq!(rate(750).label(), "7,5");
        assert_eq!(rate(725).label(), "7,25");
        assert_eq!(rate(705).label(), "7,05");
        assert_eq!(rate(0).label(), "0");
        assert_eq!(rate(100).label(), "1");
    }

    #[test]
    fn negative_or_huge_tax_is_an_invalid_request() {
        assert!(matches!(
            VatRate::from_tax(-1),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            VatRate::from_tax(i64::MAX),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn rates_order_by_size() {
        assert!(rate(0) < rate(7) && rate(7) < rate(750) && rate(750) < rate(19));
    }
}
