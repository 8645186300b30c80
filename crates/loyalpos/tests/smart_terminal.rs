//! The simulated terminal and canceltrx: examples.md V16.
mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

fn payment(amount: i64) -> serde_json::Value {
    json!({"basket": {"products": [{"id": 1, "desc": "Test", "quantity": 1, "priceOne": amount, "tax": 19}]}, "basket_info": {"sum": amount}})
}

on_both_backends! {
    async fn the_terminal_declines_1111_cents_and_canceltrx_respects_end_of_day(app: TestApp) {
        let declined = app.create_stx(payment(1111)).await;
        app.start(&declined, "cashless").await.assert_error(402, 4301);
        let s = app.stx(&declined).await;
        assert_eq!((s["status"].as_str(), s["payment_method"].as_str(), s["receipt_number"].as_i64()), (Some("failed"), Some("cashless"), Some(4)));
        assert_eq!(s["device_destination"]["id"], CASH_REGISTER);
        assert_eq!(s["transactions"], json!([]));
        app.start(&declined, "cash").await.assert_error(409, 4101);

        let approved = app.create_stx(payment(1112)).await;
        let r = app.start(&approved, "cashless").await;
        assert_eq!((r.ok()["status"].as_str(), r.body["receipt_number"].as_i64()), (Some("ok"), Some(5)));
        let c = app.send(Method::POST, "/Smart/Transactions/5/canceltrx", Some(PINNED), None).await;
        assert_eq!((c.ok()["status"].as_str(), c.body["receipt_number"].as_i64()), (Some("cancelled"), Some(5)));
        assert_eq!(c.body["receipt"], json!([]));

        let docs = app.send(Method::POST, "/Smart/Transactions/3/cancelTrx", Some(PINNED), None).await;
        let d = docs.ok();
        assert_eq!((d["id"].as_str(), d["status"].as_str(), d["receipt_number"].as_i64()), (Some("STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ"), Some("cancelled"), Some(3)));
        assert_eq!(d["transactions"], json!([]));
        let token = app.merchant_token().await;
        app.send(Method::POST, "/Smart/Transactions/3/canceltrx", Some(&token), None).await.assert_error(403, 2004);
        app.send(Method::POST, "/Smart/Transactions/99/canceltrx", Some(PINNED), None).await.assert_error(404, 3001);

        let later = app.create_stx(payment(1200)).await;
        assert_eq!(app.start(&later, "cashless").await.ok()["receipt_number"], 6);
        let eod = app.send(Method::POST, &format!("/Smart/Transactions/{CASH_REGISTER}/endOfDay"), Some(PINNED), None).await;
        assert_eq!(eod.ok()["receipt"], json!([SEP("Kassenschnitt"), NV("Terminal-ID: ", "VT000124"), NV("Anzahl: ", "1"), NV("Summe: ", "12,00 EUR")]));
        app.send(Method::POST, "/Smart/Transactions/6/canceltrx", Some(PINNED), None).await.assert_error(400, 4205);

        // with a card: the terminal charges missing_sum
        let with_card = app.create_stx(card_body(CARD_C, docs_basket(), 796)).await;
        let before = app.balances(MCD_C).await;
        assert_eq!(app.pre(&with_card).await.ok()["missing_sum"], 576);
        let paid = app.start(&with_card, "cashless").await.ok().clone();
        assert_eq!(paid["receipt_number"], 7);
        assert_eq!(app.balances(MCD_C).await, (0, 78, 78));

        // canceltrx (api.md §8.11): a failed payment is 409/4101; an ok one with a card is cancelled
        // with its loyalty reversal, keeps its receipt, and a repeat answers it unchanged
        app.send(Method::POST, "/Smart/Transactions/4/canceltrx", Some(PINNED), None).await.assert_error(409, 4101);
        let c = app.send(Method::POST, "/Smart/Transactions/7/canceltrx", Some(PINNED), None).await.ok().clone();
        assert_eq!((c["id"].as_str(), c["status"].as_str()), (paid["id"].as_str(), Some("cancelled")));
        assert_eq!(c["transactions"].as_array().map(Vec::len), Some(2), "the booking and its reversal");
        assert_eq!(c["receipt"], paid["receipt"]);
        assert_eq!(app.balances(MCD_C).await, before);
        let again = app.send(Method::POST, "/Smart/Transactions/7/canceltrx", Some(PINNED), None).await;
        assert_eq!(again.ok(), &c);
        assert_eq!(app.balances(MCD_C).await, before);
        // cancel of the failed payment (§8.9 table): cancelled, nothing booked
        let f = app.cancel(&declined).await.ok().clone();
        assert_eq!((f["status"].as_str(), f["transactions"].clone()), (Some("cancelled"), json!([])));
    }
}
