//! Test code: a store [`Filter`] evaluated in memory over an object's JSON view, the way the store's
//! SQL evaluates it over the object's row (`loyalpos_store::filter`): a field that is absent or
//! null satisfies no condition (SQL `NULL`), ids, status words and digit texts compare as stored
//! (byte order), `merchantRef`/`transactionRef` compare folded (ASCII letters lower-cased, the
//! Kelvin sign read as `k`), integers numerically and `created` as unix seconds, bounds inclusive.
//!
//! Shared by the pushdown proptest (`list/superset_tests.rs`) and the `q_parser` fuzz target
//! (`fuzz/fuzz_targets/q_parser.rs`, via `#[path]`): it names only public items, and its parent
//! module provides `Kind` and `Pushable` (`loyalpos_http::list::pushdown`).

use std::cmp::Ordering;

use loyalpos_store::{Field, Filter, Scalar};
use serde_json::Value;

use super::{Kind, Pushable};

/// Whether the object whose view is `item` satisfies `filter`, on a resource with these pushable
/// paths.
pub fn holds(filter: &Filter, item: &Value, table: &[Pushable]) -> bool {
    match filter {
        Filter::And(parts) => parts.iter().all(|f| holds(f, item, table)),
        Filter::Or(parts) => parts.iter().any(|f| holds(f, item, table)),
        Filter::Eq(field, want) => column(item, table, *field)
            .is_some_and(|have| compare(&have, want) == Some(Ordering::Equal)),
        Filter::Prefix(field, prefix) => matches!(
            column(item, table, *field),
            Some(Scalar::Text(text)) if text.starts_with(prefix.as_str())
        ),
        Filter::Range(field, lo, hi) => column(item, table, *field).is_some_and(|have| {
            let above = lo.as_ref().is_none_or(|lo| {
                matches!(
                    compare(&have, lo),
                    Some(Ordering::Greater | Ordering::Equal)
                )
            });
            let below = hi.as_ref().is_none_or(|hi| {
                matches!(compare(&have, hi), Some(Ordering::Less | Ordering::Equal))
            });
            above && below
        }),
    }
}

/// Values of different types never compare (the store binds the type of the column).
fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Int(a), Scalar::Int(b)) => Some(a.cmp(b)),
        (Scalar::Text(a), Scalar::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    }
}

/// The stored column behind `field`, read from the view; `None` = SQL `NULL`.
fn column(item: &Value, table: &[Pushable], field: Field) -> Option<Scalar> {
    let at = table
        .iter()
        .find(|p| p.field == field)
        .unwrap_or_else(|| panic!("the filter names {field:?}, which this resource lacks"));
    let mut value = item;
    for name in at.path.split('.') {
        value = value.get(name)?;
    }
    match at.kind {
        Kind::Id | Kind::Word | Kind::Digits => Some(Scalar::Text(value.as_str()?.to_owned())),
        Kind::Folded => Some(Scalar::Text(fold(value.as_str()?))),
        Kind::Integer => Some(Scalar::Int(value.as_i64()?)),
        Kind::Time => Some(Scalar::Int(unix_seconds(value.as_str()?)?)),
    }
}

/// The store's folding of references: ASCII letters lower-cased, U+212A KELVIN SIGN as `k`.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\u{212A}' {
                'k'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A rendered timestamp `YYYY-MM-DDTHH:MM:SS±HH:MM` as unix seconds.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 25 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        std::str::from_utf8(&b[from..from + len]).ok()?.parse().ok()
    };
    let sign = match b[19] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset = sign * (num(20, 2)? * 3600 + num(23, 2)? * 60);
    let days = days_from_civil(num(0, 4)?, num(5, 2)?, num(8, 2)?);
    Some(days * 86_400 + num(11, 2)? * 3600 + num(14, 2)? * 60 + num(17, 2)? - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
