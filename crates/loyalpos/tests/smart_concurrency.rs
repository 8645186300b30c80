//! Two registers spending one card at the same moment: examples.md V13.
mod common;
use common::*;
use serde_json::json;

async fn device_pin_token(app: &TestApp) -> String {
    let r = app.token_request(json!({"grant_type": "device_pin", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1,
        "uuid": "/vendor/ingenico/serial/17275wl26695664", "device_pin": "CxajtF94uLi4s7d3"})).await;
    r.ok()["access_token"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn two_registers_spending_one_card_at_once_book_exactly_one(app: TestApp) {
        let t2 = device_pin_token(&app).await;
        let s1 = app.create_stx(card_body(CARD_A, docs_basket(), 796)).await;
        let r = app.post("/Smart/Transactions", &t2, card_body(CARD_A, docs_basket(), 796)).await;
        let s2 = r.ok()["id"].as_str().unwrap().to_owned();
        assert_eq!(app.pre(&s1).await.ok()["missing_sum"], 0);
        let pre2 = app.send(reqwest::Method::POST, &format!("/Smart/Transactions/{s2}/preTransaction"), Some(&t2), None).await;
        assert_eq!(pre2.ok()["missing_sum"], 0);
        let (p1, p2) = (format!("/Smart/Transactions/{s1}/start/loyalty"), format!("/Smart/Transactions/{s2}/start/loyalty"));
        let (a, b) = tokio::join!(
            app.send(reqwest::Method::POST, &p1, Some(PINNED), None),
            app.send(reqwest::Method::POST, &p2, Some(&t2), None),
        );
        let (winner, loser, loser_token) = if a.status == 200 { (a, b, t2.clone()) } else { (b, a, PINNED.to_owned()) };
        assert_eq!(winner.ok()["trans_id"], "29187330");
        loser.assert_error(400, 4204);
        let loser_id = if winner.body["id"] == s1.as_str() { s2.clone() } else { s1.clone() };
        let l = app.stx(&loser_id).await;
        assert_eq!((l["status"].as_str(), l["basket_info"]["missing_sum"].as_i64(), l["transactions"].clone()), (Some("processing"), Some(0), json!([])));
        assert_eq!(app.balances(MCD_A).await, (204, 0, 204));

        let again = app.send(reqwest::Method::POST, &format!("/Smart/Transactions/{loser_id}/preTransaction"), Some(&loser_token), None).await;
        assert_eq!(again.ok(), &json!({"missing_sum": 592, "bonus_products": []}));
        let paid = app.send(reqwest::Method::POST, &format!("/Smart/Transactions/{loser_id}/start/cash"), Some(&loser_token), None).await;
        let p = paid.ok();
        assert_eq!(p["trans_id"], "29187331");
        assert_eq!((p["receipt"][5].clone(), p["receipt"][8].clone(), p["receipt"][11].clone()), (TLI("2,04 EUR"), TLI("7,96 EUR"), TLI("0,00 EUR")));
        assert_eq!(app.balances(MCD_A).await, (0, 0, 0));
        // ledger: opening +1000, −796, −204
        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_A}&count=100"), PINNED).await;
        let total: i64 = ledger.ok()["data"].as_array().unwrap().iter()
            .flat_map(|l| l["bookings"].as_array().unwrap().iter().map(|b| b["amount"].as_i64().unwrap())).sum();
        assert_eq!(total, 0);
    }

    async fn two_discharges_of_600_at_once_leave_one_refused_for_balance(app: TestApp) {
        let t2 = device_pin_token(&app).await;
        let body = card_body(CARD_A, one_line("4260447149533", "Entladung 6 €", 600, 0), 600);
        let s1 = app.create_stx(body.clone()).await;
        let s2 = app.post("/Smart/Transactions", &t2, body).await.ok()["id"].as_str().unwrap().to_owned();
        let (p1, p2) = (format!("/Smart/Transactions/{s1}/start/loyalty"), format!("/Smart/Transactions/{s2}/start/loyalty"));
        let (a, b) = tokio::join!(
            app.send(reqwest::Method::POST, &p1, Some(PINNED), None),
            app.send(reqwest::Method::POST, &p2, Some(&t2), None),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 400]);
        let refused = if a.status == 400 { a } else { b };
        refused.assert_error(400, 4203);
        assert_eq!(app.balances(MCD_A).await, (400, 0, 400));
    }

    async fn two_simultaneous_start_cash_calls_book_once_and_answer_the_same(app: TestApp) {
        let (a, b) = tokio::join!(app.start(SEED_STX, "cash"), app.start(SEED_STX, "cash"));
        assert_eq!(a.ok(), b.ok());
        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_A}"), PINNED).await;
        assert_eq!(ledger.ok()["count"], 2, "opening + exactly one booking");
    }
}
