//! V1: the seed's request, sent verbatim, answers the seed's response (../shared/spec/seed.txt).
mod common;
use common::*;
use serde_json::{Value, json};

fn spec_dir() -> std::path::PathBuf {
    match std::env::var("LOYALPOS_SPEC_DIR") {
        Ok(dir) => dir.into(),
        Err(_) => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"),
    }
}

/// The response JSON printed in seed.txt (between "Response" and the closing prose), with the docs'
/// `// ...` elisions — read with loyalpos' own annotated-JSON reader.
fn seed_response() -> Value {
    let path = spec_dir().join("seed.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the contract's seed is missing at {} ({e}): the spec lives in shared/spec next to the \
             project (../shared/spec from the repository root), or set LOYALPOS_SPEC_DIR",
            path.display()
        )
    });
    let after = &text[text.find("Response").expect("Response section")..];
    let start = after.find("\n{").expect("response body") + 1;
    let end = after.rfind("\n}").expect("end of body") + 2;
    loyalpos_http::json::parse_body(&after.as_bytes()[start..end]).expect("the seed's JSON parses")
}

/// Every field the seed shows must be in the answer with the same value, except the paths that are
/// allowed to differ (timestamps of this call).
fn assert_contains(expected: &Value, actual: &Value, path: &str, may_differ: &[&str]) {
    if may_differ.contains(&path) {
        assert!(
            actual.as_str().is_some_and(|s| s.len() == 25),
            "{path} must be a timestamp, got {actual}"
        );
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let child = format!("{path}.{k}");
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{child} missing in the answer"));
                assert_contains(v, got, &child, may_differ);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: array length");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_contains(ev, av, &format!("{path}[{i}]"), may_differ);
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

on_both_backends! {
    async fn the_seeds_start_cash_request_sent_verbatim_answers_the_seeds_response(app: TestApp) {
        let resp = app.http
            .post(format!("{}/api/v2/Smart/Transactions/{SEED_STX}/start/cash", app.server.base))
            .header("Host", "connect-testing.secuconnect.com")
            .header("Authenticate", format!("Bearer {PINNED}"))
            .header("Accept", "application/json")
            .send().await.unwrap();
        let r = TestApp::reply(resp).await;
        assert_eq!(r.header("content-type"), Some("application/json"));
        let body = r.ok().clone();
        let seed = seed_response();
        assert_contains(&seed, &body, "$", &["$.updated", "$.idents[0].merchantcard.last_usage"]);
        // what the seed elides is there too, per examples.md V1
        assert_eq!(body["basket_info"], json!({"sum": 796, "gratuity": null, "currency": "EUR"}));
        assert_eq!(body["merchant"], json!({"object": "general.merchants", "id": MERCHANT, "companyname": "John's Bakery"}));
        assert_eq!(body["device_source"], json!({"object": "smart.devices", "id": CASH_REGISTER}));
        assert_eq!(body["idents"][0]["merchantcard"]["customer_assignment_date"], "2018-05-03T10:14:06+02:00");
        assert_eq!(body["idents"][0]["merchantcard"]["created_for_store"]["id"], STORE);
        let mut expected_receipt = head("Kundenkarte", CARD_A, "29187330");
        expected_receipt.extend([SP(), TL("Umsatz erfasst:"), TLI("7,96 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("10,00 EUR")]);
        assert_eq!(body["receipt"], Value::Array(expected_receipt));

        let ltx = app.ltx("LTX_YBYPUETZ2HQXURG9XU0M5H4KGWW0NH").await;
        assert_eq!((ltx["trans_id"].as_i64(), ltx["description"].as_str()), (Some(29187330), Some("Umsatz")));
        assert_eq!((ltx["amount"].as_i64(), ltx["balance"].as_i64(), ltx["revenue"].as_i64()), (Some(0), Some(1000), Some(796)));
        assert_eq!(ltx["bookings"], json!([]));
        assert_eq!((ltx["is_cancelling"].as_i64(), ltx["status"].as_str(), ltx["tid"].as_str()), (Some(0), Some("ok"), Some("VT000124")));
        assert_eq!(ltx["smart_transaction"], json!({"object": "smart.transactions", "id": SEED_STX}));
        assert_eq!(ltx["receipt"], body["receipt"]);
        assert_eq!(app.balances(MCD_A).await, (1000, 0, 1000));

        // repeats: the same method returns the stored object and books nothing
        let again = app.start(SEED_STX, "cash").await;
        assert_eq!(again.ok(), &body);
        let list = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_A}"), PINNED).await;
        assert_eq!(list.ok()["count"], 2, "opening + one booking");
        app.start(SEED_STX, "loyalty").await.assert_error(409, 4101);
        app.put(&format!("/Smart/Transactions/{SEED_STX}"), PINNED, card_body(CARD_A, docs_basket(), 796)).await.assert_error(409, 4101);
    }

    async fn the_sdks_stomp_start_frame_answers_the_seeds_response_in_the_replys_data(app: TestApp) {
        let (mut stomp, connected) = stomp::StompClient::connect(&app.server.stomp, PINNED).await;
        assert_eq!(connected.command, loyalpos_stomp::Command::Connected, "{connected:?}");
        let correlation = "5fd0c1e2a3b4c-1804289383-1607000000";
        let frame = stomp::sdk_send(PINNED, "exec", "Smart.Transactions.Start", SEED_STX, "cash", correlation);
        stomp.send(&frame).await;
        let reply = stomp.next().await.expect("a reply");
        assert_eq!(reply.command, loyalpos_stomp::Command::Message);
        assert_eq!(reply.get("destination"), Some("/temp-queue/main"));
        assert_eq!(reply.get("correlation-id"), Some(correlation));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"], "ok", "{body}");
        assert_contains(&seed_response(), &body["data"], "$", &["$.updated", "$.idents[0].merchantcard.last_usage"]);
        // the same booking REST shows, once
        let rest = app.get(&format!("/Smart/Transactions/{SEED_STX}"), PINNED).await;
        assert_eq!(rest.ok()["receipt"], body["data"]["receipt"]);
        assert_eq!(app.balances(MCD_A).await, (1000, 0, 1000));
    }
}
