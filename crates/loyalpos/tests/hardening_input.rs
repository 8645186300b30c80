//! Inputs that used to answer 500 or to be stored unchecked (GitHub issue 11, items 5–8).

mod common;
use common::*;

use serde_json::{Value, json};

fn or_of(n: usize) -> String {
    vec!["card.cardnumber:9276004428481652"; n].join(" OR ")
}

on_both_backends! {
    async fn a_q_with_a_thousand_terms_is_400_4001_with_the_position_not_500(app: TestApp) {
        let long = vec!["a:1"; 1000].join(" OR ");
        let r = app.get(&format!("/Loyalty/MerchantCards?q={}", enc(&long)), PINNED).await;
        let details = r.assert_error(400, 4001)["error_details"].as_str().unwrap().to_owned();
        assert_eq!(details, "q: longer than 4000 characters at position 4000");
        let many = vec!["a:1"; 500].join(" ");
        for path in ["/Loyalty/MerchantCards", "/Smart/Transactions", "/Loyalty/Transactions", "/Loyalty/Cards"] {
            let r = app.get(&format!("{path}?q={}", enc(&many)), PINNED).await;
            let details = r.assert_error(400, 4001)["error_details"].as_str().unwrap().to_owned();
            assert_eq!(details, "q: more than 100 terms at position 400", "{path}");
        }
        // At the limits the SQL still fits the engine's expression depth.
        let r = app.get(&format!("/Loyalty/MerchantCards?q={}", enc(&or_of(100))), PINNED).await;
        assert_eq!(r.ok()["count"], 1);
        let deep = format!("{}card.cardnumber:9276004428481652{}", "(".repeat(99), ")".repeat(99));
        let r = app.get(&format!("/Loyalty/MerchantCards?q={}", enc(&deep)), PINNED).await;
        assert_eq!(r.ok()["count"], 1);
    }

    async fn control_characters_in_a_path_answer_400_4001_and_odd_docs_assets_404(app: TestApp) {
        for path in ["/docs/%00", "/docs/%0A", "/docs/%7F", "/api/v2/Smart/Devices/SDV_%00"] {
            let r = app.get(path, PINNED).await;
            r.assert_error(400, 4001);
        }
        // Found by schemathesis: a name that makes no request URI was 500.
        for asset in ["%F3%96%AD%93.%3F%3C", "a%3Fb", "%C3%A4.js"] {
            app.get(&format!("/docs/{asset}"), PINNED).await.assert_error(404, 3001);
        }
    }

    async fn device_documents_must_be_objects(app: TestApp) {
        let token = app.merchant_token().await;
        for (field, value) in [
            ("status", json!("ok")),
            ("status", json!([1])),
            ("products", json!(5)),
            ("products", json!(["loyalty"])),
            ("device", json!(7)),
            ("device", json!([])),
        ] {
            let body = json!({"type": "cashier", field: value});
            let r = app.post("/Smart/Devices", &token, body.clone()).await;
            let details = r.assert_error(400, 4001)["error_details"].as_str().unwrap().to_owned();
            assert_eq!(details, format!("{field}: expected an object"));
            let put = app.put(&format!("/Smart/Devices/{CASH_REGISTER}"), &token, body).await;
            put.assert_error(400, 4001);
        }
        let ok = json!({"type": "cashier", "status": {"state": "idle"}, "products": {"loyalty": {"enabled": true}},
                        "device": "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6"});
        let d = app.post("/Smart/Devices", &token, ok).await.ok().clone();
        assert_eq!(d["status"], json!({"state": "idle"}));
        assert_eq!(d["device"], json!({"object": "smart.devices", "id": "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6"}));
        let unchanged = app.get(&format!("/Smart/Devices/{CASH_REGISTER}"), PINNED).await;
        assert_eq!(unchanged.ok()["status"], Value::Null, "refused changes wrote nothing");
    }

    async fn store_open_hours_are_checked_with_the_json_path(app: TestApp) {
        let token = app.merchant_token().await;
        let good = json!([{"open": {"day": 1, "time": "0800"}, "close": {"day": 1, "time": "1800"}}]);
        for (hours, details) in [
            (json!([{"foo": 1}]), "open_hours[0].open: missing field"),
            (json!([good[0].clone(), "x"]), "open_hours[1]: expected an object"),
            (json!([{"open": {"day": "1", "time": "0800"}, "close": {"day": 1, "time": "1800"}}]),
             "open_hours[0].open.day: expected an integer 0–6 (Sunday = 0)"),
            (json!([{"open": {"day": 1, "time": 800}, "close": {"day": 1, "time": "1800"}}]),
             "open_hours[0].open.time: expected a string \"HHMM\" (0000–2400)"),
        ] {
            let r = app.post("/General/Stores", &token, json!({"name": "Filiale", "open_hours": hours.clone()})).await;
            assert_eq!(r.assert_error(400, 4001)["error_details"], details);
            let r = app.put(&format!("/General/Stores/{STORE}"), &token, json!({"open_hours": hours})).await;
            assert_eq!(r.assert_error(400, 4001)["error_details"], details);
        }
        let s = app.post("/General/Stores", &token, json!({"name": "Filiale", "open_hours": good.clone()})).await;
        assert_eq!(s.ok()["open_hours"], good);
    }

    async fn empty_count_or_offset_is_400_4001(app: TestApp) {
        for q in ["count=", "offset=", "count=&offset=0"] {
            app.get(&format!("/Loyalty/MerchantCards?{q}"), PINNED).await.assert_error(400, 4001);
        }
    }

    async fn a_device_registration_uuid_longer_than_255_characters_is_refused(app: TestApp) {
        let long = "u".repeat(256);
        let r = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
                                          "client_secret": VENDOR_CLIENT.1, "uuid": long})).await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
        assert_eq!(r.body["error"], "invalid_request");
        let ok = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
                                           "client_secret": VENDOR_CLIENT.1, "uuid": "u".repeat(255)})).await;
        assert!(ok.ok()["device_code"].is_string());
    }
}

/// Percent-encodes a query value.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
