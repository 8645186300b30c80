//! The promise of [`super::pushdown`], checked: the store filter a `q` translates to is a
//! **superset** of the exact answer (every object [`super::matches`] selects satisfies the filter),
//! and where the translation claims to be **exact** it selects precisely the matching objects. The
//! filter is evaluated in memory over the object's view by [`filter_eval`], the way the store's SQL
//! evaluates it over the row. The `q_parser` fuzz target checks the same over parsed inputs.

mod filter_eval;

use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::pushdown::{self, Kind, Pushable, pushdown};
use super::{Bound, Query, Value, matches};

/// The pushdown and the exact answer agree as promised on this object; `Err` describes a breach.
fn promise_holds(q: &Query, item: &Json, table: &[Pushable]) -> Result<(), String> {
    let exact = matches(q, item, &["id"]);
    let Some(pushed) = pushdown(q, table) else {
        return Ok(());
    };
    let selected = filter_eval::holds(&pushed.filter, item, table);
    if exact && !selected {
        return Err(format!(
            "not a superset: {q} matches {item} but the filter {:?} drops it",
            pushed.filter
        ));
    }
    if pushed.exact && selected != exact {
        return Err(format!(
            "claimed exact but the filter {:?} selects {item} and {q} does not",
            pushed.filter
        ));
    }
    Ok(())
}

// ---- objects: views of smart transactions and merchant cards from small alphabets, so that the
// ---- generated queries hit them often

fn text_from(
    alphabet: &'static [&'static str],
    len: std::ops::Range<usize>,
) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(alphabet), len)
        .prop_map(|parts| parts.concat())
        .boxed()
}

/// Letters whose case rules are tricky (Kelvin sign, dotted and dotless i) among plain ones.
const REF_CHARS: &[&str] = &[
    "a", "A", "k", "K", "\u{212A}", "i", "I", "\u{130}", "\u{131}", "-", "1", "ä", " ",
];
const DIGITS: &[&str] = &["1", "2", "9"];
const ID_CHARS: &[&str] = &["A", "B", "1", "_"];

fn nullable(s: BoxedStrategy<Json>) -> BoxedStrategy<Json> {
    prop_oneof![1 => Just(Json::Null), 3 => s].boxed()
}

fn timestamp() -> BoxedStrategy<String> {
    (
        2025i64..=2027,
        1i64..=12,
        1i64..=28,
        0i64..24,
        prop::sample::select(&[0i64, 30, 59][..]),
        -14i64..=14,
    )
        .prop_map(|(y, mo, d, h, mi, off)| {
            let sign = if off < 0 { '-' } else { '+' };
            format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{sign}{:02}:00",
                off.abs()
            )
        })
        .boxed()
}

fn smart_transaction() -> BoxedStrategy<Json> {
    (
        text_from(ID_CHARS, 1..3),
        prop::sample::select(&["created", "processing", "ok", "cancelled", "failed"][..]),
        timestamp(),
        nullable(text_from(DIGITS, 1..4).prop_map(Json::from).boxed()),
        nullable(text_from(REF_CHARS, 0..4).prop_map(Json::from).boxed()),
        nullable(text_from(REF_CHARS, 0..4).prop_map(Json::from).boxed()),
        nullable(
            text_from(ID_CHARS, 1..3)
                .prop_map(|d| json!({"id": format!("SDV_{d}")}))
                .boxed(),
        ),
    )
        .prop_map(|(id, status, created, trans_id, mref, tref, device)| {
            json!({"object": "smart.transactions", "id": format!("STX_{id}"), "status": status,
                "created": created, "trans_id": trans_id, "merchantRef": mref,
                "transactionRef": tref, "device_source": device, "basket_info": {"sum": 796}})
        })
        .boxed()
}

fn merchant_card() -> BoxedStrategy<Json> {
    (
        text_from(ID_CHARS, 1..3),
        text_from(DIGITS, 1..5),
        nullable(
            text_from(ID_CHARS, 1..3)
                .prop_map(|c| json!({"id": format!("CUS_{c}")}))
                .boxed(),
        ),
        -3i64..=3,
        -3i64..=3,
        -3i64..=3,
    )
        .prop_map(|(id, number, customer, cash, bonus, points)| {
            json!({"object": "loyalty.merchantcards", "id": format!("MCD_{id}"),
                "card": {"id": format!("CRD_{id}"), "cardnumber": number},
                "cardgroup": {"id": "CRG_A"}, "customer": customer,
                "cash_balance": cash, "bonus_balance": bonus, "points": points})
        })
        .boxed()
}

// ---- queries over a resource's pushable paths (and one that is not)

/// A term on one of the object's own values, cut short, re-cased and given wildcards: the terms
/// that hit it (a prefix of `aİ` written `ai*`, …).
fn derived_term(item: &Json, table: &[Pushable]) -> BoxedStrategy<Query> {
    let values: Vec<(&'static str, String)> = table
        .iter()
        .filter_map(|p| {
            let v = p.path.split('.').try_fold(item, |v, name| v.get(name))?;
            let text = v
                .as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))?;
            Some((p.path, text))
        })
        .collect();
    if values.is_empty() {
        return term_text()
            .prop_map(|v| Query::Term {
                path: None,
                value: Value::Text(v),
            })
            .boxed();
    }
    (
        prop::sample::select(values),
        0usize..8,
        prop::sample::select(&["", "*", "?", "?*"][..]),
        0u8..4,
    )
        .prop_map(|((path, value), keep, wild, case)| {
            let cut: String = value.chars().take(keep).collect();
            let cased: String = match case {
                0 => cut,
                1 => cut.to_lowercase(),
                2 => cut.to_uppercase(),
                // the first character of each lower case: 'İ' as 'i', the Kelvin sign as 'k'
                _ => cut
                    .chars()
                    .filter_map(|c| c.to_lowercase().next())
                    .collect(),
            };
            Query::Term {
                path: Some(path.to_owned()),
                value: Value::Text(format!("{cased}{wild}")),
            }
        })
        .boxed()
}

/// Texts near the objects' values: ids, words, digits, references, integers, with wildcards.
fn term_text() -> BoxedStrategy<String> {
    let prefixed = (
        prop::sample::select(&["STX_", "stx_", "SDV_", "MCD_", "CRD_", "CUS_", "crg_", ""][..]),
        text_from(ID_CHARS, 0..3),
    )
        .prop_map(|(p, s)| format!("{p}{s}"));
    let wild = prop::sample::select(&["", "*", "?", "*1", "?*"][..]);
    let base = prop_oneof![
        prefixed,
        prop::sample::select(&["ok", "OK", "created", "cancelled", "crg_a", "CRG_A"][..])
            .prop_map(String::from),
        text_from(DIGITS, 0..4),
        text_from(REF_CHARS, 0..4),
        (-4i64..=4).prop_map(|n| n.to_string()),
        prop::sample::select(&["-0", "01", "+1", "1.0"][..]).prop_map(String::from),
    ];
    (base, wild).prop_map(|(b, w)| format!("{b}{w}")).boxed()
}

fn bound() -> BoxedStrategy<Bound> {
    prop_oneof![
        Just(Bound::Open),
        (-4i64..=4).prop_map(|n| Bound::Text(n.to_string())),
        timestamp().prop_map(Bound::Text),
        timestamp().prop_map(|t| Bound::Text(t[..10].to_owned())),
        term_text().prop_map(Bound::Text),
    ]
    .boxed()
}

/// Queries over `table`'s paths whose values come from `item` or near it.
fn query(table: &'static [Pushable], item: &Json) -> BoxedStrategy<Query> {
    let paths: Vec<&'static str> = table
        .iter()
        .map(|p| p.path)
        .chain(["basket_info.sum"])
        .collect();
    let path = prop::sample::select(paths);
    let leaf = prop_oneof![
        4 => derived_term(item, table),
        2 => (path.clone(), term_text()).prop_map(|(p, v)| Query::Term {
            path: Some(p.to_owned()),
            value: Value::Text(v)
        }),
        3 => (path, bound(), bound()).prop_map(|(p, lo, hi)| Query::Range {
            path: p.to_owned(),
            lo,
            hi
        }),
        1 => term_text().prop_map(|v| Query::Term {
            path: None,
            value: Value::Text(v)
        }),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..4).prop_map(Query::And),
            3 => prop::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
            1 => inner.prop_map(|q| Query::Not(Box::new(q))),
        ]
    })
    .boxed()
}

/// An object and a query aimed at it.
fn pairs(items: BoxedStrategy<Json>, table: &'static [Pushable]) -> BoxedStrategy<(Json, Query)> {
    items
        .prop_flat_map(move |item| (Just(item.clone()), query(table, &item)))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn smart_transaction_pushdowns_keep_their_promise((item, q) in pairs(smart_transaction(), pushdown::SMART_TRANSACTIONS)) {
        prop_assert_eq!(promise_holds(&q, &item, pushdown::SMART_TRANSACTIONS), Ok(()));
    }

    #[test]
    fn merchant_card_pushdowns_keep_their_promise((item, q) in pairs(merchant_card(), pushdown::MERCHANT_CARDS)) {
        prop_assert_eq!(promise_holds(&q, &item, pushdown::MERCHANT_CARDS), Ok(()));
    }
}

/// The evaluator itself, on the cases the pushdown's own tests name.
#[test]
fn the_in_memory_filter_reads_the_view_as_the_store_reads_the_row() {
    let item = json!({"id": "STX_A", "status": "ok", "created": "2026-01-01T00:00:00+01:00",
        "trans_id": "10000001", "merchantRef": "\u{212A}asse-1", "transactionRef": null});
    let table = pushdown::SMART_TRANSACTIONS;
    let holds = |q: &str| {
        let pushed = pushdown(&super::parse_query(q).unwrap(), table).unwrap();
        filter_eval::holds(&pushed.filter, &item, table)
    };
    assert!(holds("id:stx_a AND status:ok AND trans_id:1000*"));
    assert!(holds("merchantRef:kasse-1 AND merchantRef:KAS*"));
    assert!(holds(
        "created:[2026-01-01T00:00:00+01:00 TO 2025-12-31T23:00:00Z]"
    ));
    assert!(!holds("created:[2026-01-01T00:00:01+01:00 TO *]"));
    assert!(!holds("transactionRef:x"), "null satisfies nothing");
    assert!(!holds("trans_id:10000002 OR status:cancelled"));
    // the tricky cases of folding, through the whole check
    for (reference, q) in [
        ("a\u{130}", "merchantRef:ai*"),
        ("\u{212A}a", "merchantRef:ka*"),
        ("\u{212A}", "merchantRef:k"),
        ("\u{131}x", "merchantRef:ix"),
    ] {
        let item = json!({"id": "STX_A", "merchantRef": reference});
        let q = super::parse_query(q).unwrap();
        assert_eq!(promise_holds(&q, &item, table), Ok(()), "{reference}");
    }
    assert_eq!(
        filter_eval::unix_seconds("1970-01-01T01:00:00+01:00"),
        Some(0)
    );
    assert_eq!(Kind::Time, table[2].kind);
}

/// The generators are not vacuous: many generated pairs push a filter down and match exactly, so
/// the superset check above bites (and some push down without matching, for the exact claim).
#[test]
fn the_generated_pairs_often_match_and_push_down() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    for (table, items) in [
        (pushdown::SMART_TRANSACTIONS, smart_transaction()),
        (pushdown::MERCHANT_CARDS, merchant_card()),
    ] {
        let mut runner = TestRunner::deterministic();
        let pairs = pairs(items, table);
        let (mut matched, mut unmatched) = (0, 0);
        for _ in 0..2000 {
            let (item, q) = pairs.new_tree(&mut runner).unwrap().current();
            if pushdown(&q, table).is_some() {
                if matches(&q, &item, &["id"]) {
                    matched += 1;
                } else {
                    unmatched += 1;
                }
            }
        }
        assert!(
            matched >= 100 && unmatched >= 100,
            "{matched} pushed and matching, {unmatched} pushed and not"
        );
    }
}
