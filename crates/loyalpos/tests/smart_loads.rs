//! Loading, mixed baskets and cancellation: examples.md V7–V9.
mod common;
use common::*;
use serde_json::{Value, json};

fn receipt(parts: Vec<Vec<Value>>) -> Value {
    Value::Array(parts.into_iter().flatten().collect())
}

fn load_body(card: &str, amount: i64) -> Value {
    json!({"idents": [{"type": "card", "value": card}],
           "basket": {"products": [{"id": 1, "ean": "4260447149502", "articleNumber": null, "desc": "Kartenaufladung", "quantity": 1, "priceOne": amount, "tax": 7}]},
           "basket_info": {"sum": amount, "currency": "EUR"}})
}

/// V9's e-commerce body, annotations included, sent verbatim.
const V9_BODY: &str = r#"{"is_demo": true, "contract": {"id": "GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF"},
 "device_source": {"id": "SDV_WPX6NU09Q2NDF0KJD3H584EXJR3XA2"}, "customer": {"id": "PCU_H8ZQSFS9G2X07TF5JF89V55H645UA2"},
 "intent": "sale", "idents": [{"type": "card", "value": "9276004424644352"}],
 "basket": {"products": [
   {"id": 1, "articleNumber": 30200, "desc": "Dining service Puslnitz, 26 pieces", "quantity": 1, "priceOne": 5900, // €59
    "tax": 19},
   {"id": 2, "ean": "4260447149502", "articleNumber": null, "desc": "Kartenaufladung 20 EUR", "quantity": 1, "priceOne": 2000, // €20
    "tax": 0}]},
 "basket_info": {"sum": 7900, // €79
   "currency": "EUR"}}"#;

async fn create_v9(app: &TestApp) -> String {
    let resp = app
        .http
        .post(app.url("/Smart/Transactions"))
        .bearer_auth(PINNED)
        .body(V9_BODY)
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    r.ok()["id"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn loading_fifteen_euro_prints_the_load_receipt_and_sets_last_charge(app: TestApp) {
        let s7 = app.create_stx(load_body(CARD_A, 1500)).await;
        let created = app.stx(&s7).await;
        assert_eq!(created["basket"]["products"][0]["articleNumber"], Value::Null);
        assert_eq!(created["basket"]["products"][0]["ean"], "4260447149502");
        assert_eq!(app.pre(&s7).await.ok()["missing_sum"], 1500, "balance never buys balance");
        app.put(&format!("/Smart/Transactions/{s7}"), PINNED, load_body(CARD_A, 1500)).await.ok();
        let b = app.start(&s7, "cash").await.ok().clone();
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte Aufladung", CARD_A, "29187330"),
            vec![SP(), TL("Folgender Betrag"), TL("wurde aufgeladen:"), TLI("15,00 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("25,00 EUR")]]));
        assert_eq!(app.balances(MCD_A).await, (2500, 0, 2500));
        let ltx = app.ltx_of(&b).await;
        assert_eq!((ltx["description"].as_str(), ltx["amount"].as_i64(), ltx["revenue"].as_i64()), (Some("Aufladung"), Some(1500), Some(0)));
        let card = app.get(&format!("/Loyalty/MerchantCards/{MCD_A}"), PINNED).await;
        assert_eq!(card.ok()["last_charge"], card.body["last_usage"]);

        // V8a: cancel the load, the card's last transaction
        let c = app.cancel(&s7).await.ok().clone();
        assert_eq!(c["status"], "cancelled");
        assert_eq!(c["transactions"].as_array().unwrap().len(), 2);
        assert_eq!(c["receipt"], receipt(vec![vec![STORNO()], head("Kundenkarte Aufladung", CARD_A, "29187331"),
            vec![SP(), TL("Folgender Betrag"), TL("wurde aufgeladen:"), TLI("-15,00 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("10,00 EUR")]]));
        let y = app.ltx(c["transactions"][1]["id"].as_str().unwrap()).await;
        assert_eq!((y["trans_id"].as_i64(), y["is_cancelling"].as_i64(), y["description"].as_str()), (Some(29187331), Some(1), Some("Storno")));
        assert_eq!(bookings(&y), vec![("charge".into(), -1500)]);
        assert_eq!(y["parents"], json!([{"object": "loyalty.transactions", "id": ltx["id"], "trans_id": 29187330, "ref_type_id": null, "relation_type": "cancellation"}]));
        let x = app.ltx(ltx["id"].as_str().unwrap()).await;
        assert_eq!(x["status"], "cancelled");
        assert_eq!(x["children"][0]["trans_id"], 29187331);
        assert_eq!(x["receipt"], ltx["receipt"], "the original keeps its receipt");
        assert_eq!(app.balances(MCD_A).await, (1000, 0, 1000));
        assert_eq!(app.cancel(&s7).await.ok(), &c, "cancelling again changes nothing");
        app.start(&s7, "cash").await.assert_error(409, 4101);
    }

    async fn only_the_cards_latest_transaction_can_be_cancelled_without_cancel_selected(app: TestApp) {
        let s7 = app.create_stx(load_body(CARD_A, 1500)).await;
        app.start(&s7, "cash").await.ok();
        let seed = app.start(SEED_STX, "cash").await.ok().clone();
        assert_eq!(seed["receipt"][8], TLI("25,00 EUR"));
        app.cancel(&s7).await.assert_error(400, 4205);
        assert_eq!(app.balances(MCD_A).await, (2500, 0, 2500));
        let c = app.cancel(SEED_STX).await.ok().clone();
        assert_eq!(c["receipt"], receipt(vec![vec![STORNO()], head("Kundenkarte", CARD_A, "29187332"),
            vec![SP(), TL("Umsatz erfasst:"), TLI("-7,96 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("25,00 EUR")]]));
        let y = app.ltx(c["transactions"][1]["id"].as_str().unwrap()).await;
        assert_eq!((y["amount"].as_i64(), y["revenue"].as_i64(), y["bookings"].clone()), (Some(0), Some(-796), json!([])));
        let c7 = app.cancel(&s7).await.ok().clone();
        assert_eq!(c7["receipt"][3], NV("TA Code: ", "29187333"));
        assert_eq!(app.balances(MCD_A).await, (1000, 0, 1000));
    }

    async fn a_reversal_that_would_overdraw_is_refused_even_with_cancel_selected(app: TestApp) {
        let sl = app.create_stx(load_body(CARD_B, 1000)).await;
        app.start(&sl, "cash").await.ok();
        assert_eq!(app.balances(MCD_B).await, (1300, 52, 1352));
        let sd = app.create_stx(card_body(CARD_B, one_line("4260447149533", "Entladung", 1200, 0), 1200)).await;
        app.start(&sd, "loyalty").await.ok();
        assert_eq!(app.balances(MCD_B).await, (100, 52, 152));
        app.cancel(&sl).await.assert_error(400, 4205);
        assert_eq!(app.balances(MCD_B).await, (100, 52, 152));
        assert_eq!(app.cancel(&sd).await.ok()["receipt"][3], NV("TA Code: ", "29187332"));
        assert_eq!(app.balances(MCD_B).await, (1300, 52, 1352));
        app.cancel(&sl).await.ok();
        assert_eq!(app.balances(MCD_B).await, (300, 52, 352));
        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_B}"), PINNED).await;
        assert_eq!(ledger.ok()["count"], 5, "1 opening + 4 transactions");
    }

    async fn goods_and_a_load_in_one_basket_collect_bonus_on_both(app: TestApp) {
        let s9 = create_v9(&app).await;
        let s = app.stx(&s9).await;
        assert_eq!(s["device_source"]["id"], CASH_REGISTER, "the device token decides");
        assert_eq!(s["contract"]["id"], "GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF");
        assert_eq!(s["customer"], json!({"object": "payment.customers", "id": "PCU_H8ZQSFS9G2X07TF5JF89V55H645UA2", "created": null, "updated": null, "contract": null, "contact": null}));
        assert_eq!((s["intent"].as_str(), s["is_demo"].as_bool()), (Some("sale"), Some(true)));
        assert_eq!(s["basket"]["products"][0]["articleNumber"], "30200");
        let b = app.start(&s9, "cash").await.ok().clone();
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_C, "29187330"),
            vec![SP(), TL("Folgender Betrag"), TL("wurde aufgeladen:"), TLI("20,00 EUR"), SP(), TL("Umsatz erfasst:"), TLI("59,00 EUR"),
                 SP(), TL("Bonus:"), TLI("7,90 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("30,10 EUR")]]));
        assert_eq!(app.balances(MCD_C).await, (2200, 810, 3010));
        let ltx = app.ltx_of(&b).await;
        assert_eq!(bookings(&ltx), vec![("charge".into(), 2000), ("bonus_collected".into(), 790)]);
        assert_eq!((ltx["description"].as_str(), ltx["amount"].as_i64(), ltx["revenue"].as_i64()), (Some("Umsatz"), Some(2790), Some(5900)));
    }

    async fn mixed_basket_with_pre_transaction_splits_bonus_only_over_goods(app: TestApp) {
        let s9 = create_v9(&app).await;
        let pre = app.pre(&s9).await;
        assert_eq!(pre.ok(), &json!({"missing_sum": 7680, "bonus_products": [{"id": 3, "articleNumber": "1111111119", "ean": "1111111119", "quantity": 1, "priceOne": -20, "tax": 19, "desc": "Bonus Steuer 19", "serialNumber": null}]}));
        assert_eq!(app.stx(&s9).await["basket_info"]["sum"], 7880);
        let b = app.start(&s9, "cash").await.ok().clone();
        let r = b["receipt"].as_array().unwrap();
        let amounts: Vec<&Value> = r.iter().filter(|l| l["value"]["decoration"] == json!(["important"])).collect();
        assert_eq!(amounts, vec![&TLI("2,20 EUR"), &TLI("20,00 EUR"), &TLI("58,80 EUR"), &TLI("7,88 EUR"), &TLI("27,88 EUR")]);
        assert_eq!(app.balances(MCD_C).await, (2000, 788, 2788));
    }

    async fn a_blacklisted_load_collects_no_bonus_and_device_tokens_cannot_change_card_groups(app: TestApp) {
        let group = "/Loyalty/Cardgroups/CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
        let change = json!({"bonus": {"filter": {"mode": "blacklist", "codes": ["4260447149502"]}}});
        app.put(group, PINNED, change.clone()).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        let g = app.put(group, &token, change).await.ok().clone();
        assert_eq!((g["bonus"]["rate"].as_i64(), g["bonus"]["base"].as_str()), (Some(1000), Some("reduced")));
        assert_eq!(g["bonus"]["products"].as_array().unwrap().len(), 2);
        let s9 = create_v9(&app).await;
        let b = app.start(&s9, "cash").await.ok().clone();
        assert_eq!(b["receipt"][12], TLI("5,90 EUR"));
        assert_eq!(b["receipt"][15], TLI("28,10 EUR"));
        assert_eq!(app.balances(MCD_C).await, (2200, 610, 2810));
    }
}
