//! Smart Transactions at their edges (issue 15): tenancy (api.md §4: another merchant's objects
//! answer like unknown ids, 404/3001; a card with merchant cards only elsewhere is an unknown card,
//! `valid: false` and 4201), the start methods (§8.8: `demo` as `cash`, `start` without its slash is
//! no route, `loyalty` with `missing_sum > 0` is 4203, `loyalty` without a card 4201, `cashless`
//! without a device 4001, the currency checked again at start, 4002) and cancellations (§8.10,
//! §8.11).
mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use reqwest::Method;
use serde_json::json;

fn path(stx: &str, action: &str) -> String {
    format!("/Smart/Transactions/{stx}{action}")
}

/// A sale with card A, 7,96 EUR.
fn sale_with_card() -> serde_json::Value {
    card_body(CARD_A, docs_basket(), 796)
}

on_both_backends! {
    async fn another_merchants_token_finds_no_smart_transaction(app: TestApp) {
        let other = other_merchant(&app).await;
        let t = other.token.as_str();
        let open = app.create_stx(sale_with_card()).await;
        let paid = app.create_stx(sale_with_card()).await;
        assert_eq!(app.start(&paid, "cash").await.ok()["status"], "ok");
        let before = (app.stx(&open).await, app.stx(&paid).await, app.balances(MCD_A).await);

        for stx in [&open, &paid] {
            app.get(&path(stx, ""), t).await.assert_error(404, 3001);
            app.put(&path(stx, ""), t, sale_with_card()).await.assert_error(404, 3001);
            app.send(Method::POST, &path(stx, "/preTransaction"), Some(t), None).await.assert_error(404, 3001);
            app.send(Method::POST, &path(stx, "/start/cash"), Some(t), None).await.assert_error(404, 3001);
            app.send(Method::POST, &path(stx, "/cancel"), Some(t), None).await.assert_error(404, 3001);
            app.send(Method::POST, &path(stx, "/abort"), Some(t), None).await.assert_error(404, 3001);
        }
        let list = app.get("/Smart/Transactions?count=1000", t).await;
        assert_eq!(list.ok()["count"], 0, "{}", list.text);
        let searched = app.get(&format!("/Smart/Transactions?q=id:{open}"), t).await;
        assert_eq!(searched.ok()["count"], 0);
        // nothing changed at the owner's
        assert_eq!((app.stx(&open).await, app.stx(&paid).await, app.balances(MCD_A).await), before);
    }

    async fn another_merchants_device_and_cards_are_unknown(app: TestApp) {
        let other = other_merchant(&app).await;
        let t = other.token.as_str();
        // the demo merchant's cash register as device_source of the other merchant: unknown device
        let mut body = json!({"basket": one_line("", "Brot", 100, 7), "basket_info": {"sum": 100, "currency": "EUR"}});
        body["device_source"] = json!({"id": CASH_REGISTER});
        app.post("/Smart/Transactions", t, body).await.assert_error(404, 3001);
        // card A has a merchant card only at the demo merchant: an unknown card for the other one
        let r = app.post("/Smart/Transactions", t, sale_with_card()).await;
        let ident = &r.ok()["idents"][0];
        assert_eq!((ident["valid"].as_bool(), ident["merchantcard"].is_null()), (Some(false), true), "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        app.send(Method::POST, &path(&id, "/preTransaction"), Some(t), None).await.assert_error(400, 4201);
        app.send(Method::POST, &path(&id, "/start/cash"), Some(t), None).await.assert_error(400, 4201);
        let valid = app.post("/Loyalty/MerchantCards/me/validateMerchantcard", t, json!({"cardnumber": CARD_A})).await;
        assert_eq!(valid.ok(), &json!({"isValid": false}));
        // the demo merchant's card is untouched
        let stx = app.get(&path(&id, ""), t).await;
        assert_eq!((stx.ok()["status"].as_str(), stx.body["transactions"].as_array().map(Vec::len)), (Some("created"), Some(0)));
    }

    async fn start_demo_is_start_cash_and_start_needs_its_slash(app: TestApp) {
        let id = app.create_stx(sale_with_card()).await;
        app.send(Method::POST, &path(&id, "/start"), Some(PINNED), None).await.assert_error(404, 3001);
        assert_eq!(app.stx(&id).await["status"], "created", "no route, no effect");
        let before = app.balances(MCD_A).await;
        let r = app.start(&id, "demo").await;
        assert_eq!((r.ok()["status"].as_str(), r.body["payment_method"].as_str()), (Some("ok"), Some("demo")));
        assert_eq!(r.body["transactions"].as_array().unwrap().len(), 1);
        assert_eq!(app.balances(MCD_A).await, before, "no bonus programme on card A: revenue only");
        // the same method again: unchanged; another method: 409/4101
        assert_eq!(app.start(&id, "demo").await.ok(), &r.body);
        app.start(&id, "cash").await.assert_error(409, 4101);
        app.start(&id, "debit").await.assert_error(400, 4001);
    }

    async fn start_loyalty_refuses_a_rest_and_a_missing_card(app: TestApp) {
        // card D has no cash: after preTransaction the whole sum is missing
        let id = app.create_stx(card_body(CARD_D, docs_basket(), 796)).await;
        let pre = app.pre(&id).await;
        assert!(pre.ok()["missing_sum"].as_i64().unwrap() > 0, "{}", pre.text);
        let before = app.balances(MCD_D).await;
        app.start(&id, "loyalty").await.assert_error(400, 4203);
        let s = app.stx(&id).await;
        assert_eq!((s["status"].as_str(), s["transactions"].as_array().unwrap().len()), (Some("processing"), 0));
        assert_eq!(app.balances(MCD_D).await, before);
        // without a card: loyalty on an empty basket is 4201 (nothing else stops it first)
        let empty = app.create_stx(json!({"basket": {"products": []}, "basket_info": {"sum": 0, "currency": "EUR"}})).await;
        app.start(&empty, "loyalty").await.assert_error(400, 4201);
        assert_eq!(app.stx(&empty).await["status"], "created");
        // without a card, a load line cannot be booked
        let load = app.create_stx(json!({"basket": one_line("4260447149502", "Aufladung", 1000, 0), "basket_info": {"sum": 1000, "currency": "EUR"}})).await;
        app.start(&load, "cash").await.assert_error(400, 4201);
    }

    async fn cashless_needs_a_device(app: TestApp) {
        let token = app.merchant_token().await;
        let r = app.post("/Smart/Transactions", &token, json!({"basket": one_line("", "Brot", 100, 7), "basket_info": {"sum": 100, "currency": "EUR"}})).await;
        assert!(r.ok()["device_source"].is_null(), "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        app.send(Method::POST, &path(&id, "/start/cashless"), Some(&token), None).await.assert_error(400, 4001);
        let s = app.get(&path(&id, ""), &token).await;
        assert_eq!(s.ok()["status"], "created");
    }

    async fn cancel_follows_the_status_machine(app: TestApp) {
        // created → cancelled, nothing booked; again → 200 unchanged; then start and PUT → 409/4101
        let id = app.create_stx(sale_with_card()).await;
        let r = app.cancel(&id).await;
        assert_eq!((r.ok()["status"].as_str(), r.body["transactions"].as_array().unwrap().len()), (Some("cancelled"), 0));
        assert_eq!(app.cancel(&id).await.ok(), &r.body);
        app.start(&id, "cash").await.assert_error(409, 4101);
        app.put(&path(&id, ""), PINNED, sale_with_card()).await.assert_error(409, 4101);
        app.pre(&id).await.assert_error(409, 4101);
        // processing (after preTransaction) → cancelled, nothing booked, the card untouched
        let planned = app.create_stx(sale_with_card()).await;
        let untouched = app.balances(MCD_A).await;
        app.pre(&planned).await.ok();
        let p = app.cancel(&planned).await;
        assert_eq!((p.ok()["status"].as_str(), p.body["transactions"].as_array().map(Vec::len)), (Some("cancelled"), Some(0)));
        assert_eq!(app.balances(MCD_A).await, untouched);
        // ok with an LTX → reversal [X, Y]; a second cancel answers the same, books nothing
        let paid = app.create_stx(sale_with_card()).await;
        let before = app.balances(MCD_A).await;
        assert_eq!(app.start(&paid, "cash").await.ok()["status"], "ok");
        let c = app.cancel(&paid).await;
        assert_eq!((c.ok()["status"].as_str(), c.body["transactions"].as_array().unwrap().len()), (Some("cancelled"), 2));
        assert_eq!(c.body["receipt"][0], STORNO());
        assert_eq!(app.cancel(&paid).await.ok(), &c.body);
        assert_eq!(app.balances(MCD_A).await, before);
        // canceltrx needs a cashless payment's receipt number: the cash payment has none
        app.send(Method::POST, &path("1", "/canceltrx"), Some(PINNED), None).await.assert_error(404, 3001);
        app.send(Method::POST, &path(&paid, "/canceltrx"), Some(PINNED), None).await.assert_error(400, 4003);
    }

    async fn start_checks_the_currency_again(app: TestApp) {
        // api.md §1.6: the currency is checked at create and again at start. A group without merchant
        // cards may still change its currency: created in EUR, it is USD by the time of the start.
        let out = app.cli(&["cardgroup", "create", "--merchant", MERCHANT, "--name", "Neu", "--card-creation-via-stx", "--currency", "EUR"]);
        let group = cli_value(&out, "cardgroup");
        let body = json!({"idents": [{"type": "create_card", "value": group}], "basket": one_line("", "Brot", 100, 7), "basket_info": {"sum": 100, "currency": "EUR"}});
        let id = app.create_stx(body).await;
        assert_eq!(app.stx(&id).await["idents"][0]["valid"], true);
        let token = app.merchant_token().await;
        let r = app.put(&format!("/Loyalty/Cardgroups/{group}"), &token, json!({"currency": "USD"})).await;
        assert_eq!(r.ok()["currency"], "USD");
        app.start(&id, "cash").await.assert_error(400, 4002);
        let s = app.stx(&id).await;
        assert_eq!((s["status"].as_str(), s["transactions"].as_array().unwrap().len()), (Some("created"), 0));
        let cards = app.get(&format!("/Loyalty/MerchantCards?q=cardgroup.id:{group}"), PINNED).await;
        assert_eq!(cards.ok()["count"], 0, "no card issued");
    }
}
