//! The `q` language and the list parameters (api.md §5): no input panics, a parsed query prints
//! canonically and parses back to the same tree, evaluation and the SQL pushdown of any parsed
//! query finish, and an exact pushdown never claims more than the query allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loyalpos_http::list::{self, pushdown};
use serde_json::json;

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
        let _ = pushdown::pushdown(&q, table);
    }
});
