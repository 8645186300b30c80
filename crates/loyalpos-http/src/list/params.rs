//! Reading the list parameters from a raw query string (api.md §5).
//!
//! * Pairs are separated by `&`, key and value by the first `=`; both are percent-decoded with
//!   `+` meaning space (form encoding). Broken `%` escapes are kept literally, invalid UTF-8 is
//!   replaced, so decoding never fails.
//! * An empty `count=` or `offset=` is 400/4001 (a client that sends the key means a number).
//! * `count`, `offset`, `fields` and `q`: the last occurrence wins. `sort` keys accumulate in the
//!   order they appear, from both the `sort=a:asc,b:desc` and the legacy `sort[a]=asc` forms
//!   (also `sort[card][cardnumber]=desc`, as PHP writes nested keys).
//! * A `sort` item without a direction sorts ascending; directions are case-insensitive.
//! * `fields` items are kept as given (trimmed, empties dropped); unknown fields simply select
//!   nothing.
//! * Any other parameter (`expand`, `scroll_expire`, `scroll_id`, `aggregate`, `meta`,
//!   `validate`, `preset`, unknown ones) is ignored.

use super::{ListError, ListParams, MAX_COUNT, SortKey, is_valid_path, parse_query};

/// Parses the raw query string (the part after `?`, still percent-encoded) into [`ListParams`].
pub fn parse_params(raw_query: &str) -> Result<ListParams, ListError> {
    let raw = raw_query.strip_prefix('?').unwrap_or(raw_query);
    let mut params = ListParams::default();
    let mut q = None;
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(raw_key);
        let value = decode(raw_value);
        match key.as_str() {
            "count" => {
                if let Some(n) = parse_non_negative("count", &value)? {
                    params.count = n.min(MAX_COUNT);
                }
            }
            "offset" => {
                if let Some(n) = parse_non_negative("offset", &value)? {
                    params.offset = n;
                }
            }
            "sort" => {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (path, direction) = item.split_once(':').unwrap_or((item, ""));
                    params.sort.push(sort_key(path.trim(), direction.trim())?);
                }
            }
            "fields" => {
                let fields: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                params.fields = (!fields.is_empty()).then_some(fields);
            }
            "q" => q = Some(value),
            _ => {
                if let Some(inner) = key.strip_prefix("sort[").and_then(|k| k.strip_suffix(']')) {
                    let path = inner.replace("][", ".");
                    params.sort.push(sort_key(&path, value.trim())?);
                }
            }
        }
    }
    params.q = match q {
        Some(q) if !q.trim().is_empty() => Some(parse_query(&q)?),
        _ => None,
    };
    Ok(params)
}

fn sort_key(path: &str, direction: &str) -> Result<SortKey, ListError> {
    if !is_valid_path(path) {
        return Err(ListError(format!(
            "sort: '{path}' is not a field name (expected 'field' or 'a.b', then ':asc' or ':desc')"
        )));
    }
    let descending = match direction.to_ascii_lowercase().as_str() {
        "" | "asc" => false,
        "desc" => true,
        _ => {
            return Err(ListError(format!(
                "sort: unknown direction '{direction}' for '{path}' (use asc or desc)"
            )));
        }
    };
    Ok(SortKey {
        path: path.to_string(),
        descending,
    })
}

/// A non-negative integer. Huge values saturate (they are clamped or page past the end anyway);
/// `-0` is 0.
fn parse_non_negative(name: &str, value: &str) -> Result<Option<usize>, ListError> {
    if value.is_empty() {
        return Err(ListError(format!(
            "{name}: expected a non-negative integer, got an empty value"
        )));
    }
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ListError(format!(
            "{name}: expected a non-negative integer, got '{value}'"
        )));
    }
    let n = digits.bytes().fold(0usize, |acc, d| {
        acc.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    if negative && n != 0 {
        return Err(ListError(format!(
            "{name}: must not be negative, got '{value}'"
        )));
    }
    Ok(Some(n))
}

/// Percent-decoding with `+` as space.
///
/// One repair: a literal `+` between a time and an offset (`…T00:00:00+02:00`) is kept as `+`.
/// Clients that do not encode `+` (curl, hand-written URLs) would otherwise turn
/// `created:[2020-09-01T00:00:00+02:00 TO *]` into `…T00:00:00 02:00 …`, which cannot mean
/// anything else: a space never separates a time from an offset. An encoded `%2B` is a `+` and
/// an encoded `%20` is a space, as always.
fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut plus_spaces = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                plus_spaces.push(out.len());
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                bytes.get(i + 1).and_then(|&h| hex(h)),
                bytes.get(i + 2).and_then(|&l| hex(l)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    for at in plus_spaces {
        if is_time_before(&out[..at]) && is_offset_after(&out[at + 1..]) {
            out[at] = b'+';
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `…THH:MM`, `…THH:MM:SS` or `…THH:MM:SS.fff` at the end of `before`.
fn is_time_before(before: &[u8]) -> bool {
    let mut end = before.len();
    // Optional fraction.
    let digits_end = end;
    while end > 0 && before[end - 1].is_ascii_digit() {
        end -= 1;
    }
    if end < digits_end && end > 0 && before[end - 1] == b'.' {
        end -= 1;
    } else {
        end = digits_end;
    }
    let two_digits_then = |end: usize, sep: u8| {
        end >= 3
            && before[end - 1].is_ascii_digit()
            && before[end - 2].is_ascii_digit()
            && before[end - 3] == sep
    };
    // ":SS" (optional), then ":MM", then "THH".
    if two_digits_then(end, b':') && two_digits_then(end - 3, b':') {
        end -= 3;
    }
    two_digits_then(end, b':') && two_digits_then(end - 3, b'T')
}

/// `HH:MM` or `HHMM` at the start of `after`, not followed by another digit.
fn is_offset_after(after: &[u8]) -> bool {
    let digit = |i: usize| after.get(i).is_some_and(u8::is_ascii_digit);
    let len = if digit(0) && digit(1) && after.get(2) == Some(&b':') && digit(3) && digit(4) {
        5
    } else if digit(0) && digit(1) && digit(2) && digit(3) {
        4
    } else {
        return false;
    };
    !digit(len)
}

#[cfg(test)]
mod tests {
    use super::super::{Bound, Query, Value};
    use super::*;
    use proptest::prelude::*;

    fn p(raw: &str) -> ListParams {
        parse_params(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
    }

    fn e(raw: &str) -> String {
        parse_params(raw).expect_err(raw).0
    }

    fn key(path: &str, descending: bool) -> SortKey {
        SortKey {
            path: path.into(),
            descending,
        }
    }

    #[test]
    fn no_parameters_give_the_defaults() {
        assert_eq!(p(""), ListParams::default());
        assert_eq!(p("?"), ListParams::default());
        assert_eq!(p("").count, 100);
        assert_eq!(p("").offset, 0);
    }

    #[test]
    fn count_and_offset_are_read_and_count_is_capped_at_1000() {
        let params = p("count=2&offset=3");
        assert_eq!((params.count, params.offset), (2, 3));
        assert_eq!(p("count=1000").count, 1000);
        assert_eq!(p("count=1001").count, 1000);
        assert_eq!(p("count=99999999999999999999999999").count, 1000);
        assert_eq!(p("offset=99999999999999999999999999").offset, usize::MAX);
        assert_eq!(p("count=0").count, 0);
        assert_eq!(p("count=-0").count, 0);
        assert_eq!(p("count=5&count=7").count, 7);
    }

    #[test]
    fn negative_or_non_integer_count_and_offset_are_errors() {
        assert_eq!(e("count=-1"), "count: must not be negative, got '-1'");
        assert_eq!(
            e("count="),
            "count: expected a non-negative integer, got an empty value"
        );
        assert_eq!(
            e("offset="),
            "offset: expected a non-negative integer, got an empty value"
        );
        assert_eq!(e("offset=-5"), "offset: must not be negative, got '-5'");
        assert_eq!(
            e("count=abc"),
            "count: expected a non-negative integer, got 'abc'"
        );
        assert_eq!(
            e("count=1.5"),
            "count: expected a non-negative integer, got '1.5'"
        );
        assert_eq!(
            e("offset=1e3"),
            "offset: expected a non-negative integer, got '1e3'"
        );
        assert_eq!(
            e("count=%2B5"),
            "count: expected a non-negative integer, got '+5'"
        );
        assert_eq!(
            e("count=-"),
            "count: expected a non-negative integer, got '-'"
        );
    }

    #[test]
    fn sort_takes_a_comma_list_of_fields_with_directions() {
        assert_eq!(
            p("sort=balance:desc,card.cardnumber:asc").sort,
            vec![key("balance", true), key("card.cardnumber", false)]
        );
        assert_eq!(
            p("sort=balance%3ADESC%2C%20id").sort,
            vec![key("balance", true), key("id", false)]
        );
        assert_eq!(p("sort=a,,b,").sort, vec![key("a", false), key("b", false)]);
    }

    #[test]
    fn legacy_sort_brackets_work_alone_and_mixed_in_order_of_appearance() {
        assert_eq!(p("sort[balance]=desc").sort, vec![key("balance", true)]);
        assert_eq!(
            p("sort%5Bcard.cardnumber%5D=asc").sort,
            vec![key("card.cardnumber", false)]
        );
        assert_eq!(
            p("sort[card][cardnumber]=desc").sort,
            vec![key("card.cardnumber", true)]
        );
        assert_eq!(
            p("sort[a]=asc&sort=b:desc&sort[c]=desc").sort,
            vec![key("a", false), key("b", true), key("c", true)]
        );
    }

    #[test]
    fn a_bad_sort_direction_or_field_is_an_error() {
        assert_eq!(
            e("sort=balance:up"),
            "sort: unknown direction 'up' for 'balance' (use asc or desc)"
        );
        assert_eq!(
            e("sort[balance]=down"),
            "sort: unknown direction 'down' for 'balance' (use asc or desc)"
        );
        assert_eq!(
            e("sort=-balance"),
            "sort: '-balance' is not a field name (expected 'field' or 'a.b', then ':asc' or ':desc')"
        );
    }

    #[test]
    fn fields_is_a_trimmed_comma_list() {
        assert_eq!(
            p("fields=card.cardnumber,%20balance,,").fields,
            Some(vec!["card.cardnumber".to_string(), "balance".to_string()])
        );
        assert_eq!(p("fields=").fields, None);
        assert_eq!(p("fields=,").fields, None);
    }

    #[test]
    fn q_is_decoded_and_parsed() {
        assert_eq!(
            p("q=card.cardnumber%3A%229276004428481652%22").q,
            Some(Query::Term {
                path: Some("card.cardnumber".into()),
                value: Value::Text("9276004428481652".into())
            })
        );
        assert_eq!(
            p("q=a:1+AND+b:2").q.map(|q| q.to_string()),
            Some("a:1 AND b:2".into())
        );
    }

    #[test]
    fn an_empty_or_blank_q_is_no_filter() {
        assert_eq!(p("q=").q, None);
        assert_eq!(p("q=+++").q, None);
        assert_eq!(p("q=%20").q, None);
    }

    #[test]
    fn a_q_syntax_error_is_reported_with_its_position() {
        assert_eq!(
            e("q=(card.cardnumber"),
            "q: expected ')' at position 16 (end of query) to close the '(' at position 0"
        );
    }

    #[test]
    fn a_plus_between_a_time_and_its_offset_survives_form_decoding() {
        assert_eq!(
            p("q=created:[2020-09-01T00:00:00+02:00+TO+*]").q,
            Some(Query::Range {
                path: "created".into(),
                lo: Bound::Text("2020-09-01T00:00:00+02:00".into()),
                hi: Bound::Open
            })
        );
        assert_eq!(
            p("q=status:ok+AND+created:[2020-09-01T00:00:00%2B02:00+TO+*]")
                .q
                .map(|q| q.to_string()),
            Some("status:ok AND created:[2020-09-01T00:00:00+02:00 TO *]".into())
        );
        assert_eq!(decode("T10:00+0200"), "T10:00+0200");
        assert_eq!(decode("T10:00:00.123+02:00"), "T10:00:00.123+02:00");
        // Not a time before it, or not an offset after it: an ordinary space.
        assert_eq!(decode("a+02:00"), "a 02:00");
        assert_eq!(decode("T10:00+020000"), "T10:00 020000");
        assert_eq!(decode("10:00:00+02:00"), "10:00:00 02:00");
        assert_eq!(decode("T10:00%2002:00"), "T10:00 02:00");
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(decode("a%41%zz%"), "aA%zz%");
        assert_eq!(decode("%C3%A4"), "ä");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn other_parameters_are_ignored() {
        assert_eq!(
            p(
                "expand=1&scroll_expire=5m&scroll_id=x&aggregate=a&meta=1&validate=1&preset=p&foo=bar&=x&novalue"
            ),
            ListParams::default()
        );
    }

    proptest! {
        #[test]
        fn arbitrary_query_strings_never_panic(s in "\\PC{0,60}|[a-z=&%+0-9\\[\\]:,.-]{0,60}") {
            let _ = parse_params(&s);
        }
    }
}
