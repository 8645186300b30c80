//! A card group's rules: currency, overdraft, cancellation policy, passcode policy and the bonus
//! programme (api.md §11.1).

use std::collections::BTreeSet;

use crate::DomainError;
use crate::money::{Cents, Currency, MAX_SAFE};
use crate::vat::VatRate;

/// What the bonus rate applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BonusBase {
    /// Full prices: spent-bonus lines do not reduce the collected bonus.
    #[default]
    Full,
    /// Prices after the spent-bonus lines.
    Reduced,
}

impl BonusBase {
    pub fn parse(s: &str) -> Result<BonusBase, DomainError> {
        match s {
            "full" => Ok(BonusBase::Full),
            "reduced" => Ok(BonusBase::Reduced),
            _ => Err(DomainError::InvalidRequest(format!(
                "bonus.base {s:?} is not \"full\" or \"reduced\""
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BonusBase::Full => "full",
            BonusBase::Reduced => "reduced",
        }
    }
}

/// The article filter of bonus collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FilterMode {
    #[default]
    None,
    Blacklist,
    Whitelist,
}

impl FilterMode {
    pub fn parse(s: &str) -> Result<FilterMode, DomainError> {
        match s {
            "none" => Ok(FilterMode::None),
            "blacklist" => Ok(FilterMode::Blacklist),
            "whitelist" => Ok(FilterMode::Whitelist),
            _ => Err(DomainError::InvalidRequest(format!(
                "bonus.filter.mode {s:?} is not \"none\", \"blacklist\" or \"whitelist\""
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FilterMode::None => "none",
            FilterMode::Blacklist => "blacklist",
            FilterMode::Whitelist => "whitelist",
        }
    }
}

/// The article that represents spent bonus of one VAT rate on the basket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BonusProduct {
    /// Either notation (`7` or `700`).
    pub tax: i64,
    pub desc: String,
    pub article_number: Option<String>,
    pub ean: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BonusProgram {
    /// Hundredths of a percent: 1000 = 10 %; 0 = no bonus programme.
    pub rate: i64,
    pub base: BonusBase,
    pub filter_mode: FilterMode,
    pub filter_codes: Vec<String>,
    pub products: Vec<BonusProduct>,
}

impl BonusProgram {
    /// The configured bonus product for a VAT rate, matching either notation.
    pub fn product_for(&self, rate: VatRate) -> Option<&BonusProduct> {
        self.products
            .iter()
            .find(|p| VatRate::from_tax(p.tax) == Ok(rate))
    }

    /// `round_half_up(base × rate / 10000)` (§8.8 step 8), for a non-negative base.
    pub fn bonus_on(&self, base: Cents) -> Result<Cents, DomainError> {
        let base = i128::from(base.0.max(0));
        let bonus = (base * i128::from(self.rate) + 5000).div_euclid(10_000);
        let bonus = i64::try_from(bonus)
            .map_err(|_| DomainError::InvalidRequest("bonus overflows".into()))?;
        Cents::safe(bonus)
    }
}

/// Everything about a card group that the loyalty rules read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardRules {
    pub currency: Currency,
    pub overdraft_allowed: bool,
    pub overdraft_limit: Cents,
    /// true: any not yet cancelled transaction may be cancelled; false: only the card's most recent one.
    pub cancel_selected: bool,
    pub passcode_policy: i64,
    pub card_creation_via_stx: bool,
    pub bonus: BonusProgram,
}

impl CardRules {
    /// The checks of §11.1 for a card group's configuration; all failures are 4001.
    pub fn validate(&self) -> Result<(), DomainError> {
        let invalid = |s: &str| Err(DomainError::InvalidRequest(s.to_owned()));
        if !(0..=10_000).contains(&self.bonus.rate) {
            return invalid("bonus.rate must be between 0 and 10000");
        }
        if !(0..=MAX_SAFE).contains(&self.overdraft_limit.0) {
            return invalid("overdraft_limit must be between 0 and 2^53-1");
        }
        // A limit of 0 with overdraft allowed would read as "unlimited" to some clients (§11.1).
        if self.overdraft_allowed && self.overdraft_limit == Cents::ZERO {
            return invalid(
                "overdraft_limit must be greater than 0 when overdraft_allowed is true",
            );
        }
        if !(0..=6).contains(&self.passcode_policy) {
            return invalid("passcode_policy must be between 0 and 6");
        }
        self.check_bonus_products()
    }

    fn check_bonus_products(&self) -> Result<(), DomainError> {
        let mut rates = BTreeSet::new();
        for (i, product) in self.bonus.products.iter().enumerate() {
            let rate = VatRate::from_tax(product.tax).map_err(|e| {
                DomainError::InvalidRequest(format!("bonus.products[{i}].tax: {}", e.detail()))
            })?;
            if !rates.insert(rate) {
                return Err(DomainError::InvalidRequest(format!(
                    "bonus.products[{i}].tax: a bonus product for {} % already exists",
                    rate.label()
                )));
            }
        }
        Ok(())
    }

    /// The lowest cash balance a card may reach: `−overdraft_limit` when overdraft is allowed, else 0.
    pub fn cash_floor(&self) -> Cents {
        if self.overdraft_allowed {
            self.overdraft_limit.neg()
        } else {
            Cents::ZERO
        }
    }

    /// The limit that counts: `overdraft_limit` when allowed, else 0 (`limit` of getCardBalanceReceipt).
    pub fn effective_overdraft(&self) -> Cents {
        if self.overdraft_allowed {
            self.overdraft_limit
        } else {
            Cents::ZERO
        }
    }
}

#[cfg(test)]
/// The demo tenant's card groups (demo-tenant.md) for the unit tests.
pub(crate) mod fixtures {
    use super::{BonusBase, BonusProduct, BonusProgram, CardRules, FilterMode};
    use crate::money::Currency;

    pub fn bonus_product(
        tax: i64,
        desc: &str,
        article: Option<&str>,
        ean: Option<&str>,
    ) -> BonusProduct {
        BonusProduct {
            tax,
            desc: desc.to_owned(),
            article_number: article.map(str::to_owned),
            ean: ean.map(str::to_owned),
        }
    }

    /// Group "Punkte": no bonus programme, no overdraft, only the last transaction may be cancelled.
    pub fn punkte_rules() -> CardRules {
        CardRules {
            currency: Currency::eur(),
            ..CardRules::default()
        }
    }

    /// Group "Geschenkgutschein": like Punkte, but any transaction may be cancelled; passcode policy 1.
    pub fn gift_rules() -> CardRules {
        CardRules {
            cancel_selected: true,
            passcode_policy: 1,
            ..punkte_rules()
        }
    }

    /// Group "Bonus 10 %": rate 1000, base reduced, no filter, bonus products for 7 % and 19 %.
    pub fn bonus10_rules() -> CardRules {
        CardRules {
            card_creation_via_stx: true,
            bonus: BonusProgram {
                rate: 1000,
                base: BonusBase::Reduced,
                filter_mode: FilterMode::None,
                filter_codes: vec![],
                products: vec![
                    bonus_product(7, "Bonus Steuer 7", Some("111111117"), Some("111111117")),
                    bonus_product(
                        19,
                        "Bonus Steuer 19",
                        Some("1111111119"),
                        Some("1111111119"),
                    ),
                ],
            },
            ..punkte_rules()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn rules() -> CardRules {
        bonus10_rules()
    }

    #[test]
    fn the_demo_groups_are_valid() {
        assert_eq!(punkte_rules().validate(), Ok(()));
        assert_eq!(gift_rules().validate(), Ok(()));
        assert_eq!(bonus10_rules().validate(), Ok(()));
    }

    #[test]
    fn bonus_rate_must_stay_within_0_and_10000() {
        let mut r = rules();
        r.bonus.rate = 10_000;
        assert_eq!(r.validate(), Ok(()));
        r.bonus.rate = 10_001;
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
        r.bonus.rate = -1;
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
    }

    #[test]
    fn overdraft_needs_a_positive_limit_and_a_limit_is_never_negative() {
        let mut r = rules();
        r.overdraft_allowed = true;
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
        r.overdraft_limit = Cents(5000);
        assert_eq!(r.validate(), Ok(()));
        r.overdraft_allowed = false;
        r.overdraft_limit = Cents(-1);
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
    }

    #[test]
    fn a_stored_limit_without_overdraft_is_tolerated_but_ignored() {
        let mut r = rules();
        r.overdraft_limit = Cents(5000);
        assert_eq!(r.validate(), Ok(()));
        assert_eq!(r.cash_floor(), Cents::ZERO);
        assert_eq!(r.effective_overdraft(), Cents::ZERO);
    }

    #[test]
    fn cash_floor_is_minus_the_limit_when_overdraft_is_allowed() {
        let mut r = rules();
        r.overdraft_allowed = true;
        r.overdraft_limit = Cents(2500);
        assert_eq!(r.cash_floor(), Cents(-2500));
        assert_eq!(r.effective_overdraft(), Cents(2500));
    }

    #[test]
    fn passcode_policy_must_be_0_to_6() {
        let mut r = rules();
        r.passcode_policy = 7;
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
        r.passcode_policy = -1;
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
    }

    #[test]
    fn bonus_products_must_be_unique_per_rate_in_either_notation() {
        let mut r = rules();
        r.bonus
            .products
            .push(bonus_product(700, "Bonus Steuer 7 again", None, None));
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
        let mut r = rules();
        r.bonus
            .products
            .push(bonus_product(-1, "negative", None, None));
        assert!(matches!(r.validate(), Err(DomainError::InvalidRequest(_))));
    }

    #[test]
    fn product_for_matches_a_rate_in_either_notation() {
        let r = rules();
        let seven = VatRate::from_tax(700).unwrap();
        assert_eq!(r.bonus.product_for(seven).unwrap().desc, "Bonus Steuer 7");
        assert!(r.bonus.product_for(VatRate::from_tax(0).unwrap()).is_none());
    }

    #[test]
    fn base_and_filter_mode_parse_their_wire_names() {
        for b in [BonusBase::Full, BonusBase::Reduced] {
            assert_eq!(BonusBase::parse(b.as_str()), Ok(b));
        }
        for m in [
            FilterMode::None,
            FilterMode::Blacklist,
            FilterMode::Whitelist,
        ] {
            assert_eq!(FilterMode::parse(m.as_str()), Ok(m));
        }
        assert!(matches!(
            BonusBase::parse("half"),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            FilterMode::parse("greylist"),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn bonus_on_rounds_half_up_at_ten_percent() {
        let p = rules().bonus;
        let cases = [
            (776, 78),
            (725, 73),
            (796, 80),
            (7900, 790),
            (15, 2),
            (5, 1),
            (4, 0),
            (0, 0),
            (-50, 0),
        ];
        for (base, bonus) in cases {
            assert_eq!(p.bonus_on(Cents(base)), Ok(Cents(bonus)), "E = {base}");
        }
    }
}
