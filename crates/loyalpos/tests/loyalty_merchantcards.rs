mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use reqwest::Method;
use serde_json::{Value, json};

fn card_b_view() -> Value {
    json!({
        "object": "loyalty.merchantcards", "id": B.mcd,
        "merchant": {"object": "general.merchants", "id": MERCHANT},
        "created_for_merchant": {"object": "general.merchants", "id": MERCHANT},
        "card": {"object": "loyalty.cards", "id": B.crd, "cardnumber": B.number, "created": "2015-02-20T08:54:07+01:00"},
        "cardgroup": {"object": "loyalty.cardgroups", "id": GESCHENKGUTSCHEIN, "display_name": "Geschenkgutschein",
                      "display_name_raw": "Geschenkgutschein", "stock_warn_limit": 0, "picture": CARD_PICTURE},
        "created_for_store": {"object": "general.stores", "id": STORE},
        "customer": null, "is_base_card": false, "points": 0,
        "cash_balance": 300, "bonus_balance": 52, "balance": 352,
        "last_usage": "2019-09-12T10:52:22+02:00", "last_charge": "2018-04-27T15:47:42+02:00",
        "stock_status": "inactive", "lock_status": "unlocked", "passcode": 1,
        "expiry_date": null, "payment_container": null, "customer_assignment_date": null})
}

async fn count(app: &TestApp, query: &str) -> i64 {
    let r = app
        .get(&format!("/Loyalty/MerchantCards?{query}"), PINNED)
        .await;
    r.ok()["count"].as_i64().unwrap()
}

on_both_backends! {
    async fn the_docs_card_details_lookup_finds_card_b_in_the_exact_wire_shape(app: TestApp) {
        let r = app.get(&format!("/Loyalty/MerchantCards?q=card.cardnumber:{}", B.number), PINNED).await;
        assert_eq!(r.ok(), &json!({"count": 1, "data": [card_b_view()]}));
        assert_eq!(merchantcard(&app, B.mcd).await, card_b_view(), "GET equals the list item");
        let quoted = app.get(&format!("/Loyalty/MerchantCards?q=card.cardnumber:%22{}%22", B.number), PINNED).await;
        assert_eq!(quoted.ok()["data"][0], card_b_view());
        let typo = app.get("/Loyalty/MerchantCards?q=card.cardnumber:9276004428481653", PINNED).await;
        assert_eq!(typo.ok(), &json!({"count": 0, "data": []}));
        // card A carries the demo customer in its compact form
        let a = merchantcard(&app, A.mcd).await;
        assert_eq!(a["customer"], json!({"object": "loyalty.customers", "id": CUSTOMER,
            "contact": {"name": "Max Mustermann", "forename": "Max", "surname": "Mustermann", "dob": "2018-02-14T00:00:00+00:00"},
            "created": "2018-05-03T10:14:06+02:00", "consent_for_communication": true}));
        assert_eq!(a["customer_assignment_date"], "2018-05-03T10:14:06+02:00");
        app.get("/Loyalty/MerchantCards/MCD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/Loyalty/MerchantCards/MCD_abc", PINNED).await.assert_error(400, 4003);
    }

    async fn v18_merchant_card_queries_filter_sort_and_project(app: TestApp) {
        assert_eq!(count(&app, "q=passcode:1").await, 1);
        assert_eq!(count(&app, "q=!customer.object:loyalty.customers").await, 4);
        assert_eq!(count(&app, "q=lock_status:locked").await, 1);
        assert_eq!(count(&app, "q=bonus_balance:[50%20TO%20100]").await, 2);
        let top = app.get("/Loyalty/MerchantCards?sort=balance:desc&count=2", PINNED).await;
        assert_eq!(top.ok()["count"], 5);
        let ids: Vec<&str> = top.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [A.mcd, E.mcd]);
        let projected = app.get("/Loyalty/MerchantCards?q=card.cardnumber:92760044*&sort=card.cardnumber:asc&fields=card.cardnumber", PINNED).await;
        assert_eq!(projected.ok()["count"], 5);
        let numbers: Vec<&str> = projected.body["data"].as_array().unwrap().iter().map(|c| c["card"]["cardnumber"].as_str().unwrap()).collect();
        assert_eq!(numbers, [D.number, C.number, B.number, A.number, E.number]);
        assert_eq!(projected.body["data"][0], json!({"object": "loyalty.merchantcards", "id": D.mcd, "card": {"cardnumber": D.number}}));
        app.get("/Loyalty/MerchantCards?q=(card.cardnumber", PINNED).await.assert_error(400, 4001);
        // bare terms search id, card number and the customer's name
        assert_eq!(count(&app, &format!("q={}", B.number)).await, 1);
        assert_eq!(count(&app, "q=mustermann").await, 1);
        assert_eq!(count(&app, &format!("q={}", E.mcd)).await, 1);
    }

    async fn validate_merchantcard_answers_like_the_docs(app: TestApp) {
        let validate = |path: &'static str, body: Value| {
            let app = &app;
            async move { app.post(&format!("/Loyalty/MerchantCards/{path}/validateMerchantcard"), PINNED, body).await }
        };
        let docs = validate("MRC", json!({"cardnumber": E.number, "merchant": "MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON"})).await;
        assert_eq!(docs.text, r#"{"isValid":true,"hasPasscode":false,"isLocked":true}"#);
        assert_eq!(validate("me", json!({"cardnumber": A.number})).await.ok(), &json!({"isValid": true, "hasPasscode": false, "isLocked": false}));
        assert_eq!(validate("me", json!({"cardnumber": B.number, "merchant": "me"})).await.ok(), &json!({"isValid": true, "hasPasscode": true, "isLocked": false}));
        // V12 step 3 and the other invalid cases: exactly {"isValid": false}
        for body in [
            json!({"cardnumber": "9276001234567890"}),
            json!({"cardnumber": "12345"}),
            json!({"cardnumber": A.number, "merchant": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}),
            json!({"cardnumber": A.number, "merchant": "nonsense"}),
        ] {
            let r = validate("me", body.clone()).await;
            assert_eq!(r.text, r#"{"isValid":false}"#, "{body}");
        }
        validate("me", json!({"merchant": "me"})).await.assert_error(400, 4001);
    }

    async fn check_csc_is_true_only_for_the_printed_code(app: TestApp) {
        let check = |path: String, body: Value| {
            let app = &app;
            async move { app.post(&format!("/Loyalty/MerchantCards/{path}/checkCsc"), PINNED, body).await }
        };
        let docs = check(A.mcd.into(), json!({"cardnumber": A.number, "csc": "4471"})).await;
        assert_eq!(docs.ok(), &json!({"result": true}));
        assert_eq!(check("me".into(), json!({"cardnumber": A.number, "csc": "4471"})).await.ok(), &json!({"result": true}));
        assert_eq!(check(A.mcd.into(), json!({"csc": "4471"})).await.ok(), &json!({"result": true}));
        for (path, body) in [
            (A.mcd, json!({"cardnumber": A.number, "csc": "4472"})),
            (A.mcd, json!({"cardnumber": B.number, "csc": "4471"})),
            ("me", json!({"cardnumber": "9276001234567890", "csc": "4471"})),
            ("me", json!({"cardnumber": B.number, "csc": "4471"})),
        ] {
            assert_eq!(check(path.into(), body.clone()).await.ok(), &json!({"result": false}), "{body}");
        }
        check(A.mcd.into(), json!({"cardnumber": A.number})).await.assert_error(400, 4001);
        check("me".into(), json!({"csc": "4471"})).await.assert_error(400, 4001);
        check("me".into(), json!({"cardnumber": "92760044", "csc": "4471"})).await.assert_error(400, 4003);
        check("MCD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".into(), json!({"csc": "4471"})).await.assert_error(404, 3001);
    }

    async fn create_merchantcards_issues_cards_with_a_csc_shown_once(app: TestApp) {
        // the docs' example: alias merchant id, Geschenkgutschein, one card with a new customer
        let body = json!({"cards_amount": 1, "customer": {
            "merchant_contact": {"salutation": "Mr.", "forename": "Max", "surname": "Mustermann", "companyname": "Musterfirma GmbH",
                                 "email": "max@example.com", "dob": "1980-01-01T00:00:00+01:00"},
            "consent_for_communication": "accepted", "customernumber": "K-1", "note": "Stammkunde"}});
        let r = app.post(&format!("/Loyalty/MerchantCards/MRC_GQBZSHFLXSOLI4A4OVP7Z22RELXSJY/CreateMerchantcards/{GESCHENKGUTSCHEIN}"), PINNED, body).await;
        let created = r.ok().as_array().unwrap().clone();
        assert_eq!(created.len(), 1);
        let card = &created[0];
        let number = card["card"]["cardnumber"].as_str().unwrap();
        assert!(number.len() == 16 && number.starts_with("9276") && number.bytes().all(|b| b.is_ascii_digit()), "{number}");
        let csc = card["csc"].as_str().unwrap();
        assert!(csc.len() == 4 && csc.bytes().all(|b| b.is_ascii_digit()), "{csc}");
        assert_eq!(card["merchant"]["id"], MERCHANT, "responses show the real merchant id");
        assert_eq!(card["cardgroup"]["display_name"], "Geschenkgutschein");
        assert_eq!((card["balance"].as_i64(), card["cash_balance"].as_i64(), card["points"].as_i64()), (Some(0), Some(0), Some(0)));
        assert_eq!((card["stock_status"].as_str(), card["lock_status"].as_str(), card["is_base_card"].as_bool()), (Some("active"), Some("unlocked"), Some(true)));
        assert_eq!((card["passcode"].as_i64(), card["created_for_store"]["id"].as_str()), (Some(1), Some(STORE)));
        assert_eq!(card["customer"]["contact"]["name"], "Max Mustermann");
        assert_eq!(card["customer"]["consent_for_communication"], true);
        assert!(card["customer_assignment_date"].is_string());
        // the later GET is the same card without its CSC
        let id = card["id"].as_str().unwrap();
        let mut without_csc = card.clone();
        without_csc.as_object_mut().unwrap().remove("csc");
        assert_eq!(merchantcard(&app, id).await, without_csc);
        let check = app.post(&format!("/Loyalty/MerchantCards/{id}/checkCsc"), PINNED, json!({"cardnumber": number, "csc": csc})).await;
        assert_eq!(check.ok(), &json!({"result": true}));
        let customer = app.get(&format!("/Loyalty/Customers/{}", card["customer"]["id"].as_str().unwrap()), PINNED).await;
        assert_eq!(customer.ok()["contact"]["companyname"], "Musterfirma GmbH");
        assert_eq!((customer.body["customernumber"].as_str(), customer.body["note"].as_str()), (Some("K-1"), Some("Stammkunde")));

        // the other spelling, `me`, several cards, no customer
        let r = app.post(&format!("/Loyalty/MerchantCards/me/createMerchantcards/{BONUS10}"), PINNED, json!({"cards_amount": 3})).await;
        let three = r.ok().as_array().unwrap().clone();
        assert_eq!(three.len(), 3);
        assert!(three.iter().all(|c| c["customer"].is_null() && c["csc"].is_string()));
        let mut numbers: Vec<&str> = three.iter().map(|c| c["card"]["cardnumber"].as_str().unwrap()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), 3);
        assert_eq!(count(&app, "q=cash_balance:0").await, 1 + 3 + 1, "D, the four new cards");

        for amount in [json!(0), json!(101), json!("1")] {
            app.post(&format!("/Loyalty/MerchantCards/me/createMerchantcards/{BONUS10}"), PINNED, json!({"cards_amount": amount})).await.assert_error(400, 4001);
        }
        app.post(&format!("/Loyalty/MerchantCards/me/createMerchantcards/{BONUS10}"), PINNED, json!({})).await.assert_error(400, 4001);
        app.post(&format!("/Loyalty/MerchantCards/MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ/createMerchantcards/{BONUS10}"), PINNED, json!({"cards_amount": 1})).await.assert_error(404, 3001);
        app.post("/Loyalty/MerchantCards/me/createMerchantcards/CRG_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED, json!({"cards_amount": 1})).await.assert_error(404, 3001);
        assert_eq!(count(&app, "").await, 9, "failed requests created nothing");
    }

    async fn a_put_sets_the_expiry_date_and_an_expired_card_is_invalid(app: TestApp) {
        let path = format!("/Loyalty/MerchantCards/{}", A.mcd);
        app.put(&path, PINNED, json!({"expiry_date": "2099-12-31T23:00:00Z"})).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        let r = app.put(&path, &token, json!({"expiry_date": "2099-12-31T23:00:00Z", "additional_data": {"x": 1}})).await;
        assert_eq!(r.ok()["expiry_date"], "2100-01-01T00:00:00+01:00");
        assert_eq!(merchantcard(&app, A.mcd).await, r.body);
        let r = app.put(&path, &token, json!({"expiry_date": "2020-01-01T00:00:00+01:00"})).await;
        assert_eq!(r.ok()["expiry_date"], "2020-01-01T00:00:00+01:00");
        let v = app.post("/Loyalty/MerchantCards/me/validateMerchantcard", PINNED, json!({"cardnumber": A.number})).await;
        assert_eq!(v.text, r#"{"isValid":false}"#);
        let receipt = app.post(&format!("{path}/getCardBalanceReceipt"), PINNED, json!({"cardnumber": A.number})).await;
        assert_eq!(receipt.ok()["valid"], false);
        direct(&app, A.mcd, json!({"action": "charge", "amount": 100})).await.assert_error(400, 4201);
        let r = app.put(&path, &token, json!({"expiry_date": null})).await;
        assert_eq!(r.ok()["expiry_date"], Value::Null);
        app.put(&path, &token, json!({"expiry_date": "tomorrow"})).await.assert_error(400, 4001);
        app.put(&path, &token, json!({"payment_container": "PCT_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"})).await.assert_error(404, 3001);
        let r = app.put(&path, &token, json!({"payment_container": null}));
        assert_eq!(r.await.ok()["payment_container"], Value::Null);
    }

    async fn moving_a_card_to_another_group_keeps_balances_and_takes_its_passcode_policy(app: TestApp) {
        let path = format!("/Loyalty/MerchantCards/{}/cardgroup/{GESCHENKGUTSCHEIN}", A.mcd);
        app.send(Method::PUT, &path, Some(PINNED), None).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        let r = app.send(Method::PUT, &path, Some(&token), None).await;
        assert_eq!(r.ok()["cardgroup"]["id"], GESCHENKGUTSCHEIN);
        assert_eq!((r.body["passcode"].as_i64(), r.body["balance"].as_i64()), (Some(1), Some(1000)));
        assert_eq!(merchantcard(&app, A.mcd).await, r.body);
        let dollar = app.post("/Loyalty/Cardgroups", &token, json!({"display_name": "Dollar", "currency": "USD"})).await;
        let dollar = dollar.ok()["id"].as_str().unwrap().to_owned();
        app.send(Method::PUT, &format!("/Loyalty/MerchantCards/{}/cardgroup/{dollar}", A.mcd), Some(&token), None).await.assert_error(400, 4002);
        app.send(Method::PUT, &format!("/Loyalty/MerchantCards/{}/cardgroup/CRG_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", A.mcd), Some(&token), None).await.assert_error(404, 3001);
    }

    async fn passcodes_are_set_checked_and_reset_and_never_shown(app: TestApp) {
        let call = |action: &'static str, path: &'static str, body: Value| {
            let app = &app;
            async move { app.post(&format!("/Loyalty/MerchantCards/{path}/{action}"), PINNED, body).await }
        };
        let a = A.mcd;
        assert_eq!(call("checkPasscode", a, json!({"cardnumber": A.number, "pin": 1234})).await.ok(), &json!({"result": false}));
        assert_eq!(call("resetPasscode", a, json!({"cardnumber": A.number, "passcode": 1234})).await.ok(), &json!({"result": false}));
        assert_eq!(call("newPasscode", a, json!({"merchant": "MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON", "cardnumber": A.number, "passcode": 4711})).await.ok(), &json!({"result": true}));
        assert_eq!(call("newPasscode", "me", json!({"cardnumber": A.number, "passcode": 1})).await.ok(), &json!({"result": false}), "reset first");
        assert_eq!(call("checkPasscode", a, json!({"cardnumber": A.number, "pin": 4711})).await.ok(), &json!({"result": true}));
        assert_eq!(call("checkPasscode", "me", json!({"cardnumber": A.number, "pin": 4712})).await.ok(), &json!({"result": false}));
        call("resetPasscode", a, json!({"cardnumber": A.number, "passcode": 1111})).await.assert_error(400, 4206);
        assert_eq!(call("resetPasscode", "me", json!({"cardnumber": A.number, "passcode": 4711})).await.ok(), &json!({"result": true}));
        assert_eq!(call("checkPasscode", a, json!({"pin": 4711})).await.ok(), &json!({"result": false}));
        assert!(!merchantcard(&app, A.mcd).await.to_string().contains("4711"));
        // the demo's card B has passcode 1234
        assert_eq!(call("checkPasscode", "me", json!({"cardnumber": B.number, "pin": 1234})).await.ok(), &json!({"result": true}));
        assert_eq!(call("checkPasscode", "me", json!({"cardnumber": "9276001234567890", "pin": 1234})).await.ok(), &json!({"result": false}));
        for passcode in [json!(10000), json!(-1), json!("1234")] {
            call("newPasscode", a, json!({"cardnumber": A.number, "passcode": passcode})).await.assert_error(400, 4001);
        }
        call("checkPasscode", a, json!({"cardnumber": A.number})).await.assert_error(400, 4001);
        call("newPasscode", "me", json!({"cardnumber": "9276001234567890", "passcode": 1})).await.assert_error(400, 4201);
        call("resetPasscode", "me", json!({"cardnumber": "9276001234567890", "passcode": 1})).await.assert_error(400, 4201);
        call("newPasscode", a, json!({"merchant": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "cardnumber": A.number, "passcode": 1})).await.assert_error(404, 3001);
    }

    async fn v11_the_locked_card_is_unlocked_and_cards_are_locked_with_a_reason(app: TestApp) {
        let lock = format!("/Loyalty/MerchantCards/{}/lock", E.mcd);
        assert_eq!(app.get(&lock, PINNED).await.ok(), &json!({"lock_status": "locked", "reason": 1, "note": "Karte als verloren gemeldet"}));
        let r = app.post(&format!("/Loyalty/MerchantCards/{}/unlock", E.mcd), PINNED, json!({"reason": 1, "note": "wiedergefunden"})).await;
        assert_eq!(r.ok()["lock_status"], "unlocked");
        assert_eq!(r.body["id"], E.mcd);
        assert_eq!(merchantcard(&app, E.mcd).await, r.body);
        assert_eq!(app.get(&lock, PINNED).await.ok(), &json!({"lock_status": "unlocked", "reason": null, "note": null}));

        let reasons = app.get("/Loyalty/MerchantCards/me/lockReasons", PINNED).await;
        assert_eq!(reasons.ok(), &json!([{"id": 1, "desc": "Karte verloren"}, {"id": 2, "desc": "Karte defekt"},
            {"id": 3, "desc": "Reklamation"}, {"id": 6, "desc": "Karte abgelaufen"}, {"id": 8, "desc": "Karte nicht aktiviert"}]));

        let lock_a = format!("/Loyalty/MerchantCards/{}/lock", A.mcd);
        app.post(&lock_a, PINNED, json!({"reason": 2, "csc": "0000"})).await.assert_error(400, 4206);
        app.post(&lock_a, PINNED, json!({"reason": 4})).await.assert_error(400, 4001);
        app.post(&lock_a, PINNED, json!({"note": "x"})).await.assert_error(400, 4001);
        assert_eq!(app.get(&lock_a, PINNED).await.ok()["lock_status"], "unlocked", "failures change nothing");
        let r = app.post(&lock_a, PINNED, json!({"reason": 2, "note": "Chip defekt", "csc": "4471"})).await;
        assert_eq!(r.ok()["lock_status"], "locked");
        let r = app.post("/Loyalty/MerchantCards/me/lock", PINNED, json!({"cardnumber": A.number, "reason": 3, "note": "Reklamation"})).await;
        assert_eq!(r.ok()["lock_status"], "locked");
        assert_eq!(app.get(&lock_a, PINNED).await.ok(), &json!({"lock_status": "locked", "reason": 3, "note": "Reklamation"}));
        let v = app.post("/Loyalty/MerchantCards/me/validateMerchantcard", PINNED, json!({"cardnumber": A.number})).await;
        assert_eq!(v.ok()["isLocked"], true);
        direct(&app, A.mcd, json!({"action": "charge", "amount": 100})).await.assert_error(400, 4202);
        app.post("/Loyalty/MerchantCards/me/unlock", PINNED, json!({"cardnumber": A.number, "csc": "9999"})).await.assert_error(400, 4206);
        app.post("/Loyalty/MerchantCards/me/unlock", PINNED, json!({"cardnumber": "9276001234567890"})).await.assert_error(400, 4201);
        let r = app.post("/Loyalty/MerchantCards/me/unlock", PINNED, json!({"cardnumber": A.number, "csc": "4471"})).await;
        assert_eq!(r.ok()["lock_status"], "unlocked");
        app.get("/Loyalty/MerchantCards/MCD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ/lock", PINNED).await.assert_error(404, 3001);
    }

    async fn the_balance_receipt_prints_the_current_balance(app: TestApp) {
        let r = app.post("/Loyalty/MerchantCards/me/getCardBalanceReceipt", PINNED, json!({"cardnumber": B.number, "terminal_id": "VT000124"})).await;
        assert_eq!(r.ok(), &json!({
            "valid": true, "balance": 352, "cash_balance": 300, "bonus_balance": 52, "zvt_cardgroup": "Geschenkgutschein",
            "points": 0, "new_passcode": false, "receipt_header": [],
            "receipt": [sep("Kundenkarte"), nv("Kartennummer: ", B.number), sp(), tl("Aktuelles Guthaben"), tl_("3,52 EUR")],
            "amount_split_enabled": false, "limit_allowed": false, "limit_str": null, "limit": 0}));
        let token = app.merchant_token().await;
        app.put(&format!("/Loyalty/Cardgroups/{GESCHENKGUTSCHEIN}"), &token, json!({"overdraft_allowed": true, "overdraft_limit": 123456})).await.ok();
        let r = app.post(&format!("/Loyalty/MerchantCards/{}/getCardBalanceReceipt", B.mcd), PINNED, json!({})).await;
        assert_eq!((r.ok()["limit_allowed"].as_bool(), r.body["limit"].as_i64(), r.body["limit_str"].as_str()), (Some(true), Some(123456), Some("1.234,56 EUR")));
        let invalid = app.post("/Loyalty/MerchantCards/me/getCardBalanceReceipt", PINNED, json!({"cardnumber": "9276001234567890"})).await;
        assert_eq!(invalid.ok(), &json!({
            "valid": false, "balance": null, "cash_balance": null, "bonus_balance": null, "zvt_cardgroup": null,
            "points": null, "new_passcode": false, "receipt_header": [], "receipt": [],
            "amount_split_enabled": false, "limit_allowed": false, "limit_str": null, "limit": null}));
    }

    async fn customers_are_registered_on_and_set_to_a_card(app: TestApp) {
        let r = app.post(&format!("/Loyalty/MerchantCards/{}/registerCustomer", C.mcd), PINNED,
            json!({"merchant": "MRC_X", "merchant_contact": {"forename": "Erika", "surname": "Musterfrau"}, "consent_for_communication": "declined"})).await;
        let card = r.ok().clone();
        assert_eq!(card["customer"]["contact"], json!({"name": "Erika Musterfrau", "forename": "Erika", "surname": "Musterfrau", "dob": null}));
        assert_eq!(card["customer"]["consent_for_communication"], false);
        assert!(card["customer_assignment_date"].is_string());
        assert_eq!(merchantcard(&app, C.mcd).await, card);
        let erika = card["customer"]["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get(&format!("/Loyalty/Customers/{erika}"), PINNED).await.ok()["contact"]["name"], "Erika Musterfrau");

        let r = app.post(&format!("/Loyalty/MerchantCards/{}/setCustomer/{erika}", D.mcd), PINNED, json!({})).await;
        assert_eq!(r.ok()["customer"]["id"], erika.as_str());
        let r = app.send(Method::POST, &format!("/Loyalty/MerchantCards/{}/setCustomer/{CUSTOMER}", D.mcd), Some(PINNED), None).await;
        assert_eq!(r.ok()["customer"]["id"], CUSTOMER, "replaces the previous customer");
        assert_eq!(count(&app, "q=customer.id:CUS_*").await, 3);
        app.post(&format!("/Loyalty/MerchantCards/{}/setCustomer/CUS_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", D.mcd), PINNED, json!({})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{}/registerCustomer", D.mcd), PINNED, json!({"merchant_contact": "Erika"})).await.assert_error(400, 4001);
    }

    async fn virtual_terminal_data_names_the_store_and_terminal_of_the_token(app: TestApp) {
        let r = app.get(&format!("/Loyalty/MerchantCards/{}/virtualTerminalData/me", C.mcd), PINNED).await;
        assert_eq!(r.ok(), &json!({
            "store": {"object": "general.stores", "id": STORE, "name": "John's Bakery"}, "tid": "VT000124",
            "actions": ["balance_check", "charge", "discharge", "sale_revenue", "charge_points", "discharge_points", "cancel_last"],
            "gift_terminal": 1, "amount_split_enabled": 0, "disabled": 0}));
        let token = app.merchant_token().await;
        let r = app.get(&format!("/Loyalty/MerchantCards/{}/virtualTerminalData/{MERCHANT}", A.mcd), &token).await;
        assert_eq!((r.ok()["tid"].clone(), r.body["gift_terminal"].as_i64()), (Value::Null, Some(0)));
        assert_eq!(r.body["store"]["id"], STORE);
        app.get(&format!("/Loyalty/MerchantCards/{}/virtualTerminalData/MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", A.mcd), PINNED).await.assert_error(404, 3001);
    }

    async fn another_merchants_cards_answer_404_and_its_numbers_are_unknown_here(app: TestApp) {
        let other = other_merchant(&app).await;
        assert_eq!(app.get("/Loyalty/MerchantCards", &other.token).await.ok(), &json!({"count": 0, "data": []}));
        app.get(&format!("/Loyalty/MerchantCards/{}", A.mcd), &other.token).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{}/checkCsc", A.mcd), &other.token, json!({"csc": "4471"})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{}/lock", A.mcd), &other.token, json!({"reason": 1})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{}/transaction/me", A.mcd), &other.token, json!({"action": "charge", "amount": 1})).await.assert_error(404, 3001);
        let v = app.post("/Loyalty/MerchantCards/me/validateMerchantcard", &other.token, json!({"cardnumber": A.number})).await;
        assert_eq!(v.text, r#"{"isValid":false}"#);
        let csc = app.post("/Loyalty/MerchantCards/me/checkCsc", &other.token, json!({"cardnumber": A.number, "csc": "4471"})).await;
        assert_eq!(csc.ok(), &json!({"result": false}));
        app.post("/Loyalty/MerchantCards/me/transaction/me", &other.token, json!({"action": "charge", "amount": 1, "cardnumber": A.number})).await.assert_error(400, 4201);
        app.post(&format!("/Loyalty/MerchantCards/me/createMerchantcards/{BONUS10}"), &other.token, json!({"cards_amount": 1})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{MERCHANT}/createMerchantcards/{BONUS10}"), &other.token, json!({"cards_amount": 1})).await.assert_error(404, 3001);
        assert_eq!(balances(&app, A.mcd).await, (1000, 0, 0));
    }

    async fn the_operator_issues_cards_with_their_csc_on_the_command_line(app: TestApp) {
        let out = app.cli(&["cards", "issue", "--cardgroup", BONUS10, "--count", "3"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            let (number, csc, mcd) = (parts[0], parts[1], parts[2]);
            assert!(number.len() == 16 && number.starts_with("9276"), "{line}");
            assert_eq!(csc.len(), 4);
            let card = merchantcard(&app, mcd).await;
            assert_eq!((card["card"]["cardnumber"].as_str(), card["cardgroup"]["id"].as_str()), (Some(number), Some(BONUS10)));
            let check = app.post("/Loyalty/MerchantCards/me/checkCsc", PINNED, json!({"cardnumber": number, "csc": csc})).await;
            assert_eq!(check.ok(), &json!({"result": true}));
        }
        let out = app.cli(&["cards", "issue", "--cardgroup", PUNKTE, "--prefix", "92761234"]);
        assert!(out.starts_with("92761234"), "{out}");
        assert_eq!(count(&app, "").await, 5 + 4);
    }
}
