//! preTransaction (api.md §8.7): spend the card's balances on paper and split the spent bonus over the
//! basket's VAT rates. Nothing is booked here; `settle` books the stored plan at start.

use std::collections::BTreeMap;

use crate::DomainError;
use crate::basket::{Line, Totals, totals};
use crate::money::Cents;
use crate::program::{BonusProgram, CardRules};
use crate::vat::VatRate;

/// A merchant card's three balances. The card's `balance` is `cash + bonus`; points are separate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Balances {
    pub cash: Cents,
    pub bonus: Cents,
    pub points: i64,
}

impl Balances {
    /// `balance = cash_balance + bonus_balance` (api.md §9).
    pub fn balance(&self) -> Result<Cents, DomainError> {
        self.cash.checked_add(self.bonus)
    }
}

/// A spent-bonus basket line as preTransaction adds it (quantity 1, `serialNumber` null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BonusLine {
    pub id: i64,
    /// The rate in the notation of the first basket line of that rate.
    pub tax: i64,
    pub desc: String,
    pub article_number: Option<String>,
    pub ean: Option<String>,
    /// Negative: `−share_r`.
    pub price_one: Cents,
}

/// The stored preTransaction plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub bonus_spent: Cents,
    pub cash_spent: Cents,
    /// `D` of the client basket.
    pub discharge: Cents,
    /// `L` of the client basket.
    pub load: Cents,
    pub missing_sum: Cents,
    pub bonus_lines: Vec<BonusLine>,
}

impl Plan {
    /// The bonus lines as basket lines (`is_bonus`), to append to the client lines.
    pub fn bonus_as_lines(&self) -> Vec<Line> {
        self.bonus_lines
            .iter()
            .map(|b| Line {
                id: b.id,
                quantity: 1,
                price_one: b.price_one,
                tax: b.tax,
                ean: b.ean.clone(),
                article_number: b.article_number.clone(),
                is_bonus: true,
            })
            .collect()
    }
}

/// `avail_cash = cash_balance + (overdraft_allowed ? overdraft_limit : 0)`.
pub fn available_cash(balances: &Balances, rules: &CardRules) -> Result<Cents, DomainError> {
    balances.cash.checked_add(rules.effective_overdraft())
}

/// The card pays for neither loads nor a negative rest, so `T − D` must not be negative; otherwise
/// `missing_sum` would be a refund the status machine has no place for (loyalpos decision: 4002, like a
/// negative total).
pub(crate) fn check_payable(t: &Totals) -> Result<(), DomainError> {
    if t.total.checked_sub(t.discharge)?.is_negative() {
        return Err(DomainError::InvalidAmount(format!(
            "basket total {} without its discharge lines {} is negative",
            t.total.0, t.discharge.0
        )));
    }
    Ok(())
}

/// A discharge must be fully covered by the cash balance (overdraft included).
pub(crate) fn check_discharge_covered(
    discharge: Cents,
    avail_cash: Cents,
) -> Result<(), DomainError> {
    if discharge.is_positive() && discharge > avail_cash {
        return Err(DomainError::InsufficientBalance(format!(
            "discharge {} exceeds the available cash {}",
            discharge.0, avail_cash.0
        )));
    }
    Ok(())
}

pub fn plan(
    client_lines: &[Line],
    balances: &Balances,
    rules: &CardRules,
) -> Result<Plan, DomainError> {
    let t = totals(client_lines)?;
    check_payable(&t)?;
    let avail_cash = available_cash(balances, rules)?;
    check_discharge_covered(t.discharge, avail_cash)?;

    // Bonus first, then cash; loads are outside B, so balance never buys balance.
    let bonus_spent = balances.bonus.max(Cents::ZERO).min(t.spendable);
    let cash_room = avail_cash.checked_sub(t.discharge)?;
    let cash_spent = cash_room
        .min(t.spendable.checked_sub(bonus_spent)?)
        .max(Cents::ZERO);
    let missing_sum = t
        .total
        .checked_sub(bonus_spent)?
        .checked_sub(cash_spent)?
        .checked_sub(t.discharge)?;
    debug_assert!(
        !missing_sum.is_negative(),
        "missing_sum {missing_sum:?} < 0"
    );

    let first_id = client_lines.iter().map(|l| l.id).max().unwrap_or(0);
    let bonus_lines = bonus_lines(bonus_spent, &t, first_id, &rules.bonus)?;
    Ok(Plan {
        bonus_spent,
        cash_spent,
        discharge: t.discharge,
        load: t.load,
        missing_sum,
        bonus_lines,
    })
}

fn bonus_lines(
    bonus_spent: Cents,
    t: &Totals,
    max_id: i64,
    program: &BonusProgram,
) -> Result<Vec<BonusLine>, DomainError> {
    let shares = split_bonus(bonus_spent, &t.goods_by_rate);
    let mut lines = Vec::with_capacity(shares.len());
    for (n, (rate, share)) in (1..).zip(shares) {
        let id = max_id
            .checked_add(n)
            .ok_or_else(|| DomainError::InvalidRequest("basket line ids overflow".into()))?;
        let tax = t
            .notation_by_rate
            .get(&rate)
            .copied()
            .unwrap_or(i64::from(rate.hundredths()));
        let product = program.product_for(rate);
        lines.push(BonusLine {
            id,
            tax,
            desc: product.map_or_else(
                || format!("Bonus Steuer {}", rate.label()),
                |p| p.desc.clone(),
            ),
            article_number: product.and_then(|p| p.article_number.clone()),
            ean: product.and_then(|p| p.ean.clone()),
            price_one: share.neg(),
        });
    }
    Ok(lines)
}

/// Splits spent bonus over the rates with positive goods (§8.7): each share rounded half up, the rounding
/// difference added to the largest share (tie: the higher rate), zero shares dropped; ascending rate.
///
/// With at most three rates the difference is −1, 0 or +1 and always fits. Only with four or more rates
/// could it push the largest share below 0 or above its goods; then (loyalpos decision) it is spread one
/// cent at a time over the largest shares that can take it, so no line ever turns positive or exceeds
/// its goods.
pub fn split_bonus(
    bonus_spent: Cents,
    goods_by_rate: &BTreeMap<VatRate, Cents>,
) -> Vec<(VatRate, Cents)> {
    let groups: Vec<(VatRate, i128)> = goods_by_rate
        .iter()
        .filter(|(_, g)| g.is_positive())
        .map(|(r, g)| (*r, i128::from(g.0)))
        .collect();
    if !bonus_spent.is_positive() || groups.is_empty() {
        return Vec::new();
    }
    let spent = i128::from(bonus_spent.0);
    let p: i128 = groups.iter().map(|(_, g)| g).sum();
    let mut shares: Vec<i128> = groups
        .iter()
        .map(|(_, g)| (2 * spent * g + p).div_euclid(2 * p))
        .collect();
    let diff = spent - shares.iter().sum::<i128>();
    let caps: Vec<i128> = groups.iter().map(|(_, g)| *g).collect();
    let k = largest_share(&shares, |_| true);
    if (0..=caps[k]).contains(&(shares[k] + diff)) {
        shares[k] += diff;
    } else {
        spread(&mut shares, &caps, diff);
    }
    debug_assert_eq!(
        shares.iter().sum::<i128>(),
        spent,
        "bonus lines must sum to bonus_spent"
    );
    groups
        .iter()
        .zip(shares)
        .filter(|(_, s)| *s != 0)
        // Each share is ≤ bonus_spent (an i64) by construction.
        .map(|((r, _), s)| (*r, Cents(i64::try_from(s).unwrap_or(i64::MAX))))
        .collect()
}

/// Index of the largest share among the eligible ones; ties go to the higher rate (the later index).
fn largest_share(shares: &[i128], eligible: impl Fn(usize) -> bool) -> usize {
    let mut best: Option<usize> = None;
    for i in (0..shares.len()).filter(|&i| eligible(i)) {
        if best.is_none_or(|b| shares[i] >= shares[b]) {
            best = Some(i);
        }
    }
    best.unwrap_or(shares.len() - 1)
}

fn spread(shares: &mut [i128], caps: &[i128], mut diff: i128) {
    // Bounded: each pass moves one cent, and |diff| ≤ number of rates.
    while diff != 0 {
        let step = diff.signum();
        let i = largest_share(shares, |i| {
            if step > 0 {
                shares[i] < caps[i]
            } else {
                shares[i] > 0
            }
        });
        shares[i] += step;
        diff -= step;
    }
}

#[cfg(test)]
/// Balance builders for the unit tests.
pub(crate) mod fixtures {
    use super::Balances;
    use crate::money::Cents;

    pub fn bal(cash: i64, bonus: i64) -> Balances {
        Balances {
            cash: Cents(cash),
            bonus: Cents(bonus),
            points: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::basket::fixtures::*;
    use crate::basket::validate;
    use crate::money::MAX_SAFE;
    use crate::program::fixtures::*;
    use proptest::prelude::*;

    fn rate(tax: i64) -> VatRate {
        VatRate::from_tax(tax).unwrap()
    }

    fn groups(pairs: &[(i64, i64)]) -> BTreeMap<VatRate, Cents> {
        pairs
            .iter()
            .map(|&(tax, g)| (rate(tax), Cents(g)))
            .collect()
    }

    fn split(spent: i64, pairs: &[(i64, i64)]) -> Vec<(u32, i64)> {
        split_bonus(Cents(spent), &groups(pairs))
            .into_iter()
            .map(|(r, c)| (r.hundredths(), c.0))
            .collect()
    }

    fn price_and_tax(p: &Plan) -> Vec<(i64, i64)> {
        p.bonus_lines
            .iter()
            .map(|b| (b.price_one.0, b.tax))
            .collect()
    }

    // --- V19: VAT split table ---

    #[test]
    fn bonus_71_splits_into_53_at_7_and_18_at_19() {
        assert_eq!(split(71, &[(7, 598), (19, 198)]), [(700, 53), (1900, 18)]);
    }

    #[test]
    fn bonus_20_splits_into_15_at_7_and_5_at_19() {
        assert_eq!(split(20, &[(7, 598), (19, 198)]), [(700, 15), (1900, 5)]);
    }

    #[test]
    fn bonus_3_splits_into_2_at_7_and_1_at_19() {
        assert_eq!(split(3, &[(7, 598), (19, 198)]), [(700, 2), (1900, 1)]);
    }

    #[test]
    fn bonus_1_goes_to_7_and_the_zero_share_at_19_is_dropped() {
        assert_eq!(split(1, &[(7, 598), (19, 198)]), [(700, 1)]);
    }

    #[test]
    fn bonus_500_splits_into_376_at_7_and_124_at_19() {
        assert_eq!(
            split(500, &[(7, 598), (19, 198)]),
            [(700, 376), (1900, 124)]
        );
    }

    #[test]
    fn a_tie_of_half_cents_takes_the_correction_from_the_higher_rate() {
        // Shares 1 and 1 (0.5 rounds up), diff −1 to the tie's higher rate → −1 @7 only.
        assert_eq!(split(1, &[(7, 100), (19, 100)]), [(700, 1)]);
    }

    #[test]
    fn three_zero_shares_give_the_cent_to_the_highest_rate() {
        assert_eq!(split(1, &[(0, 100), (7, 100), (19, 100)]), [(1900, 1)]);
    }

    #[test]
    fn bonus_100_over_0_7_and_19_percent_splits_15_45_40() {
        assert_eq!(
            split(100, &[(0, 150), (7, 450), (19, 399)]),
            [(0, 15), (700, 45), (1900, 40)]
        );
    }

    #[test]
    fn hundredths_notation_splits_like_percent_notation() {
        assert_eq!(
            split(71, &[(700, 598), (1900, 198)]),
            [(700, 53), (1900, 18)]
        );
    }

    #[test]
    fn rates_without_positive_goods_take_no_share() {
        assert_eq!(split(10, &[(0, -50), (7, 0), (19, 100)]), [(1900, 10)]);
        assert_eq!(split(10, &[(7, -100)]), []);
        assert_eq!(split(0, &[(7, 100)]), []);
    }

    #[test]
    fn four_rates_with_half_cent_ties_never_produce_a_positive_bonus_line() {
        // The plain correction would give (1, 1, 1, −1); spreading gives (1, 1, 0, 0).
        let shares = split(2, &[(0, 100), (5, 100), (7, 100), (19, 100)]);
        assert_eq!(shares, [(0, 1), (500, 1)]);
    }

    // --- plan: V2, V4, V5, V6, V7, V9b, V11, V13, V3 negative ---

    #[test]
    fn card_a_with_1000_pays_the_docs_basket_completely() {
        let p = plan(&docs_basket(), &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            (p.bonus_spent, p.cash_spent, p.missing_sum),
            (Cents(0), Cents(796), Cents(0))
        );
        assert!(p.bonus_lines.is_empty());
    }

    #[test]
    fn card_a_with_500_leaves_296_to_pay() {
        let p = plan(&docs_basket(), &bal(500, 0), &punkte_rules()).unwrap();
        assert_eq!((p.cash_spent, p.missing_sum), (Cents(500), Cents(296)));
    }

    #[test]
    fn spending_bonus_71_leaves_725_and_adds_lines_4_and_5() {
        let p = plan(&docs_basket(), &bal(0, 71), &bonus10_rules()).unwrap();
        assert_eq!(
            (p.bonus_spent, p.cash_spent, p.missing_sum),
            (Cents(71), Cents(0), Cents(725))
        );
        assert_eq!(
            p.bonus_lines,
            [
                BonusLine {
                    id: 4,
                    tax: 7,
                    desc: "Bonus Steuer 7".into(),
                    article_number: Some("111111117".into()),
                    ean: Some("111111117".into()),
                    price_one: Cents(-53),
                },
                BonusLine {
                    id: 5,
                    tax: 19,
                    desc: "Bonus Steuer 19".into(),
                    article_number: Some("1111111119".into()),
                    ean: Some("1111111119".into()),
                    price_one: Cents(-18),
                },
            ]
        );
    }

    #[test]
    fn spending_bonus_20_and_cash_200_leaves_576() {
        let p = plan(&docs_basket(), &bal(200, 20), &bonus10_rules()).unwrap();
        assert_eq!(
            (p.bonus_spent, p.cash_spent, p.missing_sum),
            (Cents(20), Cents(200), Cents(576))
        );
        assert_eq!(price_and_tax(&p), [(-15, 7), (-5, 19)]);
        assert_eq!(
            p.bonus_lines.iter().map(|b| b.id).collect::<Vec<_>>(),
            [4, 5]
        );
    }

    #[test]
    fn a_load_is_never_paid_with_balance() {
        // V7: a preTransaction on a pure load answers missing_sum 1500.
        let p = plan(&[load(1, 1500)], &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            (p.cash_spent, p.load, p.missing_sum),
            (Cents(0), Cents(1500), Cents(1500))
        );
    }

    #[test]
    fn goods_and_a_load_spend_bonus_only_on_the_19_percent_goods() {
        // V9b: B = 5900, bonus 20 and cash 200 spent, missing 7680, one bonus line with id 3.
        let lines = [goods(1, 1, 5900, 19).with_article("30200"), load(2, 2000)];
        let p = plan(&lines, &bal(200, 20), &bonus10_rules()).unwrap();
        assert_eq!(
            (p.bonus_spent, p.cash_spent, p.missing_sum),
            (Cents(20), Cents(200), Cents(7680))
        );
        assert_eq!(p.bonus_lines.len(), 1);
        let b = &p.bonus_lines[0];
        assert_eq!(
            (b.id, b.tax, b.price_one, b.desc.as_str()),
            (3, 19, Cents(-20), "Bonus Steuer 19")
        );
        assert_eq!(b.ean.as_deref(), Some("1111111119"));
    }

    #[test]
    fn the_loser_of_a_race_recomputes_with_the_remaining_204() {
        // V13 step 4.
        let p = plan(&docs_basket(), &bal(204, 0), &punkte_rules()).unwrap();
        assert_eq!((p.cash_spent, p.missing_sum), (Cents(204), Cents(592)));
    }

    #[test]
    fn a_discharge_beyond_the_cash_balance_is_insufficient() {
        // V3 negative: discharge 1500 from a card holding 1000.
        let err = plan(&[discharge(1, 1500)], &bal(1000, 0), &punkte_rules()).unwrap_err();
        assert!(matches!(err, DomainError::InsufficientBalance(_)));
    }

    #[test]
    fn a_discharge_is_paid_before_anything_else() {
        let lines = [discharge(1, 500), goods(2, 1, 796, 19)];
        let p = plan(&lines, &bal(1000, 0), &punkte_rules()).unwrap();
        assert_eq!(
            (p.discharge, p.cash_spent, p.missing_sum),
            (Cents(500), Cents(500), Cents(296))
        );
    }

    #[test]
    fn overdraft_counts_as_available_cash() {
        let mut rules = punkte_rules();
        rules.overdraft_allowed = true;
        rules.overdraft_limit = Cents(1000);
        let p = plan(&[discharge(1, 1500)], &bal(1000, 0), &rules).unwrap();
        assert_eq!((p.discharge, p.missing_sum), (Cents(1500), Cents(0)));
        let p = plan(&docs_basket(), &bal(0, 0), &rules).unwrap();
        assert_eq!((p.cash_spent, p.missing_sum), (Cents(796), Cents(0)));
    }

    #[test]
    fn bonus_lines_copy_the_hundredths_notation_of_the_basket() {
        let lines = [goods(1, 1, 598, 700), goods(2, 1, 198, 1900)];
        let p = plan(&lines, &bal(0, 71), &bonus10_rules()).unwrap();
        assert_eq!(price_and_tax(&p), [(-53, 700), (-18, 1900)]);
        assert_eq!(p.bonus_lines[0].desc, "Bonus Steuer 7");
        assert_eq!(
            p.bonus_lines[0].article_number.as_deref(),
            Some("111111117")
        );
    }

    #[test]
    fn a_rate_without_bonus_product_gets_a_generic_line() {
        let lines = [
            goods(1, 1, 100, 0),
            goods(2, 1, 100, 7),
            goods(3, 1, 100, 19),
        ];
        let p = plan(&lines, &bal(0, 3), &bonus10_rules()).unwrap();
        let zero = &p.bonus_lines[0];
        assert_eq!(
            (zero.id, zero.tax, zero.price_one, zero.desc.as_str()),
            (4, 0, Cents(-1), "Bonus Steuer 0")
        );
        assert_eq!(
            (zero.article_number.as_deref(), zero.ean.as_deref()),
            (None, None)
        );
        let lines = [goods(1, 1, 100, 750)];
        let p = plan(&lines, &bal(0, 3), &bonus10_rules()).unwrap();
        assert_eq!(p.bonus_lines[0].desc, "Bonus Steuer 7,5");
    }

    #[test]
    fn bonus_lines_as_basket_lines_are_flagged_bonus_goods() {
        let p = plan(&docs_basket(), &bal(0, 71), &bonus10_rules()).unwrap();
        let lines = p.bonus_as_lines();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.is_bonus && l.quantity == 1));
        assert_eq!(lines[0].price_one, Cents(-53));
        let mut all = docs_basket();
        all.extend(lines);
        // basket_info.sum after preTransaction = T − bonus_spent.
        assert_eq!(totals(&all).unwrap().total, Cents(725));
    }

    #[test]
    fn a_negative_rest_after_discharges_is_an_invalid_amount() {
        let lines = [discharge(1, 500), goods(2, 1, -100, 19)];
        let err = plan(&lines, &bal(1000, 0), &punkte_rules()).unwrap_err();
        assert!(matches!(err, DomainError::InvalidAmount(_)));
    }

    #[test]
    fn an_empty_basket_plans_nothing() {
        let p = plan(&[], &bal(100, 100), &bonus10_rules()).unwrap();
        assert_eq!(p, Plan::default());
    }

    // --- properties ---

    fn any_line() -> impl Strategy<Value = Line> {
        let tax = prop_oneof![
            Just(0i64),
            Just(7),
            Just(19),
            Just(700),
            Just(1900),
            Just(750)
        ];
        (0u8..10, 1i64..4, -2_000i64..20_000, tax).prop_map(|(kind, qty, price, tax)| match kind {
            0 => load(0, price.abs() + 1),
            1 => discharge(0, price.abs() + 1),
            _ => goods(0, qty, price, tax),
        })
    }

    fn any_basket() -> impl Strategy<Value = Vec<Line>> {
        prop::collection::vec(any_line(), 0..8).prop_map(|mut lines| {
            for (i, l) in lines.iter_mut().enumerate() {
                l.id = i as i64 + 1;
            }
            lines
        })
    }

    fn any_rules() -> impl Strategy<Value = CardRules> {
        (any::<bool>(), 1i64..50_000, 0i64..=10_000).prop_map(|(od, limit, rate)| {
            let mut r = bonus10_rules();
            r.overdraft_allowed = od;
            r.overdraft_limit = if od { Cents(limit) } else { Cents::ZERO };
            r.bonus.rate = rate;
            r
        })
    }

    proptest! {
        #[test]
        fn split_bonus_sums_exactly_and_no_share_exceeds_its_goods(
            goods in prop::collection::btree_map(0u32..3000, -1000i64..1_000_000, 1..6),
            millionths in 0i64..=1_000_000,
        ) {
            let goods: BTreeMap<VatRate, Cents> =
                goods.into_iter().map(|(r, g)| (VatRate::from_hundredths(r), Cents(g))).collect();
            let p: i64 = goods.values().filter(|g| g.is_positive()).map(|g| g.0).sum();
            let spent = (i128::from(p) * i128::from(millionths) / 1_000_000) as i64;
            let shares = split_bonus(Cents(spent), &goods);
            let sum: i64 = shares.iter().map(|(_, c)| c.0).sum();
            prop_assert_eq!(sum, spent.max(0));
            for pair in shares.windows(2) {
                prop_assert!(pair[0].0 < pair[1].0, "ascending rates");
            }
            for (rate, share) in &shares {
                prop_assert!(share.is_positive());
                prop_assert!(*share <= goods[rate]);
            }
        }

        #[test]
        fn split_bonus_handles_amounts_up_to_max_safe(g in 1i64..=MAX_SAFE, other in 1i64..=MAX_SAFE) {
            let goods = groups(&[(7, g), (19, other)]);
            let spent = g.min(other);
            let sum: i64 = split_bonus(Cents(spent), &goods).iter().map(|(_, c)| c.0).sum();
            prop_assert_eq!(sum, spent);
        }

        #[test]
        fn plan_never_leaves_a_negative_missing_sum_and_accounts_for_every_cent(
            lines in any_basket(),
            cash in -5_000i64..50_000,
            bonus in 0i64..20_000,
            rules in any_rules(),
        ) {
            let t = totals(&lines).unwrap();
            prop_assume!(validate(&lines, t.total).is_ok());
            let floor = rules.cash_floor().0;
            let balances = bal(cash.max(floor), bonus);
            match plan(&lines, &balances, &rules) {
                Ok(p) => {
                    prop_assert!(!p.missing_sum.is_negative());
                    prop_assert!(!p.bonus_spent.is_negative() && !p.cash_spent.is_negative());
                    let accounted = p.bonus_spent.0 + p.cash_spent.0 + p.discharge.0 + p.missing_sum.0;
                    prop_assert_eq!(accounted, t.total.0);
                    let bonus_lines: i64 = p.bonus_lines.iter().map(|b| b.price_one.0).sum();
                    prop_assert_eq!(bonus_lines, -p.bonus_spent.0);
                    prop_assert!(p.bonus_spent <= balances.bonus);
                    prop_assert!(balances.cash.0 - p.cash_spent.0 - p.discharge.0 >= floor);
                }
                Err(DomainError::InsufficientBalance(_)) => {
                    prop_assert!(t.discharge.0 > cash.max(floor) - floor);
                }
                Err(DomainError::InvalidAmount(_)) => prop_assert!(t.total.0 < t.discharge.0),
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }
    }
}
