//! Idempotency-Key: examples.md V14 and concurrent duplicates.
mod common;
use common::*;
use serde_json::json;

async fn keyed(app: &TestApp, path: &str, key: &str, body: &serde_json::Value) -> Reply {
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(PINNED)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await
}

on_both_backends! {
    async fn a_repeated_key_replays_the_first_answer_and_books_nothing_twice(app: TestApp) {
        let body = card_body(CARD_A, docs_basket(), 796);
        let first = keyed(&app, "/Smart/Transactions", "order-4711", &body).await;
        let s14 = first.ok()["id"].as_str().unwrap().to_owned();
        assert_eq!(first.header("idempotent-replayed"), None);
        let again = keyed(&app, "/Smart/Transactions", "order-4711", &body).await;
        assert_eq!(again.text, first.text, "byte-identical body");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let list = app.get(&format!("/Smart/Transactions?q=idents.value:{CARD_A}"), PINNED).await;
        assert_eq!(list.ok()["count"], 2, "STX_KJXJ… and S14 only");

        let mut other = body.clone();
        other["basket_info"]["sum"] = json!(797);
        keyed(&app, "/Smart/Transactions", "order-4711", &other).await.assert_error(409, 4102);

        let path = format!("/Smart/Transactions/{s14}/start/cash");
        let paid = keyed(&app, &path, "pay-4711", &json!({})).await;
        assert_eq!(paid.ok()["trans_id"], "29187330");
        let replayed = keyed(&app, &path, "pay-4711", &json!({})).await;
        assert_eq!((replayed.text.as_str(), replayed.header("idempotent-replayed")), (paid.text.as_str(), Some("true")));
        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_A}"), PINNED).await;
        assert_eq!(ledger.ok()["count"], 2, "opening + one booking");

        let mut bad = body.clone();
        bad["basket_info"]["sum"] = json!(795);
        let e1 = keyed(&app, "/Smart/Transactions", "bad-1", &bad).await;
        e1.assert_error(400, 4002);
        let e2 = keyed(&app, "/Smart/Transactions", "bad-1", &bad).await;
        assert_eq!((e2.status.as_u16(), e2.text.as_str(), e2.header("idempotent-replayed")), (400, e1.text.as_str(), Some("true")));
        assert_eq!(e2.header("x-support-id"), e1.body["supportId"].as_str(), "the replayed error keeps its support id");

        let resp = app.http.post(app.url("/Smart/Transactions")).bearer_auth("unknowntoken").header("Idempotency-Key", "k").json(&body).send().await.unwrap();
        TestApp::reply(resp).await.assert_error(401, 2003);
        let fresh = keyed(&app, "/Smart/Transactions", "k", &body).await;
        assert_eq!(fresh.header("idempotent-replayed"), None, "the 401 left the key unused");
        fresh.ok();
    }

    async fn keys_are_validated_and_scoped_per_api_client(app: TestApp) {
        let body = card_body(CARD_A, docs_basket(), 796);
        keyed(&app, "/Smart/Transactions", &"x".repeat(256), &body).await.assert_error(400, 4001);
        let resp = app.http.post(app.url("/Smart/Transactions")).bearer_auth(PINNED).header("Idempotency-Key", "").json(&body).send().await.unwrap();
        TestApp::reply(resp).await.assert_error(400, 4001);
        let a = keyed(&app, "/Smart/Transactions", "shared", &body).await;
        let token = app.merchant_token().await;
        let resp = app.http.post(app.url("/Smart/Transactions")).bearer_auth(&token).header("Idempotency-Key", "shared").json(&body).send().await.unwrap();
        let b = TestApp::reply(resp).await;
        assert_ne!(a.ok()["id"], b.ok()["id"], "another client's key is another key");
    }

    async fn concurrent_duplicates_book_once(app: TestApp) {
        let s = app.create_stx(card_body(CARD_A, docs_basket(), 796)).await;
        app.pre(&s).await.ok();
        let path = format!("/Smart/Transactions/{s}/start/loyalty");
        let empty = json!({});
        let (a, b) = tokio::join!(keyed(&app, &path, "dup", &empty), keyed(&app, &path, "dup", &empty));
        // The one that finds the key taken waits for the other's unit and answers its replay.
        assert!(a.status == 200 && b.status == 200, "{}\n{}", a.text, b.text);
        assert_eq!(a.body, b.body);
        assert_eq!(app.balances(MCD_A).await, (204, 0, 204));
        // without a key, repeating start is still safe by the status rules
        let again = app.start(&s, "loyalty").await;
        assert_eq!(again.ok()["trans_id"], "29187330");
        assert_eq!(app.balances(MCD_A).await, (204, 0, 204));
    }
}
