//! The Smart lists (api.md §5, §8.5): Smart/Transactions and Smart/Devices keep the list contract;
//! status, time, TA code and merchantRef/transactionRef lookups answer the same whether SQL or
//! memory evaluates them.

mod common;
mod lists_support;

use common::*;
use lists_support::*;
use serde_json::{Value, json};

const STX: &str = "/Smart/Transactions";

/// A cash sale without a card, with these references; started when `start`.
async fn sale(
    app: &TestApp,
    merchant_ref: &str,
    transaction_ref: &str,
    sum: i64,
    start: bool,
) -> String {
    let body = json!({"merchantRef": merchant_ref, "transactionRef": transaction_ref,
        "basket": one_line("", "Brot", sum, 7), "basket_info": {"sum": sum, "currency": "EUR"}});
    let id = app.create_stx(body).await;
    if start {
        assert_eq!(app.start(&id, "cash").await.ok()["status"], "ok");
    }
    id
}

/// The ids of `items` that satisfy `keep`, in order.
fn ids_where(items: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    items["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| keep(i))
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn smart_transactions_keep_the_list_contract(app: TestApp) {
        sale(&app, "abc-1", "testnr", 349, true).await;
        sale(&app, "ABC-2", "T-2", 1000, false).await;
        check_list_contract(&app, &Route { path: STX, token: PINNED, nested: Some(("merchant.id", MERCHANT)), created: true }).await;
    }

    async fn a_put_that_changes_the_references_is_found_by_the_new_ones_only_and_a_start_keeps_them(app: TestApp) {
        let id = sale(&app, "old-ref", "old-trx", 349, false).await;
        let body = json!({"merchantRef": "new-ref", "transactionRef": "new-trx",
            "basket": one_line("", "Brot", 349, 7), "basket_info": {"sum": 349, "currency": "EUR"}});
        app.put(&format!("{STX}/{id}"), PINNED, body).await.ok();
        assert_eq!(app.start(&id, "cash").await.ok()["status"], "ok");
        for q in ["merchantRef:NEW-REF", "transactionRef:new-trx"] {
            assert_eq!(ids(&same_both_ways(&app, STX, PINNED, q).await), std::slice::from_ref(&id), "{q}");
        }
        for q in ["merchantRef:old-ref", "transactionRef:old-trx"] {
            assert!(ids(&same_both_ways(&app, STX, PINNED, q).await).is_empty(), "{q}");
        }
    }

    async fn the_issues_smart_transaction_queries_answer_the_same_on_both_paths(app: TestApp) {
        let a = sale(&app, "abc-1", "testnr", 349, true).await;
        let b = sale(&app, "ABC-2", "T-2", 1000, true).await;
        let c = sale(&app, "xyz", "T-3", 500, false).await;
        let all = list(&app, STX, PINNED, "count=1000").await;
        assert_eq!(count(&all), 7);
        let year = app.stx(&a).await["created"].as_str().unwrap()[..4].to_owned();

        // This year's range (not a fixed year: that range would be empty, and the check vacuous, later).
        let in_year = same_both_ways(&app, STX, PINNED, &format!("status:ok AND created:[{year}-01-01 TO {year}-12-31]")).await;
        assert_eq!(ids(&in_year), ids_where(&all, |i| i["status"] == "ok" && i["created"].as_str().unwrap().starts_with(&year)));
        assert!(ids(&in_year).contains(&a) && ids(&in_year).contains(&b), "{in_year}");
        selects(&app, STX, PINNED, &format!("status:ok AND created:[{year}-01-01 TO {year}-12-31]"), &[&b, &a]).await;
        selects(&app, STX, PINNED, "status:created", &[&c, WHCJ, BONUS71_STX, SEED_STX]).await;
        selects(&app, STX, PINNED, "status:ok AND created:[* TO 2021-12-31]", &["STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ"]).await;

        let mixed = same_both_ways(&app, STX, PINNED, "(NOT merchantRef:abc*) OR basket_info.sum:[100 TO 900]").await;
        let want = ids_where(&all, |i| {
            let abc = i["merchantRef"].as_str().is_some_and(|r| r.to_lowercase().starts_with("abc"));
            let sum = i["basket_info"]["sum"].as_i64().unwrap();
            !abc || (100..=900).contains(&sum)
        });
        assert_eq!(ids(&mixed), want);
        assert!(ids(&mixed).contains(&a) && !ids(&mixed).contains(&b) && ids(&mixed).contains(&c));

        selects(&app, STX, PINNED, "testnr", &[&a]).await;
        selects(&app, STX, PINNED, "merchantRef:ABC-1", &[&a]).await;
        selects(&app, STX, PINNED, "merchantRef:\"abc-2\"", &[&b]).await;
        selects(&app, STX, PINNED, "merchantRef:abc*", &[&b, &a]).await;
        selects(&app, STX, PINNED, "merchantRef:ab?-*", &[&b, &a]).await;
        selects(&app, STX, PINNED, "transactionRef:t-2 OR transactionRef:T-3", &[&c, &b]).await;
        selects(&app, STX, PINNED, "!merchantRef:*", &[WHCJ, BONUS71_STX, "STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ", SEED_STX]).await;
        selects(&app, STX, PINNED, &format!("device_source.id:{CASH_REGISTER} AND status:ok"), &[&b, &a, "STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ"]).await;
        selects(&app, STX, PINNED, &format!("id:{} OR id:{}", a.to_lowercase(), c), &[&c, &a]).await;
        selects(&app, STX, PINNED, &format!("idents.value:{CARD_A}"), &[SEED_STX]).await;

        let newest = list(&app, STX, PINNED, "sort=created:desc&fields=id,status&count=2").await;
        let first_two: Vec<Value> = all["data"].as_array().unwrap()[..2].iter()
            .map(|i| json!({"object": "smart.transactions", "id": i["id"], "status": i["status"]})).collect();
        assert_eq!(newest, json!({"count": 7, "data": first_two}));
        let paged = list(&app, STX, PINNED, "fields=id,status&count=2").await;
        assert_eq!(paged, newest);
    }

    async fn a_card_sale_is_found_by_its_ta_code_on_both_paths(app: TestApp) {
        // A sale without a card has no TA code (`trans_id: null`): only a card sale can be looked up.
        let body = json!({"merchantRef": "card-1", "transactionRef": "T-9",
            "idents": [{"type": "card", "value": CARD_B}],
            "basket": one_line("", "Brot", 349, 7), "basket_info": {"sum": 349, "currency": "EUR"}});
        let with_card = app.create_stx(body).await;
        assert_eq!(app.start(&with_card, "cash").await.ok()["status"], "ok");
        let other = sale(&app, "cash-1", "T-10", 500, true).await;
        let ta = app.stx(&with_card).await["trans_id"].as_str().expect("a card sale has a TA code").to_owned();
        assert!(app.stx(&other).await["trans_id"].is_null());
        selects(&app, STX, PINNED, &format!("trans_id:{ta}"), &[&with_card]).await;
        selects(&app, STX, PINNED, &format!("trans_id:\"{ta}\""), &[&with_card]).await;
        selects(&app, STX, PINNED, &format!("trans_id:{ta} OR merchantRef:cash-1"), &[&other, &with_card]).await;
        selects(&app, STX, PINNED, "trans_id:1", &[]).await;
    }

    async fn refs_compare_case_insensitively_in_unicode_on_both_paths(app: TestApp) {
        let kelvin = sale(&app, "\u{212A}asse-7", "x", 100, false).await;
        let turkish = sale(&app, "\u{130}stanbul", "y", 100, false).await;
        let ascii = sale(&app, "kasse-8", "z", 100, false).await;
        selects(&app, STX, PINNED, "merchantRef:kasse-7", &[&kelvin]).await;
        selects(&app, STX, PINNED, "merchantRef:KASSE-7", &[&kelvin]).await;
        selects(&app, STX, PINNED, "merchantRef:kasse*", &[&ascii, &kelvin]).await;
        selects(&app, STX, PINNED, "merchantRef:i*", &[&turkish]).await;
        selects(&app, STX, PINNED, "merchantRef:\u{130}stanbul", &[&turkish]).await;
        selects(&app, STX, PINNED, "merchantRef:\u{131}stanbul", &[]).await;
    }

    async fn smart_devices_keep_the_list_contract(app: TestApp) {
        let token = app.merchant_token().await;
        let made = app.post("/Smart/Devices", &token, json!({"type": "cashier", "description": "Kasse 2", "vendor_uid": "/vendor/acme/cashier/2"})).await;
        let kasse = made.ok()["id"].as_str().unwrap().to_owned();
        check_list_contract(&app, &Route { path: "/Smart/Devices", token: PINNED, nested: Some(("merchant.id", MERCHANT)), created: true }).await;
        selects(&app, "/Smart/Devices", PINNED, "\"kasse 2\"", &[&kasse]).await;
        assert_eq!(count(&same_both_ways(&app, "/Smart/Devices", PINNED, "kasse").await), 1);
        assert_eq!(count(&same_both_ways(&app, "/Smart/Devices", PINNED, "type:zvt OR type:shopmodule").await), 2);
        assert_eq!(count(&same_both_ways(&app, "/Smart/Devices", PINNED, &format!("id:{CASH_REGISTER}")).await), 1);
    }
}

const WHCJ: &str = BONUS20_STX;
