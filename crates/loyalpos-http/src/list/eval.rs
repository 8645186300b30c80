//! Evaluating a [`Query`] against an object's JSON view (api.md §5.2).
//!
//! * A path walks objects by key; an array anywhere on the way (or at the end) means "any
//!   element" (`idents.value:9276004429942845`).
//! * Scalars compare on their text form: strings as they are, numbers in decimal, `true`/`false`.
//!   `null` and missing fields never match, so a negated term selects them
//!   (`!customer.object:loyalty.customers`). An object or array at the end of a path matches only
//!   the pattern `*` ("present and not null"), e.g. `customer:*`.
//! * Term comparison is case-insensitive; `*` matches any run of characters, `?` exactly one.
//! * A bare term (no path) searches the resource's main text fields; it matches a field when it
//!   matches the field's whole text or one of its white-space separated words, so `q=max` finds
//!   `"Max Mustermann"` and `q=9276004428481652` finds the card.
//! * Ranges are inclusive, `*` is open. They compare numerically when both bounds (unless open)
//!   and the value are decimal numbers (exactly, without float rounding: card numbers exceed
//!   2^53), otherwise as case-insensitive text, with two refinements:
//!   - when the value and a bound are both full timestamps with an offset
//!     (`2020-09-01T00:00:00+02:00`, `…Z`), they compare as instants, so bounds in another zone
//!     (or across a DST switch) still work; within one zone this equals the spec's string order;
//!   - an upper bound that is a bare date `YYYY-MM-DD` includes that whole day: as plain text,
//!     `"2026-12-31T10:00:00+01:00"` sorts after `"2026-12-31"` and would be excluded from
//!     `[2026-01-01 TO 2026-12-31]`, which is not what anybody means. So a value also satisfies
//!     such a bound when it starts with that date (the day is the value's own local day). A bare
//!     date as lower bound needs no help: every timestamp of that day sorts after it.

use std::cmp::Ordering;

use serde_json::Value as Json;

use super::query::{Bound, Query};

/// Whether `item` satisfies `q`. `main_fields` are the resource's main text fields (dotted paths)
/// searched by bare terms.
pub fn matches(q: &Query, item: &Json, main_fields: &[&str]) -> bool {
    Matcher::new(q, main_fields).matches(item)
}

/// A query prepared for evaluation against many items (patterns lower-cased, bounds classified).
pub(super) struct Matcher<'a> {
    root: Node<'a>,
    main_fields: Vec<Vec<&'a str>>,
}

enum Node<'a> {
    Or(Vec<Node<'a>>),
    And(Vec<Node<'a>>),
    Not(Box<Node<'a>>),
    Term {
        path: Option<Vec<&'a str>>,
        pattern: Vec<char>,
    },
    Range {
        path: Vec<&'a str>,
        lo: Option<PreparedBound>,
        hi: Option<PreparedBound>,
    },
}

struct PreparedBound {
    lower: String,
    decimal: Option<Decimal>,
    instant: Option<i64>,
    is_date: bool,
}

impl PreparedBound {
    fn new(bound: &Bound) -> Option<Self> {
        match bound {
            Bound::Open => None,
            Bound::Text(text) => Some(PreparedBound {
                lower: text.to_lowercase(),
                decimal: Decimal::parse(text),
                instant: parse_timestamp(text),
                is_date: is_bare_date(text),
            }),
        }
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

impl<'a> Matcher<'a> {
    pub(super) fn new(q: &'a Query, main_fields: &[&'a str]) -> Self {
        Matcher {
            root: Self::prepare(q),
            main_fields: main_fields.iter().map(|f| split_path(f)).collect(),
        }
    }

    fn prepare(q: &'a Query) -> Node<'a> {
        match q {
            Query::Or(items) => Node::Or(items.iter().map(Self::prepare).collect()),
            Query::And(items) => Node::And(items.iter().map(Self::prepare).collect()),
            Query::Not(inner) => Node::Not(Box::new(Self::prepare(inner))),
            Query::Term { path, value } => Node::Term {
                path: path.as_deref().map(split_path),
                pattern: value.as_str().to_lowercase().chars().collect(),
            },
            Query::Range { path, lo, hi } => Node::Range {
                path: split_path(path),
                lo: PreparedBound::new(lo),
                hi: PreparedBound::new(hi),
            },
        }
    }

    pub(super) fn matches(&self, item: &Json) -> bool {
        self.eval(&self.root, item)
    }

    fn eval(&self, node: &Node<'_>, item: &Json) -> bool {
        match node {
            Node::Or(items) => items.iter().any(|n| self.eval(n, item)),
            Node::And(items) => items.iter().all(|n| self.eval(n, item)),
            Node::Not(inner) => !self.eval(inner, item),
            Node::Term {
                path: Some(path),
                pattern,
            } => leaves(item, path)
                .iter()
                .any(|leaf| term_matches(leaf, pattern, false)),
            Node::Term {
                path: None,
                pattern,
            } => self.main_fields.iter().any(|field| {
                leaves(item, field)
                    .iter()
                    .any(|leaf| term_matches(leaf, pattern, true))
            }),
            Node::Range { path, lo, hi } => leaves(item, path)
                .iter()
                .any(|leaf| in_range(leaf, lo.as_ref(), hi.as_ref())),
        }
    }
}

/// The non-null values at the end of `path`, arrays flattened at every step.
pub(super) fn leaves<'j>(item: &'j Json, path: &[&str]) -> Vec<&'j Json> {
    fn walk<'j>(value: &'j Json, path: &[&str], out: &mut Vec<&'j Json>) {
        match value {
            Json::Null => {}
            Json::Array(elements) => {
                for element in elements {
                    walk(element, path, out);
                }
            }
            _ => match path.split_first() {
                None => out.push(value),
                Some((key, rest)) => {
                    if let Some(child) = value.as_object().and_then(|map| map.get(*key)) {
                        walk(child, rest, out);
                    }
                }
            },
        }
    }
    let mut out = Vec::new();
    walk(item, path, &mut out);
    out
}

/// The text form of a scalar (`None` for objects, arrays and null).
fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn term_matches(leaf: &Json, pattern: &[char], bare: bool) -> bool {
    let Some(text) = scalar_text(leaf) else {
        // An object at the end of the path: only "present" can match.
        return pattern == ['*'];
    };
    let text: Vec<char> = text.to_lowercase().chars().collect();
    if glob(pattern, &text) {
        return true;
    }
    bare && text
        .split(|c| c.is_whitespace())
        .any(|word| !word.is_empty() && glob(pattern, word))
}

/// Wildcard match over the whole text: `*` any run, `?` exactly one character. Linear-time
/// backtracking on the last `*` only, so no input can make it exponential.
pub(super) fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == text[t]))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

fn in_range(leaf: &Json, lo: Option<&PreparedBound>, hi: Option<&PreparedBound>) -> bool {
    let Some(text) = scalar_text(leaf) else {
        return false;
    };
    let decimal = Decimal::parse(&text);
    let numeric = decimal.is_some()
        && lo.is_none_or(|b| b.decimal.is_some())
        && hi.is_none_or(|b| b.decimal.is_some());
    let lower = text.to_lowercase();
    let instant = parse_timestamp(&text);

    let compare = |bound: &PreparedBound| -> Ordering {
        if let (true, Some(v), Some(b)) = (numeric, &decimal, &bound.decimal) {
            return v.cmp(b);
        }
        if let (Some(v), Some(b)) = (instant, bound.instant) {
            return v.cmp(&b);
        }
        lower.as_str().cmp(bound.lower.as_str())
    };

    let above_lo = lo.is_none_or(|b| compare(b) != Ordering::Less);
    let below_hi = hi.is_none_or(|b| {
        compare(b) != Ordering::Greater
            // A bare-date upper bound includes its whole day (see the module docs).
            || (!numeric && b.is_date && lower.starts_with(&b.lower))
    });
    above_lo && below_hi
}

/// An exact decimal number `-?\d+(\.\d+)?`, normalised for comparison.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros.
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

impl Decimal {
    pub(super) fn parse(text: &str) -> Option<Decimal> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || !frac.is_none_or(digits) {
            return None;
        }
        let int = int.trim_start_matches('0').to_string();
        let frac = frac.unwrap_or("").trim_end_matches('0').to_string();
        let zero = int.is_empty() && frac.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            int,
            frac,
        })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(super) fn is_bare_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` (also with a lower-case `t`/`z`) as seconds since the
/// Unix epoch; `None` for anything else (including timestamps without an offset).
pub(super) fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(4, b'-')
        && at(7, b'-')
        && (at(10, b'T') || at(10, b't'))
        && at(13, b':')
        && at(16, b':'))
    {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && at(i + 3, b':') => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::super::query::parse_query;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn card() -> Json {
        json!({
            "object": "loyalty.merchantcards",
            "id": "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU",
            "card": {"object": "loyalty.cards", "cardnumber": "9276004428481652",
                     "created": "2015-02-20T08:54:07+01:00"},
            "customer": null,
            "is_base_card": false,
            "bonus_balance": 52,
            "balance": 352,
            "ratio": 1.5,
            "csc": "0071",
            "lock_status": "unlocked",
            "tags": ["Gold", "vip"],
            "idents": [
                {"type": "card", "value": "9276004429942845"},
                {"type": "create_card", "value": "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK"}
            ],
            "contact": {"name": "Max Mustermann"},
            "created": "2026-12-31T10:00:00+01:00"
        })
    }

    const MAIN: &[&str] = &["id", "card.cardnumber", "contact.name"];

    fn m(q: &str) -> bool {
        let query = parse_query(q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        matches(&query, &card(), MAIN)
    }

    #[test]
    fn a_field_term_matches_the_whole_value_case_insensitively() {
        assert!(m("lock_status:unlocked"));
        assert!(m("lock_status:UNLOCKED"));
        assert!(!m("lock_status:unlock"));
        assert!(!m("lock_status:locked"));
    }

    #[test]
    fn numbers_and_booleans_compare_by_their_text_form() {
        assert!(m("bonus_balance:52"));
        assert!(!m("bonus_balance:52.0"));
        assert!(m("ratio:1.5"));
        assert!(m("is_base_card:false"));
        assert!(m("is_base_card:FALSE"));
        assert!(!m("is_base_card:true"));
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(m("card.cardnumber:92760044*"));
        assert!(m("card.cardnumber:*1652"));
        assert!(m("card.cardnumber:9276*8481*"));
        assert!(m("card.cardnumber:927600442848165?"));
        assert!(!m("card.cardnumber:92760044284816?"));
        assert!(m(r#"lock_status:"un*""#));
        assert!(m("lock_status:*"));
    }

    #[test]
    fn a_path_through_an_array_matches_if_any_element_matches() {
        assert!(m("idents.value:9276004429942845"));
        assert!(m("idents.type:create_card"));
        assert!(m("tags:vip"));
        assert!(m("tags:gold"));
        assert!(!m("tags:silver"));
    }

    #[test]
    fn null_and_missing_fields_never_match_so_their_negation_does() {
        assert!(!m("customer.object:loyalty.customers"));
        assert!(m("!customer.object:loyalty.customers"));
        assert!(!m("customer:*"));
        assert!(!m("nothing.here:*"));
        assert!(m("NOT nothing:x"));
    }

    #[test]
    fn a_star_on_an_object_means_present() {
        assert!(m("card:*"));
        assert!(!m("card:x"));
    }

    #[test]
    fn bare_terms_search_the_main_fields_whole_or_by_word() {
        assert!(m("9276004428481652"));
        assert!(m("MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU"));
        assert!(m("max"));
        assert!(m("\"max mustermann\""));
        assert!(m("muster*"));
        assert!(!m("unlocked"));
        assert!(!m("1"));
        assert!(!m("testnr"));
    }

    #[test]
    fn bare_terms_without_main_fields_match_nothing() {
        let q = parse_query("x").unwrap();
        assert!(!matches(&q, &card(), &[]));
    }

    #[test]
    fn boolean_operators_combine_terms() {
        assert!(m("lock_status:unlocked AND balance:352"));
        assert!(!m("lock_status:unlocked AND balance:1"));
        assert!(m("lock_status:locked OR balance:352"));
        assert!(m("(lock_status:locked OR balance:352) !customer:*"));
        assert!(!m("NOT balance:352"));
    }

    #[test]
    fn the_empty_query_matches_everything() {
        assert!(m(""));
    }

    #[test]
    fn numeric_ranges_are_inclusive_and_numeric() {
        assert!(m("bonus_balance:[50 TO 100]"));
        assert!(m("bonus_balance:[52 TO 52]"));
        assert!(m("bonus_balance:[6 TO 100]"));
        assert!(!m("bonus_balance:[53 TO 100]"));
        assert!(m("bonus_balance:[* TO 52.0]"));
        assert!(m("bonus_balance:[-10 TO *]"));
        assert!(m("ratio:[1.25 TO 1.5]"));
        assert!(m("csc:[50 TO 100]"));
    }

    #[test]
    fn numeric_ranges_are_exact_beyond_float_precision() {
        assert!(m("card.cardnumber:[9276004428481652 TO 9276004428481652]"));
        assert!(!m("card.cardnumber:[9276004428481653 TO *]"));
        assert!(!m("card.cardnumber:[* TO 9276004428481651]"));
    }

    #[test]
    fn ranges_with_a_non_numeric_bound_compare_as_text() {
        assert!(m("lock_status:[a TO z]"));
        assert!(m("lock_status:[T TO V]"));
        assert!(!m("lock_status:[v TO z]"));
        // "6" > "52" as text.
        assert!(!m("bonus_balance:[6 TO zzz]"));
    }

    #[test]
    fn an_open_range_matches_any_non_null_scalar() {
        assert!(m("lock_status:[* TO *]"));
        assert!(!m("customer:[* TO *]"));
        assert!(!m("card:[* TO *]"));
    }

    #[test]
    fn a_bare_date_upper_bound_includes_its_whole_day() {
        assert!(m("created:[2026-01-01 TO 2026-12-31]"));
        assert!(m("created:[2026-12-31 TO 2026-12-31]"));
        assert!(!m("created:[2026-01-01 TO 2026-12-30]"));
        assert!(!m("created:[2027-01-01 TO *]"));
        assert!(m("card.created:[2015-02-20 TO 2015-02-20]"));
    }

    #[test]
    fn timestamps_with_offsets_compare_as_instants() {
        // 10:00+01:00 = 09:00Z
        assert!(m("created:[2026-12-31T09:00:00Z TO 2026-12-31T09:00:00Z]"));
        assert!(m("created:[2026-12-31T10:30:00+02:00 TO *]"));
        assert!(!m("created:[2026-12-31T09:00:01Z TO *]"));
        assert!(m("created:[* TO 2026-12-31T10:00:00+01:00]"));
        assert!(!m("created:[* TO 2026-12-31T09:59:59+01:00]"));
    }

    #[test]
    fn glob_handles_stars_and_question_marks() {
        let g = |p: &str, t: &str| {
            glob(
                &p.chars().collect::<Vec<_>>(),
                &t.chars().collect::<Vec<_>>(),
            )
        };
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(g("*", ""));
        assert!(g("a*b*c", "aXXbYYc"));
        assert!(g("a*b*c", "abcbc"));
        assert!(!g("a*b*c", "abcb"));
        assert!(g("?", "ä"));
        assert!(!g("?", ""));
        assert!(g("**a", "a"));
    }

    #[test]
    fn decimals_compare_exactly() {
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert!(d("10") > d("9"));
        assert!(d("0.5") > d("0.45"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(d("-2") < d("-1.5"));
        assert_eq!(d("007.50"), d("7.5"));
        assert!(Decimal::parse("1e5").is_none());
        assert!(Decimal::parse("-").is_none());
        assert!(Decimal::parse("1.").is_none());
        assert!(Decimal::parse("").is_none());
    }

    #[test]
    fn timestamps_parse_to_epoch_seconds() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_timestamp("2020-09-17T09:18:14+02:00"),
            Some(1_600_327_094)
        );
        assert_eq!(
            parse_timestamp("2020-09-17T09:18:14.5-00:30"),
            Some(1_600_336_094)
        );
        assert_eq!(parse_timestamp("2020-09-17T09:18:14"), None);
        assert_eq!(parse_timestamp("2020-09-17"), None);
        assert_eq!(parse_timestamp("2020-13-17T09:18:14Z"), None);
        assert_eq!(parse_timestamp("ä020-09-17T09:18:14Z"), None);
    }

    proptest! {
        #[test]
        fn any_parsed_query_evaluates_without_panicking(s in "[ a-z0-9:*?!\"()\\[\\]._-]{0,40}|\\PC{0,30}") {
            if let Ok(q) = parse_query(&s) {
                let _ = matches(&q, &card(), MAIN);
            }
        }

        #[test]
        fn a_query_and_its_negation_never_agree(s in "[a-z_]{1,8}:[a-z0-9*?]{1,6}") {
            let q = parse_query(&s).unwrap();
            let negated = Query::Not(Box::new(q.clone()));
            prop_assert_ne!(matches(&q, &card(), MAIN), matches(&negated, &card(), MAIN));
        }
    }
}
