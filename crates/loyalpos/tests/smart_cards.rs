//! Locked, unknown and new cards in the checkout flow: examples.md V11, V12, V17.
mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

on_both_backends! {
    async fn a_locked_card_is_valid_but_cannot_pay_until_unlocked(app: TestApp) {
        let s11 = app.create_stx(card_body(CARD_E, docs_basket(), 796)).await;
        let s = app.stx(&s11).await;
        assert_eq!(s["idents"][0]["valid"], true);
        assert_eq!(s["idents"][0]["merchantcard"]["lock_status"], "locked");
        assert_eq!(s["idents"][0]["merchantcard"]["cash_balance"], 500);
        let r = app.pre(&s11).await;
        let b = r.assert_error(400, 4202);
        assert_eq!(b["error"], "ProductLoyaltyException");
        assert_eq!(b["error_user"], "Die Karte ist gesperrt (Code 4202)");
        assert_eq!(app.stx(&s11).await["status"], "created");
        app.start(&s11, "cash").await.assert_error(400, 4202);
        let unlocked = app.post(&format!("/Loyalty/MerchantCards/{MCD_E}/unlock"), PINNED, json!({"reason": 1, "note": "wiedergefunden"})).await;
        assert_eq!(unlocked.ok()["lock_status"], "unlocked");
        assert_eq!(app.pre(&s11).await.ok(), &json!({"missing_sum": 296, "bonus_products": []}));
        let done = app.start(&s11, "cash").await.ok().clone();
        assert_eq!(done["trans_id"], "29187330");
        assert_eq!(done["receipt"][5], TLI("5,00 EUR"));
        assert_eq!(done["receipt"][8], TLI("7,96 EUR"));
        assert_eq!(done["receipt"][11], TLI("0,00 EUR"));
        assert_eq!(app.balances(MCD_E).await, (0, 0, 0));
    }

    async fn an_unknown_card_is_accepted_at_create_and_refused_at_payment(app: TestApp) {
        let s12 = app.create_stx(card_body("9276001234567890", docs_basket(), 796)).await;
        assert_eq!(app.stx(&s12).await["idents"][0], json!({"object":"smart.idents","id":"smi_1","prefix":"9276","name":"secucard Kundenkarte","type":"card","value":"9276001234567890","valid":false,"merchantcard":null,"customer":null}));
        app.pre(&s12).await.assert_error(400, 4201);
        app.start(&s12, "cash").await.assert_error(400, 4201);
        app.start(&s12, "cashless").await.assert_error(400, 4201);
        app.start(&s12, "loyalty").await.assert_error(409, 4101);
        assert_eq!(app.stx(&s12).await["status"], "created");
        let r = app.put(&format!("/Smart/Transactions/{s12}"), PINNED, json!({"basket": docs_basket(), "basket_info": {"sum": 796}})).await;
        assert_eq!(r.ok()["idents"], json!([]));
        let done = app.start(&s12, "cash").await.ok().clone();
        assert_eq!((done["status"].as_str(), done["transactions"].clone(), done["receipt"].clone(), done["trans_id"].clone()),
            (Some("ok"), json!([]), json!([]), serde_json::Value::Null));
        // no TA code was used by any of the refusals
        let first = app.start(SEED_STX, "cash").await.ok().clone();
        assert_eq!(first["trans_id"], "29187330");
    }

    async fn create_refuses_bad_card_numbers_sums_types_and_idents(app: TestApp) {
        let bad = |v: serde_json::Value| app.post("/Smart/Transactions", PINNED, v);
        bad(card_body("12345", docs_basket(), 796)).await.assert_error(400, 4003);
        bad(card_body(CARD_A, docs_basket(), 795)).await.assert_error(400, 4002);
        bad(json!({"idents": [{"type": "create_card", "value": "CRG_x"}]})).await.assert_error(400, 4003);
        bad(json!({"idents": [{"type": "magic", "value": "x"}]})).await.assert_error(400, 4001);
        bad(json!({"idents": [{"type": "card", "value": CARD_A}, {"type": "card", "value": CARD_B}]})).await.assert_error(400, 4001);
        bad(json!({"basket": docs_basket()})).await.assert_error(400, 4001);
        bad(json!({"basket": {"products": [{"id": 1, "desc": "x", "quantity": 1, "priceOne": 1.5, "tax": 7}]}, "basket_info": {"sum": 2}})).await.assert_error(400, 4001);
        bad(json!({"basket": {"products": [{"id": 1, "desc": "x", "quantity": 1, "priceOne": -5, "tax": 7}]}, "basket_info": {"sum": -5}})).await.assert_error(400, 4002);
        bad(json!({"basket": {"products": [{"id": 1, "desc": "x", "quantity": 1, "priceOne": 9007199254740992_i64, "tax": 7}]}, "basket_info": {"sum": 9007199254740992_i64}})).await.assert_error(400, 4001);
        bad(json!({"intent": "rent"})).await.assert_error(400, 4001);
        bad(card_body(CARD_A, docs_basket(), 796).as_object().unwrap().clone().into_iter()
            .chain([("basket_info".to_string(), json!({"sum": 796, "currency": "USD"}))]).collect()).await.assert_error(400, 4002);
        bad(json!({"contract": {"id": "GCR_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}})).await.assert_error(404, 3001);
        let list = app.get("/Smart/Transactions?count=1000", PINNED).await;
        assert_eq!(list.ok()["count"], 4, "nothing was created by the refusals");
        // an empty basket with sum 0 is valid; tax in hundredths and articleNumber strings are echoed
        let r = bad(json!({"basket": {"products": [{"id": 7, "articleNumber": "A-1", "desc": "x", "quantity": 2, "priceOne": 50, "tax": 1900}]}, "basket_info": {"sum": 100}})).await;
        let line = &r.ok()["basket"]["products"][0];
        assert_eq!((line["tax"].as_i64(), line["articleNumber"].as_str(), line["ean"].as_str(), line["item_type"].as_str()), (Some(1900), Some("A-1"), Some(""), Some("article")));
        assert_eq!(line["sub_basket"], serde_json::Value::Null);
        bad(json!({})).await.ok();
    }

    async fn a_card_is_created_on_the_fly_at_start(app: TestApp) {
        let body = json!({"idents": [{"type": "create_card", "value": "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK"}],
            "basket": {"products": [{"id": 1, "desc": "Dining service", "quantity": 1, "priceOne": 5900, "tax": 19}]},
            "basket_info": {"sum": 5900, "currency": "EUR"}, "customer": {"id": "PCU_3ZSETWCS62X06V7FT64RS8W3KU9EAZ"}});
        let id = app.create_stx(body.clone()).await;
        let s = app.stx(&id).await;
        assert_eq!(s["idents"][0], json!({"object":"smart.idents","id":"smi_1","prefix":null,"name":"secucard Kundenkarte","type":"create_card","value":"CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK","valid":true,"merchantcard":null,"customer":null}));
        let done = app.start(&id, "cash").await.ok().clone();
        let mc = &done["idents"][0]["merchantcard"];
        let number = mc["card"]["cardnumber"].as_str().unwrap();
        assert!(number.len() == 16 && number.starts_with("9276"), "{number}");
        assert_eq!(done["idents"][0]["prefix"], "9276");
        assert_eq!(mc["cardgroup"]["display_name"], "Bonus 10 %");
        assert_eq!((mc["cash_balance"].as_i64(), mc["bonus_balance"].as_i64(), mc["balance"].as_i64()), (Some(0), Some(590), Some(590)));
        assert_eq!(done["receipt"][1], NV("Kartennummer: ", number));
        assert_eq!(done["receipt"][5], TLI("59,00 EUR"));
        assert_eq!(done["receipt"][8], TLI("5,90 EUR"));
        assert_eq!(done["trans_id"], "29187330");

        let mut punkte = body;
        punkte["idents"][0]["value"] = json!("CRG_2BESGJNETJJRZVVYS8R7JWGVWK4PRZ");
        let id = app.create_stx(punkte).await;
        assert_eq!(app.stx(&id).await["idents"][0]["valid"], false);
        app.start(&id, "cash").await.assert_error(400, 4201);
    }

    async fn unknown_start_methods_and_peripheral_routes_answer_as_specified(app: TestApp) {
        app.start(SEED_STX, "debit").await.assert_error(400, 4001);
        app.start("STX_abc", "cash").await.assert_error(400, 4003);
        app.start("STX_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "cash").await.assert_error(404, 3001);
        app.send(Method::POST, &format!("/Smart/Transactions/{SEED_STX}/prepare/creditcard"), Some(PINNED), None).await.assert_error(400, 4001);
        app.send(Method::POST, "/Smart/Transactions/SUB_1/updatePaymentContainer", Some(PINNED), None).await.assert_error(404, 3001);
        // start/ with an empty method is start/cash
        let r = app.send(Method::POST, &format!("/Smart/Transactions/{SEED_STX}/start/"), Some(PINNED), None).await;
        assert_eq!(r.ok()["payment_method"], "cash");
        let d = app.post(&format!("/Smart/Transactions/{BONUS71_STX}/setDelivery"), PINNED, json!({"delivery_options": {"tracking_code": "T1"}})).await;
        assert_eq!(d.ok()["delivery_options"], json!({"tracking_code": "T1", "type": "shipping"}));
        assert_eq!(d.body["status"], "created");
        let a = app.send(Method::POST, &format!("/Smart/Transactions/{BONUS71_STX}/abort"), Some(PINNED), None).await;
        assert_eq!(a.ok()["status"], "cancelled");
        app.send(Method::POST, &format!("/Smart/Transactions/{SEED_STX}/abort"), Some(PINNED), None).await.assert_error(409, 4101);
        app.post(&format!("/Smart/Transactions/{BONUS71_STX}/setDelivery"), PINNED, json!({"delivery_options": {}})).await.assert_error(409, 4101);
        let diag = app.send(Method::POST, &format!("/Smart/Transactions/{CASH_REGISTER}/diagnosis"), Some(PINNED), None).await;
        let diag = diag.ok();
        assert_eq!((diag["status"].as_str(), diag["payment_method"].clone()), (Some("ok"), serde_json::Value::Null));
        assert_eq!(diag["receipt"], json!([SEP("Diagnose"), NV("Terminal-ID: ", "VT000124"), TL("Diagnose erfolgreich")]));
        app.send(Method::POST, "/Smart/Transactions/SDV_DEMOINGENICO17275WL26695664000/diagnosis", Some(PINNED), None).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        app.send(Method::POST, "/Smart/Transactions/SDV_DEMOINGENICO17275WL26695664000/diagnosis", Some(&token), None).await.ok();
    }
}

// A start reads its card in the round trip that locks the transaction, through the transaction's
// `cardnumber` column; the document's card ident decides which card books.
on_both_backends! {
    async fn a_put_that_names_another_card_books_on_that_card(app: TestApp) {
        let id = app.create_stx(card_body(CARD_A, docs_basket(), 796)).await;
        app.put(&format!("/Smart/Transactions/{id}"), PINNED, card_body(CARD_B, docs_basket(), 796)).await.ok();
        app.pre(&id).await.ok();
        assert_eq!(app.stx(&id).await["idents"][0]["merchantcard"]["id"], MCD_B);
        let done = app.start(&id, "cash").await.ok().clone();
        assert_eq!(booked_card(&app, &done).await, MCD_B);
        assert_eq!(done["receipt"][1], NV("Kartennummer: ", CARD_B));
    }

    async fn a_start_books_on_the_card_its_document_names_whatever_the_column_says(app: TestApp) {
        // A row written before the column (NULL), and a column that names another card: both
        // book on the document's card.
        for column in ["NULL", &format!("'{CARD_B}'")] {
            let id = app.create_stx(card_body(CARD_A, docs_basket(), 796)).await;
            raw_sql(&app.db.url, &format!("UPDATE smart_transactions SET cardnumber = {column} WHERE id = '{id}'")).await;
            let done = app.start(&id, "cash").await.ok().clone();
            assert_eq!(booked_card(&app, &done).await, MCD_A, "{column}");
            assert_eq!(done["receipt"][1], NV("Kartennummer: ", CARD_A), "{column}");
        }
    }
}

/// The merchant card of the loyalty transaction a start booked.
async fn booked_card(app: &TestApp, started: &serde_json::Value) -> String {
    let ltx = started["transactions"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no booking: {started}"));
    let booked = app
        .get(&format!("/Loyalty/Transactions/{ltx}"), PINNED)
        .await;
    booked.ok()["merchantcard"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
