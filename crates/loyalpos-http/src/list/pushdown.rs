//! Which part of a `q` the store can evaluate in SQL (README "Lists, q and the API description").
//!
//! [`pushdown`] translates the parts of a [`Query`] that name an indexed (or at least typed)
//! column into a store [`Filter`] with the values as data, never as SQL text. The translation is
//! always a **superset**: every object the exact JSON-view semantics of [`super::matches`] select
//! also satisfies the filter, so filtering the store's candidates in memory afterwards gives
//! exactly the answer of filtering everything. Where the translation is also **exact** (the filter
//! selects precisely the matching objects), the store may count and cut the page itself.
//!
//! What translates, per the way a field appears in the view ([`Kind`]):
//!
//! | Kind | `field:value` | `field:[a TO b]` |
//! |---|---|---|
//! | `Id` (`[A-Z0-9_]` ids) | exact, without wildcards | — |
//! | `Word` (lower-case status words) | exact, without wildcards | — |
//! | `Digits` (card numbers, smart TA codes) | exact; `9276*` as a prefix (superset) | — |
//! | `Folded` (merchantRef, transactionRef) | exact for ASCII values; `abc*` as a prefix (superset) | — |
//! | `Integer` (amounts, balances, TA codes) | exact | exact with integer bounds |
//! | `Time` (`created`) | — | exact with timestamp bounds; bare dates widened by a day (superset) |
//!
//! `AND` keeps the translatable conjuncts (exact only if all are), `OR` translates only if every
//! branch does, `NOT` and bare terms never translate (they stay in memory).

use loyalpos_store::{Field, Filter, Scalar};

use super::eval::{days_from_civil, is_bare_date, parse_timestamp};
use super::query::{Bound, Query};

/// How a field's value appears in the JSON view; decides what translates exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An object id: upper-case ASCII letters, digits and `_`.
    Id,
    /// A lower-case ASCII word (a status).
    Word,
    /// A text of ASCII digits.
    Digits,
    /// Free text the store compares folded (see [`Field::MerchantRef`]).
    Folded,
    /// A JSON integer.
    Integer,
    /// A timestamp rendered from unix seconds (`2026-03-01T10:00:00+01:00`).
    Time,
}

/// A view path the store can filter on.
#[derive(Debug, Clone, Copy)]
pub struct Pushable {
    pub path: &'static str,
    pub field: Field,
    pub kind: Kind,
}

const fn p(path: &'static str, field: Field, kind: Kind) -> Pushable {
    Pushable { path, field, kind }
}

pub const SMART_TRANSACTIONS: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("status", Field::Status, Kind::Word),
    p("created", Field::Created, Kind::Time),
    p("trans_id", Field::TransId, Kind::Digits),
    p("merchantRef", Field::MerchantRef, Kind::Folded),
    p("transactionRef", Field::TransactionRef, Kind::Folded),
    p("device_source.id", Field::DeviceId, Kind::Id),
];

pub const MERCHANT_CARDS: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("card.cardnumber", Field::CardNumber, Kind::Digits),
    p("card.id", Field::CardId, Kind::Id),
    p("cardgroup.id", Field::CardgroupId, Kind::Id),
    p("customer.id", Field::CustomerId, Kind::Id),
    p("cash_balance", Field::CashBalance, Kind::Integer),
    p("bonus_balance", Field::BonusBalance, Kind::Integer),
    p("points", Field::Points, Kind::Integer),
];

pub const CARDS: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("cardnumber", Field::CardNumber, Kind::Digits),
    p("created", Field::Created, Kind::Time),
];

pub const CARDGROUPS: &[Pushable] = &[p("id", Field::Id, Kind::Id)];

pub const CUSTOMERS: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("created", Field::Created, Kind::Time),
];

pub const LOYALTY_TRANSACTIONS: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("created", Field::Created, Kind::Time),
    p("status", Field::Status, Kind::Word),
    p("trans_id", Field::TransId, Kind::Integer),
    p("merchantcard.id", Field::MerchantcardId, Kind::Id),
    p("card.cardnumber", Field::CardNumber, Kind::Digits),
    p("card.id", Field::CardId, Kind::Id),
    p("cardgroup.id", Field::CardgroupId, Kind::Id),
    p("smart_transaction.id", Field::SmartTransactionId, Kind::Id),
    p("amount", Field::Amount, Kind::Integer),
    p("balance", Field::Balance, Kind::Integer),
];

pub const STORES: &[Pushable] = &[p("id", Field::Id, Kind::Id)];

pub const DEVICES: &[Pushable] = &[
    p("id", Field::Id, Kind::Id),
    p("created", Field::Created, Kind::Time),
];

/// A translated query: the filter and whether it selects exactly the matching objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub filter: Filter,
    pub exact: bool,
}

/// Translates what can be translated of `q` for a resource with these pushable paths; `None`
/// when nothing can (the store then returns every object of the merchant).
pub fn pushdown(q: &Query, table: &[Pushable]) -> Option<Pushed> {
    match q {
        Query::And(items) => {
            let mut parts = Vec::with_capacity(items.len());
            let mut exact = true;
            for item in items {
                match pushdown(item, table) {
                    Some(pushed) => {
                        exact &= pushed.exact;
                        parts.push(pushed.filter);
                    }
                    None => exact = false,
                }
            }
            if parts.is_empty() && !items.is_empty() {
                return None;
            }
            let filter = if parts.len() == 1 {
                parts.remove(0)
            } else {
                Filter::And(parts)
            };
            Some(Pushed { filter, exact })
        }
        Query::Or(items) => {
            let mut parts = Vec::with_capacity(items.len());
            let mut exact = true;
            for item in items {
                let pushed = pushdown(item, table)?;
                exact &= pushed.exact;
                parts.push(pushed.filter);
            }
            Some(Pushed {
                filter: Filter::Or(parts),
                exact,
            })
        }
        // NOT of a superset is no superset; null handling differs too. Stays in memory.
        Query::Not(_) => None,
        Query::Term { path: None, .. } => None,
        Query::Term {
            path: Some(path),
            value,
        } => term(find(table, path)?, value.as_str()),
        Query::Range { path, lo, hi } => range(find(table, path)?, lo, hi),
    }
}

fn find(table: &[Pushable], path: &str) -> Option<Pushable> {
    table.iter().find(|p| p.path == path).copied()
}

fn exact(filter: Filter) -> Option<Pushed> {
    Some(Pushed {
        filter,
        exact: true,
    })
}

fn superset(filter: Filter) -> Option<Pushed> {
    Some(Pushed {
        filter,
        exact: false,
    })
}

/// Matches nothing (a value the field can never have).
fn nothing() -> Option<Pushed> {
    exact(Filter::Or(Vec::new()))
}

/// `field:value`. Terms compare the lower-cased pattern with the lower-cased text (`*` and `?`
/// wildcards), see `eval.rs`.
fn term(at: Pushable, pattern: &str) -> Option<Pushed> {
    let pattern = pattern.to_lowercase();
    let wild = pattern.find(['*', '?']);
    let text = |s: &str| Scalar::Text(s.to_owned());
    let f = at.field;
    match (at.kind, wild) {
        // Ids are upper-case ASCII: lower-casing is a bijection on them.
        (Kind::Id, None) if pattern.is_ascii() => {
            exact(Filter::Eq(f, text(&pattern.to_ascii_uppercase())))
        }
        (Kind::Id, None) => nothing(),
        (Kind::Word, None) => exact(Filter::Eq(f, text(&pattern))),
        (Kind::Digits, None) if pattern.bytes().all(|b| b.is_ascii_digit()) => {
            exact(Filter::Eq(f, text(&pattern)))
        }
        (Kind::Digits, None) => nothing(),
        (Kind::Digits, Some(at_wild)) => {
            let prefix = &pattern[..at_wild];
            if prefix.is_empty() {
                None
            } else if prefix.bytes().all(|b| b.is_ascii_digit()) {
                superset(Filter::Prefix(f, prefix.to_owned()))
            } else {
                nothing()
            }
        }
        // A text whose Unicode lower case is ASCII consists of ASCII and the Kelvin sign only
        // (the one non-ASCII character whose lower case is ASCII), which the store folds too.
        (Kind::Folded, None) if pattern.is_ascii() => exact(Filter::Eq(f, text(&pattern))),
        (Kind::Folded, Some(at_wild)) if pattern[..at_wild].is_ascii() => {
            // 'İ' lower-cases to "i" + U+0307: a text may match `…i*` through it although its
            // folded form does not start with that 'i'. Leave a trailing 'i' to the memory.
            let prefix = pattern[..at_wild].trim_end_matches('i');
            (!prefix.is_empty()).then(|| Pushed {
                filter: Filter::Prefix(f, prefix.to_owned()),
                exact: false,
            })
        }
        (Kind::Integer, None) => match canonical_integer(&pattern) {
            Some(n) => exact(Filter::Eq(f, Scalar::Int(n))),
            // The decimal text of an integer is canonical: nothing else equals it.
            None => nothing(),
        },
        _ => None,
    }
}

/// `-?(0|[1-9][0-9]*)` within i64: the way an integer is printed.
fn canonical_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    canonical.then(|| text.parse().ok()).flatten()
}

/// `-?[0-9]+` within i64 (leading zeros allowed): a bound that compares numerically.
fn integer_bound(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn range(at: Pushable, lo: &Bound, hi: &Bound) -> Option<Pushed> {
    let f = at.field;
    match at.kind {
        Kind::Integer => {
            // Numeric comparison applies when both bounds are numbers; integer bounds translate
            // exactly (other numbers or texts stay in memory).
            let side = |b: &Bound| match b {
                Bound::Open => Some(None),
                Bound::Text(t) => integer_bound(t).map(|n| Some(Scalar::Int(n))),
            };
            exact(Filter::Range(f, side(lo)?, side(hi)?))
        }
        Kind::Time => {
            let (lo, lo_exact) = time_bound(lo, true);
            let (hi, hi_exact) = time_bound(hi, false);
            Some(Pushed {
                filter: Filter::Range(f, lo.map(Scalar::Int), hi.map(Scalar::Int)),
                exact: lo_exact && hi_exact,
            })
        }
        _ => None,
    }
}

const DAY: i64 = 86_400;

/// A time bound in unix seconds and whether it is exact. A full timestamp compares as an instant
/// (exact). A bare date compares as text with the value's local date; in any zone (offsets within
/// ±14 hours) that date's instants lie within a day before its UTC midnight and two days after,
/// so the bound widens by that much. Anything else compares as plain text: no bound.
fn time_bound(bound: &Bound, lower: bool) -> (Option<i64>, bool) {
    let Bound::Text(text) = bound else {
        return (None, true);
    };
    if let Some(instant) = parse_timestamp(text) {
        return (Some(instant), true);
    }
    if is_bare_date(text) {
        let num = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap_or(0);
        let midnight = days_from_civil(num(0..4), num(5..7), num(8..10)) * DAY;
        return if lower {
            (Some(midnight - DAY), false)
        } else {
            (Some(midnight + 2 * DAY), false)
        };
    }
    (None, false)
}

#[cfg(test)]
mod tests {
    use super::super::parse_query;
    use super::*;

    fn push(q: &str, table: &[Pushable]) -> Option<Pushed> {
        pushdown(&parse_query(q).unwrap(), table)
    }

    fn text(s: &str) -> Scalar {
        Scalar::Text(s.into())
    }

    #[test]
    fn a_card_number_lookup_is_an_exact_equality_quoted_or_not() {
        let want = Some(Pushed {
            filter: Filter::Eq(Field::CardNumber, text("9276004428481652")),
            exact: true,
        });
        assert_eq!(
            push("card.cardnumber:9276004428481652", MERCHANT_CARDS),
            want
        );
        assert_eq!(
            push("card.cardnumber:\"9276004428481652\"", MERCHANT_CARDS),
            want
        );
    }

    #[test]
    fn status_and_a_date_range_push_both_but_the_dates_only_as_a_superset() {
        let pushed = push(
            "status:ok AND created:[2026-01-01 TO 2026-12-31]",
            SMART_TRANSACTIONS,
        )
        .unwrap();
        let jan1 = 1_767_225_600; // 2026-01-01T00:00:00Z
        let dec31 = 1_798_675_200; // 2026-12-31T00:00:00Z
        assert_eq!(
            pushed.filter,
            Filter::And(vec![
                Filter::Eq(Field::Status, text("ok")),
                Filter::Range(
                    Field::Created,
                    Some(Scalar::Int(jan1 - DAY)),
                    Some(Scalar::Int(dec31 + 2 * DAY))
                ),
            ])
        );
        assert!(!pushed.exact);
    }

    #[test]
    fn timestamp_bounds_are_exact_instants() {
        let pushed = push(
            "created:[2026-01-01T00:00:00+01:00 TO *]",
            SMART_TRANSACTIONS,
        )
        .unwrap();
        assert_eq!(
            pushed,
            Pushed {
                filter: Filter::Range(Field::Created, Some(Scalar::Int(1_767_222_000)), None),
                exact: true
            }
        );
    }

    #[test]
    fn not_bare_terms_and_unknown_paths_stay_in_memory() {
        assert_eq!(
            push("!customer.object:loyalty.customers", MERCHANT_CARDS),
            None
        );
        assert_eq!(push("testnr", SMART_TRANSACTIONS), None);
        assert_eq!(push("passcode:2", MERCHANT_CARDS), None);
        assert_eq!(
            push(
                "(NOT merchantRef:abc*) OR basket_info.sum:[100 TO 900]",
                SMART_TRANSACTIONS
            ),
            None
        );
    }

    #[test]
    fn and_keeps_what_translates_and_is_then_only_a_superset() {
        assert_eq!(
            push("passcode:2 AND card.cardnumber:92760044*", MERCHANT_CARDS),
            Some(Pushed {
                filter: Filter::Prefix(Field::CardNumber, "92760044".into()),
                exact: false
            })
        );
    }

    #[test]
    fn or_translates_only_when_every_branch_does() {
        assert_eq!(
            push("status:ok OR status:cancelled", LOYALTY_TRANSACTIONS),
            Some(Pushed {
                filter: Filter::Or(vec![
                    Filter::Eq(Field::Status, text("ok")),
                    Filter::Eq(Field::Status, text("cancelled"))
                ]),
                exact: true
            })
        );
        assert_eq!(
            push("status:ok OR description:x", LOYALTY_TRANSACTIONS),
            None
        );
    }

    #[test]
    fn ids_compare_upper_case_and_refs_folded() {
        assert_eq!(
            push("id:stx_abc", SMART_TRANSACTIONS).unwrap().filter,
            Filter::Eq(Field::Id, text("STX_ABC"))
        );
        assert_eq!(
            push("merchantRef:Kasse-1", SMART_TRANSACTIONS).unwrap(),
            Pushed {
                filter: Filter::Eq(Field::MerchantRef, text("kasse-1")),
                exact: true
            }
        );
        assert_eq!(
            push("merchantRef:abi*", SMART_TRANSACTIONS).unwrap().filter,
            Filter::Prefix(Field::MerchantRef, "ab".into())
        );
        assert_eq!(push("merchantRef:ä*", SMART_TRANSACTIONS), None);
        assert_eq!(push("merchantRef:*x", SMART_TRANSACTIONS), None);
    }

    #[test]
    fn integers_translate_exactly_and_impossible_texts_match_nothing() {
        assert_eq!(
            push("trans_id:10000001", LOYALTY_TRANSACTIONS).unwrap(),
            Pushed {
                filter: Filter::Eq(Field::TransId, Scalar::Int(10_000_001)),
                exact: true
            }
        );
        for impossible in [
            "trans_id:010",
            "trans_id:-0",
            "trans_id:abc",
            "trans_id:1.0",
        ] {
            assert_eq!(
                push(impossible, LOYALTY_TRANSACTIONS),
                nothing(),
                "{impossible}"
            );
        }
        assert_eq!(
            push("amount:[-100 TO 007]", LOYALTY_TRANSACTIONS).unwrap(),
            Pushed {
                filter: Filter::Range(Field::Amount, Some(Scalar::Int(-100)), Some(Scalar::Int(7))),
                exact: true
            }
        );
        assert_eq!(push("amount:[1.5 TO 7]", LOYALTY_TRANSACTIONS), None);
        assert_eq!(push("amount:[a TO 7]", LOYALTY_TRANSACTIONS), None);
    }

    #[test]
    fn card_number_texts_that_cannot_be_card_numbers_match_nothing() {
        assert_eq!(push("card.cardnumber:abc", MERCHANT_CARDS), nothing());
        assert_eq!(push("card.cardnumber:12a*", MERCHANT_CARDS), nothing());
        assert_eq!(push("card.cardnumber:*12", MERCHANT_CARDS), None);
    }
}
