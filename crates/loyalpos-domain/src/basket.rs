//! Basket lines and their totals (api.md §8.2): the special load/discharge EANs, VAT groups and the
//! validation a client basket gets at create and PUT.

use std::collections::{BTreeMap, BTreeSet};

use crate::DomainError;
use crate::money::Cents;
use crate::vat::VatRate;

/// A line with one of these EANs loads its amount onto the card's cash balance.
pub const LOAD_EANS: [&str; 2] = ["4260447149502", "4260447149519"];
/// A line with one of these EANs pays its amount out of the card's cash balance.
pub const DISCHARGE_EANS: [&str; 2] = ["4260447149533", "4260447149540"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineClass {
    Load,
    Discharge,
    Goods,
}

/// One basket line as the domain needs it; descriptive fields the domain never reads (desc, group, …)
/// stay with the wire type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: i64,
    pub quantity: i64,
    pub price_one: Cents,
    /// As written by the register (`7` or `700`); see [`VatRate::from_tax`].
    pub tax: i64,
    pub ean: Option<String>,
    pub article_number: Option<String>,
    /// A spent-bonus line added by preTransaction (§8.7).
    pub is_bonus: bool,
}

impl Line {
    /// Load and discharge are decided by the exact EAN; a bonus line is goods whatever EAN its bonus
    /// product carries, so a misconfigured product can never turn a discount into a card load.
    pub fn class(&self) -> LineClass {
        if self.is_bonus {
            return LineClass::Goods;
        }
        match self.ean.as_deref() {
            Some(ean) if LOAD_EANS.contains(&ean) => LineClass::Load,
            Some(ean) if DISCHARGE_EANS.contains(&ean) => LineClass::Discharge,
            _ => LineClass::Goods,
        }
    }

    /// `quantity × priceOne`, within ±MAX_SAFE.
    pub fn amount(&self) -> Result<Cents, DomainError> {
        Cents::safe(self.price_one.0)?.checked_mul(self.quantity)
    }

    pub fn rate(&self) -> Result<VatRate, DomainError> {
        VatRate::from_tax(self.tax)
    }
}

/// The derived quantities of §8.2: `T`, `L`, `D`, `G_r` and `B`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// `T`: Σ amount over all lines.
    pub total: Cents,
    /// `L`: Σ load lines.
    pub load: Cents,
    /// `D`: Σ discharge lines.
    pub discharge: Cents,
    /// `G_r`: Σ goods lines per VAT rate (may be zero or negative with coupons).
    pub goods_by_rate: BTreeMap<VatRate, Cents>,
    /// The `tax` as written on the first goods line of each rate, so bonus lines can copy the notation.
    pub notation_by_rate: BTreeMap<VatRate, i64>,
    /// `B = max(0, T − L − D)`: what card balance may pay for.
    pub spendable: Cents,
}

pub fn totals(lines: &[Line]) -> Result<Totals, DomainError> {
    let mut t = Totals::default();
    for line in lines {
        let amount = line.amount()?;
        t.total = t.total.checked_add(amount)?;
        match line.class() {
            LineClass::Load => t.load = t.load.checked_add(amount)?,
            LineClass::Discharge => t.discharge = t.discharge.checked_add(amount)?,
            LineClass::Goods => {
                let rate = line.rate()?;
                let group = t.goods_by_rate.entry(rate).or_insert(Cents::ZERO);
                *group = group.checked_add(amount)?;
                t.notation_by_rate.entry(rate).or_insert(line.tax);
            }
        }
    }
    let goods = t.total.checked_sub(t.load)?.checked_sub(t.discharge)?;
    t.spendable = goods.max(Cents::ZERO);
    Ok(t)
}

/// Validation of a client basket at create/PUT. Format errors (4001) of every line come before amount
/// errors (4002), following the order of checks of api.md §1.7.
pub fn validate(lines: &[Line], declared_sum: Cents) -> Result<Totals, DomainError> {
    validate_format(lines, declared_sum)?;
    validate_amounts(lines, declared_sum)
}

/// The basket's form (api.md §1.7 step 7, 400/4001): the declared sum and every line readable.
pub fn validate_format(lines: &[Line], declared_sum: Cents) -> Result<(), DomainError> {
    Cents::safe(declared_sum.0)
        .map_err(|e| DomainError::InvalidRequest(format!("basket_info.sum: {}", e.detail())))?;
    check_line_formats(lines)
}

/// The basket's amounts (api.md §1.7 step 10, 400/4002), checked once the transaction it belongs
/// to was found in a status that takes it: special prices, the declared sum equal to the lines,
/// no negative total.
pub fn validate_amounts(lines: &[Line], declared_sum: Cents) -> Result<Totals, DomainError> {
    let t = totals(lines)?;
    check_special_prices(lines)?;
    if declared_sum != t.total {
        return Err(DomainError::InvalidAmount(format!(
            "basket_info.sum {} does not equal the sum of the lines {}",
            declared_sum.0, t.total.0
        )));
    }
    if t.total.is_negative() {
        return Err(DomainError::InvalidAmount(format!(
            "basket total {} is negative",
            t.total.0
        )));
    }
    Ok(t)
}

fn check_line_formats(lines: &[Line]) -> Result<(), DomainError> {
    let mut ids = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let at = |what: &str| DomainError::InvalidRequest(format!("basket.products[{i}].{what}"));
        if !ids.insert(line.id) {
            return Err(at(&format!("id: {} is not unique in the basket", line.id)));
        }
        if line.quantity < 1 {
            return Err(at("quantity: must be at least 1"));
        }
        if line.tax < 0 {
            return Err(at("tax: must not be negative"));
        }
        line.rate()
            .map_err(|e| at(&format!("tax: {}", e.detail())))?;
        line.amount()
            .map_err(|e| at(&format!("priceOne: {}", e.detail())))?;
    }
    Ok(())
}

fn check_special_prices(lines: &[Line]) -> Result<(), DomainError> {
    for (i, line) in lines.iter().enumerate() {
        let special = matches!(line.class(), LineClass::Load | LineClass::Discharge);
        if special && !line.price_one.is_positive() {
            return Err(DomainError::InvalidAmount(format!(
                "basket.products[{i}].priceOne: a load or discharge line needs a positive price"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
/// Basket builders for the unit tests: lines and the docs' basket.
pub(crate) mod fixtures {
    use super::{DISCHARGE_EANS, LOAD_EANS, Line};
    use crate::money::Cents;

    pub fn goods(id: i64, quantity: i64, price_one: i64, tax: i64) -> Line {
        Line {
            id,
            quantity,
            price_one: Cents(price_one),
            tax,
            ean: None,
            article_number: None,
            is_bonus: false,
        }
    }

    pub fn load(id: i64, price_one: i64) -> Line {
        goods(id, 1, price_one, 0).with_ean(LOAD_EANS[0])
    }

    pub fn discharge(id: i64, price_one: i64) -> Line {
        goods(id, 1, price_one, 0).with_ean(DISCHARGE_EANS[0])
    }

    pub trait LineExt {
        fn with_ean(self, ean: &str) -> Line;
        fn with_article(self, article_number: &str) -> Line;
    }

    impl LineExt for Line {
        fn with_ean(mut self, ean: &str) -> Line {
            self.ean = Some(ean.to_owned());
            self
        }
        fn with_article(mut self, article_number: &str) -> Line {
            self.article_number = Some(article_number.to_owned());
            self
        }
    }

    /// The docs' basket: Sandwich Romano 349 @7, Fruit salad 249 @7, 2 × Water 99 @19; T = 796.
    pub fn docs_basket() -> Vec<Line> {
        vec![
            goods(1, 1, 349, 7).with_article("30037"),
            goods(2, 1, 249, 7).with_article("30200"),
            goods(3, 2, 99, 19)
                .with_article("51")
                .with_ean("4999012345678"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::money::MAX_SAFE;

    fn rate(tax: i64) -> VatRate {
        VatRate::from_tax(tax).unwrap()
    }

    #[test]
    fn the_docs_basket_totals_796_with_598_at_7_and_198_at_19() {
        let t = totals(&docs_basket()).unwrap();
        assert_eq!(t.total, Cents(796));
        assert_eq!(t.load, Cents::ZERO);
        assert_eq!(t.discharge, Cents::ZERO);
        assert_eq!(t.spendable, Cents(796));
        assert_eq!(
            t.goods_by_rate,
            BTreeMap::from([(rate(7), Cents(598)), (rate(19), Cents(198))])
        );
        assert_eq!(
            t.notation_by_rate,
            BTreeMap::from([(rate(7), 7), (rate(19), 19)])
        );
    }

    #[test]
    fn special_eans_classify_load_and_discharge_lines() {
        for ean in LOAD_EANS {
            assert_eq!(load(1, 100).with_ean(ean).class(), LineClass::Load);
        }
        for ean in DISCHARGE_EANS {
            assert_eq!(
                goods(1, 1, 100, 0).with_ean(ean).class(),
                LineClass::Discharge
            );
        }
        assert_eq!(
            goods(1, 1, 100, 19).with_ean("4999012345678").class(),
            LineClass::Goods
        );
        assert_eq!(goods(1, 1, 100, 19).class(), LineClass::Goods);
    }

    #[test]
    fn a_bonus_line_is_goods_even_with_a_load_ean() {
        let mut line = load(4, 100);
        line.is_bonus = true;
        assert_eq!(line.class(), LineClass::Goods);
    }

    #[test]
    fn loads_and_discharges_stay_outside_the_spendable_base() {
        // V9: goods 5900 @19 plus a load of 2000 → B = 5900.
        let t = totals(&[goods(1, 1, 5900, 19), load(2, 2000)]).unwrap();
        assert_eq!(
            (t.total, t.load, t.spendable),
            (Cents(7900), Cents(2000), Cents(5900))
        );
        assert_eq!(t.goods_by_rate, BTreeMap::from([(rate(19), Cents(5900))]));

        let t = totals(&[discharge(1, 500)]).unwrap();
        assert_eq!(
            (t.total, t.discharge, t.spendable),
            (Cents(500), Cents(500), Cents::ZERO)
        );
        assert!(t.goods_by_rate.is_empty());
    }

    #[test]
    fn a_coupon_larger_than_the_goods_leaves_nothing_spendable() {
        let t = totals(&[load(1, 1000), goods(2, 1, -300, 19), goods(3, 1, 100, 19)]).unwrap();
        assert_eq!(t.total, Cents(800));
        assert_eq!(t.spendable, Cents::ZERO);
        assert_eq!(t.goods_by_rate, BTreeMap::from([(rate(19), Cents(-200))]));
    }

    #[test]
    fn both_notations_share_a_group_and_the_first_line_sets_the_notation() {
        let t = totals(&[
            goods(1, 1, 100, 700),
            goods(2, 1, 50, 7),
            goods(3, 1, 10, 19),
        ])
        .unwrap();
        assert_eq!(
            t.goods_by_rate,
            BTreeMap::from([(rate(7), Cents(150)), (rate(19), Cents(10))])
        );
        assert_eq!(
            t.notation_by_rate,
            BTreeMap::from([(rate(7), 700), (rate(19), 19)])
        );
    }

    #[test]
    fn a_valid_basket_passes_with_its_declared_sum() {
        assert_eq!(
            validate(&docs_basket(), Cents(796)).unwrap().total,
            Cents(796)
        );
        assert_eq!(validate(&[], Cents::ZERO).unwrap().total, Cents::ZERO);
    }

    #[test]
    fn a_declared_sum_of_795_for_796_is_an_invalid_amount() {
        // V12 step 5.
        assert!(matches!(
            validate(&docs_basket(), Cents(795)),
            Err(DomainError::InvalidAmount(_))
        ));
    }

    #[test]
    fn a_negative_total_is_an_invalid_amount() {
        let lines = [goods(1, 1, 100, 19), goods(2, 1, -200, 19)];
        assert!(matches!(
            validate(&lines, Cents(-100)),
            Err(DomainError::InvalidAmount(_))
        ));
    }

    #[test]
    fn load_and_discharge_lines_need_a_positive_price() {
        let neg_load = load(1, -100);
        assert!(matches!(
            validate(&[goods(2, 1, 500, 19), neg_load], Cents(400)),
            Err(DomainError::InvalidAmount(_))
        ));
        let zero_discharge = discharge(1, 0);
        assert!(matches!(
            validate(&[zero_discharge], Cents(0)),
            Err(DomainError::InvalidAmount(_))
        ));
    }

    #[test]
    fn format_errors_are_invalid_requests_and_come_before_amount_errors() {
        let dup = [goods(1, 1, 100, 19), goods(1, 1, 100, 19)];
        assert!(matches!(
            validate(&dup, Cents(999)),
            Err(DomainError::InvalidRequest(_))
        ));
        let zero_qty = [goods(1, 0, 100, 19)];
        assert!(matches!(
            validate(&zero_qty, Cents(999)),
            Err(DomainError::InvalidRequest(_))
        ));
        let neg_tax = [goods(1, 1, 100, -7)];
        assert!(matches!(
            validate(&neg_tax, Cents(100)),
            Err(DomainError::InvalidRequest(_))
        ));
    }

    #[test]
    fn error_details_name_the_offending_line() {
        let err = validate(&[goods(1, 1, 100, 19), goods(2, 0, 100, 19)], Cents(100)).unwrap_err();
        assert_eq!(
            err.detail(),
            "basket.products[1].quantity: must be at least 1"
        );
    }

    #[test]
    fn amounts_beyond_max_safe_are_invalid_requests() {
        let big = [goods(1, 2, MAX_SAFE / 2 + 1, 19)];
        assert!(matches!(
            validate(&big, Cents(0)),
            Err(DomainError::InvalidRequest(_))
        ));
        let two = [goods(1, 1, MAX_SAFE, 19), goods(2, 1, 1, 19)];
        assert!(matches!(
            validate(&two, Cents(0)),
            Err(DomainError::InvalidRequest(_))
        ));
        let price = [goods(1, 1, MAX_SAFE + 1, 19)];
        assert!(matches!(
            validate(&price, Cents(0)),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(matches!(
            validate(&[], Cents(MAX_SAFE + 1)),
            Err(DomainError::InvalidRequest(_))
        ));
        assert!(validate(&[goods(1, 1, MAX_SAFE, 19)], Cents(MAX_SAFE)).is_ok());
    }
}
