//! The `q` language and the list parameters (api.md §5): no input panics, a parsed query prints
//! canonically and parses back to the same tree, evaluation and the SQL pushdown of any parsed
//! query finish, and the pushdown keeps its promise on sample objects: the store filter, evaluated
//! in memory over the object's view, selects every object the exact semantics select (a superset),
//! and precisely those where the pushdown claims to be exact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loyalpos_http::list::pushdown::{Kind, Pushable};
use loyalpos_http::list::{self, Query, pushdown};
use serde_json::{Value, json};

/// The in-memory evaluator of a store filter, shared with the pushdown proptest.
#[path = "../../crates/loyalpos-http/src/list/superset_tests/filter_eval.rs"]
mod filter_eval;

/// Panics unless the pushdown of `q` keeps its promise on `item`, a view of `table`'s resource.
fn check_promise(q: &Query, item: &Value, table: &[Pushable], text: &str) {
    let Some(pushed) = pushdown::pushdown(q, table) else {
        return;
    };
    let exact = list::matches(q, item, &["id"]);
    let selected = filter_eval::holds(&pushed.filter, item, table);
    assert!(
        selected || !exact,
        "not a superset: {text:?} matches {item} but the filter {:?} drops it",
        pushed.filter
    );
    assert!(
        !pushed.exact || selected == exact,
        "claimed exact: the filter {:?} selects {item}: {selected}, {text:?}: {exact}",
        pushed.filter
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The raw query string of a list request.
    let _ = list::parse_params(&text);
    let Ok(q) = list::parse_query(&text) else {
        return;
    };
    let printed = q.to_string();
    let again = list::parse_query(&printed)
        .unwrap_or_else(|e| panic!("canonical form {printed:?} of {text:?} does not parse: {e}"));
    assert_eq!(again, q, "round trip of {text:?} via {printed:?}");
    let item = json!({
        "object": "smart.transactions", "id": "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2",
        "status": "ok", "created": "2026-03-01T10:00:00+01:00", "merchantRef": "Kasse-1",
        "trans_id": "10000001", "basket_info": {"sum": 796},
        "idents": [{"value": "9276004429942845"}, {"value": "CRG_X"}], "customer": null,
        "card": {"cardnumber": "9276004428481652"}, "amount": -71,
    });
    let _ = list::matches(&q, &item, &["id", "merchantRef", "idents.value"]);
    check_promise(&q, &item, pushdown::SMART_TRANSACTIONS, &text);
    let tricky = json!({
        "object": "smart.transactions", "id": "STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ",
        "status": "cancelled", "created": "2020-12-31T23:30:00-10:00", "merchantRef": "\u{212A}asse-\u{130}1",
        "transactionRef": "a\u{131}b", "trans_id": null, "device_source": {"id": "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6"},
    });
    check_promise(&q, &tricky, pushdown::SMART_TRANSACTIONS, &text);
    let card = json!({
        "object": "loyalty.merchantcards", "id": "MCD_2RXTNXPRM2YG9922UMBHHAEWEGN6AJ",
        "card": {"id": "CRD_1", "cardnumber": "9276004429942845"}, "cardgroup": {"id": "CRG_X"},
        "customer": null, "cash_balance": -5, "bonus_balance": 0, "points": 17,
    });
    check_promise(&q, &card, pushdown::MERCHANT_CARDS, &text);
    for table in [
        pushdown::SMART_TRANSACTIONS,
        pushdown::MERCHANT_CARDS,
        pushdown::CARDS,
        pushdown::CARDGROUPS,
        pushdown::CUSTOMERS,
        pushdown::LOYALTY_TRANSACTIONS,
        pushdown::STORES,
        pushdown::DEVICES,
    ] {
        // Every translation finishes (the promise is checked above, where the item is a view of
        // the table's resource).
        let _ = pushdown::pushdown(&q, table);
    }
});
