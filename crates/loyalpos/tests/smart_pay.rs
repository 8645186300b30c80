//! Paying with the card: examples.md V2–V6 and V10.
mod common;
use common::*;
use serde_json::{Value, json};

fn receipt(parts: Vec<Vec<Value>>) -> Value {
    Value::Array(parts.into_iter().flatten().collect())
}

on_both_backends! {
    async fn missing_sum_zero_pays_everything_with_start_loyalty(app: TestApp) {
        app.start(SEED_STX, "loyalty").await.assert_error(409, 4101);
        let pre = app.pre(SEED_STX).await;
        assert_eq!(pre.ok(), &json!({"missing_sum": 0, "bonus_products": []}));
        let s = app.stx(SEED_STX).await;
        assert_eq!(s["status"], "processing");
        assert_eq!(s["basket_info"], json!({"sum": 796, "gratuity": null, "currency": "EUR", "missing_sum": 0}));
        assert_eq!(app.balances(MCD_A).await, (1000, 0, 1000));
        let r = app.start(SEED_STX, "loyalty").await;
        let b = r.ok().clone();
        assert_eq!((b["status"].as_str(), b["payment_method"].as_str(), b["trans_id"].as_str()), (Some("ok"), Some("loyalty"), Some("29187330")));
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_A, "29187330"),
            vec![SP(), TL("Zahlung über:"), TLI("7,96 EUR"), SP(), TL("Umsatz erfasst:"), TLI("7,96 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("2,04 EUR")]]));
        assert_eq!(app.balances(MCD_A).await, (204, 0, 204));
        let ltx = app.ltx_of(&b).await;
        assert_eq!(bookings(&ltx), vec![("cash_spent".into(), -796)]);
        assert_eq!((ltx["amount"].as_i64(), ltx["balance"].as_i64(), ltx["revenue"].as_i64()), (Some(-796), Some(204), Some(796)));
        let card = app.get(&format!("/Loyalty/MerchantCards/{MCD_A}"), PINNED).await;
        assert_eq!(card.ok()["last_charge"], "2020-09-24T14:40:57+02:00");
        assert_ne!(card.body["last_usage"], "2020-09-24T14:40:57+02:00");
    }

    async fn discharge_five_euro_then_missing_sum_296_paid_in_cash(app: TestApp) {
        let too_much = app.create_stx(card_body(CARD_A, one_line("4260447149533", "Entladung 15,00 €", 1500, 0), 1500)).await;
        app.start(&too_much, "loyalty").await.assert_error(400, 4203);
        assert_eq!(app.stx(&too_much).await["status"], "created");

        let s3 = app.create_stx(card_body(CARD_A, one_line("4260447149533", "Entladung 5,00 €", 500, 0), 500)).await;
        let created = app.stx(&s3).await;
        assert_eq!(created["device_source"]["id"], CASH_REGISTER);
        assert_eq!(created["store"]["id"], STORE);
        let r = app.start(&s3, "loyalty").await;
        let b = r.ok().clone();
        // the refused discharge used no TA code
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_A, "29187330"),
            vec![SP(), TL("Zahlung über:"), TLI("5,00 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("5,00 EUR")]]));
        let ltx = app.ltx_of(&b).await;
        assert_eq!((ltx["description"].as_str(), ltx["revenue"].as_i64()), (Some("Entladung"), Some(0)));
        assert_eq!(bookings(&ltx), vec![("discharge".into(), -500)]);
        assert_eq!(app.balances(MCD_A).await, (500, 0, 500));

        // V4: the docs' Getting-Started card holding 500
        let pre = app.pre(SEED_STX).await;
        assert_eq!(pre.ok(), &json!({"missing_sum": 296, "bonus_products": []}));
        let r = app.post(&format!("/Smart/Transactions/{SEED_STX}/start/cash"), PINNED, json!({})).await;
        let b = r.ok().clone();
        assert_eq!((b["trans_id"].as_str(), b["transactions"][0]["id"].as_str()), (Some("29187331"), Some("LTX_YBYPUETZ2HQXURG9XU0M5H4KGWW0NH")));
        assert_eq!(b["basket_info"]["missing_sum"], 296);
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_A, "29187331"),
            vec![SP(), TL("Zahlung über:"), TLI("5,00 EUR"), SP(), TL("Umsatz erfasst:"), TLI("7,96 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("0,00 EUR")]]));
        assert_eq!(app.balances(MCD_A).await, (0, 0, 0));
    }

    async fn spend_bonus_71_splits_by_vat_and_leaves_725_to_pay(app: TestApp) {
        let pre = app.pre(BONUS71_STX).await;
        assert_eq!(pre.ok(), &json!({"missing_sum": 725, "bonus_products": [
            {"id": 4, "articleNumber": "111111117", "ean": "111111117", "quantity": 1, "priceOne": -53, "tax": 7, "desc": "Bonus Steuer 7", "serialNumber": null},
            {"id": 5, "articleNumber": "1111111119", "ean": "1111111119", "quantity": 1, "priceOne": -18, "tax": 19, "desc": "Bonus Steuer 19", "serialNumber": null}]}));
        let s = app.stx(BONUS71_STX).await;
        assert_eq!(s["basket"]["products"][3], json!({"id":4,"parent":null,"articleNumber":"111111117","ean":"111111117","desc":"Bonus Steuer 7","quantity":1,"priceOne":-53,"tax":7,"group":[],"serialNumber":null,"item_type":"article","reference_id":null,"contract_id":null,"sum":null,"sub_basket":null,"plan_id":null,"start_at":null}));
        assert_eq!(s["basket"]["products"][4]["priceOne"], -18);
        assert_eq!(s["basket_info"], json!({"sum": 725, "gratuity": null, "currency": "EUR", "missing_sum": 725}));
        assert_eq!(app.balances(MCD_D).await, (0, 71, 71));
        let b = app.start(BONUS71_STX, "cash").await.ok().clone();
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_D, "29187330"),
            vec![SP(), TL("Zahlung über:"), TLI("0,71 EUR"), SP(), TL("Umsatz erfasst:"), TLI("7,25 EUR"), SP(), TL("Bonus:"), TLI("0,73 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("0,73 EUR")]]));
        assert_eq!(app.balances(MCD_D).await, (0, 73, 73));
        let ltx = app.ltx_of(&b).await;
        assert_eq!(bookings(&ltx), vec![("bonus_spent".into(), -71), ("bonus_collected".into(), 73)]);
        assert_eq!((ltx["amount"].as_i64(), ltx["balance"].as_i64(), ltx["revenue"].as_i64()), (Some(2), Some(73), Some(725)));
    }

    async fn spend_bonus_20_and_cash_200_leaves_576_and_prints_2_20_paid(app: TestApp) {
        let pre = app.pre(BONUS20_STX).await;
        let p = pre.ok();
        assert_eq!(p["missing_sum"], 576);
        assert_eq!((p["bonus_products"][0]["priceOne"].as_i64(), p["bonus_products"][1]["priceOne"].as_i64()), (Some(-15), Some(-5)));
        assert_eq!(app.stx(BONUS20_STX).await["basket_info"], json!({"sum": 776, "gratuity": null, "currency": "EUR", "missing_sum": 576}));
        let b = app.start(BONUS20_STX, "cash").await.ok().clone();
        assert_eq!(b["receipt"], receipt(vec![head("Kundenkarte", CARD_C, "29187330"),
            vec![SP(), TL("Zahlung über:"), TLI("2,20 EUR"), SP(), TL("Umsatz erfasst:"), TLI("7,76 EUR"), SP(), TL("Bonus:"), TLI("0,78 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("0,78 EUR")]]));
        assert_eq!(app.balances(MCD_C).await, (0, 78, 78));
        let ltx = app.ltx_of(&b).await;
        assert_eq!(bookings(&ltx), vec![("bonus_spent".into(), -20), ("cash_spent".into(), -200), ("bonus_collected".into(), 78)]);
        assert_eq!((ltx["amount"].as_i64(), ltx["revenue"].as_i64()), (Some(-142), Some(776)));
    }

    async fn put_after_pre_transaction_drops_the_plan_and_books_nothing_spent(app: TestApp) {
        assert_eq!(app.pre(BONUS20_STX).await.ok()["missing_sum"], 576);
        let r = app.put(&format!("/Smart/Transactions/{BONUS20_STX}"), PINNED,
            json!({"idents": [{"type": "card", "value": CARD_C}], "basket": docs_basket(), "basket_info": {"sum": 796, "currency": "EUR"}})).await;
        let b = r.ok().clone();
        assert_eq!(b["status"], "created");
        assert_eq!(b["basket"]["products"].as_array().unwrap().len(), 3);
        assert_eq!(b["basket_info"], json!({"sum": 796, "gratuity": null, "currency": "EUR"}));
        assert_eq!((b["intent"].clone(), b["is_demo"].clone()), (Value::Null, json!(false)));
        assert_eq!(b["idents"][0]["id"], "smi_1");
        assert_eq!(b["device_source"]["id"], "SDV_WPX6NU09Q2NDF0KJD3H584EXJR3XA2", "not editable, kept");
        assert_eq!(app.balances(MCD_C).await, (200, 20, 220));
        let done = app.start(BONUS20_STX, "cash").await.ok().clone();
        assert_eq!(done["receipt"], receipt(vec![head("Kundenkarte", CARD_C, "29187330"),
            vec![SP(), TL("Umsatz erfasst:"), TLI("7,96 EUR"), SP(), TL("Bonus:"), TLI("0,80 EUR"), SP(), TL("Aktuelles Guthaben"), TLI("3,00 EUR")]]));
        assert_eq!(app.balances(MCD_C).await, (200, 100, 300));
        app.put(&format!("/Smart/Transactions/{BONUS20_STX}"), PINNED, card_body(CARD_C, docs_basket(), 796)).await.assert_error(409, 4101);
    }

    async fn pre_transaction_again_after_put_gives_the_first_plan_back(app: TestApp) {
        let first = app.pre(BONUS20_STX).await.ok().clone();
        app.put(&format!("/Smart/Transactions/{BONUS20_STX}"), PINNED, card_body(CARD_C, docs_basket(), 796)).await.ok();
        assert_eq!(app.pre(BONUS20_STX).await.ok(), &first);
        app.start(BONUS20_STX, "cash").await.ok();
        assert_eq!(app.balances(MCD_C).await, (0, 78, 78));
    }
}
