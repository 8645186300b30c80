//! Error paths of the contract that had no black-box test (issue 15): 503/1002 and `/ready`, the order
//! of checks of api.md §1.7, and the Idempotency-Key rules of §6 for other paths, stored errors and
//! expired keys.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Like `on_both_backends!`, with the server started with these flags.
macro_rules! on_both_backends_with {
    ($args:expr; $(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                run(TestApp::spawn_with(Backend::Sqlite, $args).await.unwrap()).await
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = TestApp::spawn_with(Backend::Postgres, $args).await {
                    run(app).await
                }
            }
        }
    )*};
}

async fn keyed(app: &TestApp, method: Method, path: &str, key: &str, body: Option<Value>) -> Reply {
    let mut rb = app
        .http
        .request(method, app.url(path))
        .bearer_auth(PINNED)
        .header("Idempotency-Key", key);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    TestApp::reply(rb.send().await.unwrap()).await
}

/// A transaction without a card whose terminal amount is `sum` cents.
async fn cardless_stx(app: &TestApp, sum: i64) -> String {
    app.create_stx(json!({"basket": one_line("4001234567890", "Kuchen", sum, 7), "basket_info": {"sum": sum, "currency": "EUR"}}))
        .await
}

/// A card number of the right shape that no merchant knows.
const UNKNOWN_CARD: &str = "9276004400000097";

// ---- 503/1002 and /ready ----

on_both_backends! {
    async fn a_request_still_running_after_the_request_timeout_is_503_1002_with_retry_after(app: TestApp) {
        // A large but legal list: 100 transactions, made by a server without the limit.
        let mut app = app;
        for _ in 0..100 {
            app.create_stx(card_body(CARD_A, docs_basket(), 796)).await;
        }
        app.server.kill();
        app.server = Server::start(&app.db.url, &["--demo", "--request-timeout", "0"]);
        // With a limit of 0 s a request gets about one timer tick (~1 ms): the list of 100 nearly
        // always outlives it; one that happens to finish in time is answered normally.
        let mut timed_out = Vec::new();
        for _ in 0..20 {
            let r = app.get("/Smart/Transactions?count=100", PINNED).await;
            if r.status.as_u16() != 200 {
                timed_out.push(r);
            }
        }
        assert!(!timed_out.is_empty(), "20 lists all finished within 0 s");
        for r in &timed_out {
            let b = r.assert_error(503, 1002);
            assert_eq!(b["error"], "ProductInternalException");
            assert_eq!(b["error_user"], "Der Dienst ist vorübergehend nicht verfügbar (Code 1002)");
            assert!(r.header("retry-after").is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)), "Retry-After: {:?}", r.header("retry-after"));
        }
        // the process itself is fine
        assert_eq!(app.send(Method::GET, "/health", None, None).await.ok()["status"], "ok");
    }
}

on_both_backends! {
    // 503/1002 means "not executed, safe to retry" (api.md §3, §6): a keyed create answered 503
    // after the request timeout must not have been executed, so after a restart its key is free
    // and executes afresh instead of replaying. (Before the store's gate, a create whose job had
    // started when the timeout fired was committed anyway: 2 of 4 runs replayed such a key.)
    async fn a_request_answered_503_after_the_timeout_was_not_executed(app: TestApp) {
        let mut app = app;
        app.server.kill();
        app.server = Server::start(&app.db.url, &["--demo", "--request-timeout", "0"]);
        let body = card_body(CARD_A, docs_basket(), 796);
        let mut refused = Vec::new();
        // About one create in eight outlives a limit of 0 s: go on until five have (at most 400).
        for i in 0..400 {
            if refused.len() == 5 {
                break;
            }
            let key = format!("slow-{i}");
            let r = keyed(&app, Method::POST, "/Smart/Transactions", &key, Some(body.clone())).await;
            match r.status.as_u16() {
                200 => {}
                503 => {
                    r.assert_error(503, 1002);
                    refused.push(key);
                }
                other => panic!("unexpected {other}: {}", r.body),
            }
        }
        assert!(!refused.is_empty(), "no create outlived a request timeout of 0 s");
        app.server.kill();
        app.server = Server::start(&app.db.url, &["--demo"]);
        for key in &refused {
            let r = keyed(&app, Method::POST, "/Smart/Transactions", key, Some(body.clone())).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
            assert!(r.header("idempotent-replayed").is_none(), "key {key} was answered 503 but had been executed");
        }
    }
}

/// PostgreSQL only: the test database is dropped (FORCE) under the running server. (An SQLite file
/// that is removed or made unreadable stays readable through the server's open handles, so the
/// SQLite variant of "the database is gone" cannot be produced from outside.)
#[tokio::test]
async fn ready_answers_503_when_the_database_is_gone_while_health_stays_200() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    assert_eq!(
        app.send(Method::GET, "/ready", None, None).await.ok()["status"],
        "ready"
    );
    {
        use sqlx::Connection;
        let admin = std::env::var("LOYALPOS_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = app.db.url.rsplit_once('/').unwrap().1.to_owned();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let mut last = None;
    for _ in 0..50 {
        let r = app.send(Method::GET, "/ready", None, None).await;
        if r.status.as_u16() == 503 {
            last = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = last.expect("/ready kept answering 200 after the database was dropped");
    assert_eq!(r.body["status"], "unavailable", "{}", r.text);
    let h = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(h.ok()["status"], "ok");
}

// ---- the order of checks, api.md §1.7 ----

on_both_backends_with! {
    &["--demo", "--body-limit", "2048"];

    async fn a_too_large_body_on_an_unknown_route_is_413_not_404(app: TestApp) {
        let big = format!("{{\"name\": \"{}\"}}", "x".repeat(3000));
        let resp = app.http.post(app.url("/Payment/Customers")).bearer_auth(PINNED)
            .header("Content-Type", "application/json").body(big.clone()).send().await.unwrap();
        TestApp::reply(resp).await.assert_error(413, 4004);
        // and without a token: still 413 (step 1 before step 3)
        let resp = app.http.post(app.url("/Payment/Customers"))
            .header("Content-Type", "application/json").body(big).send().await.unwrap();
        TestApp::reply(resp).await.assert_error(413, 4004);
    }
}

on_both_backends! {
    async fn an_unknown_route_without_a_token_is_404_not_401(app: TestApp) {
        app.send(Method::GET, "/Payment/Customers", None, None).await.assert_error(404, 3001);
        app.send(Method::POST, "/Payment/Customers", Some("wrongtoken"), Some(json!({}))).await.assert_error(404, 3001);
    }

    async fn a_known_route_with_a_wrong_method_and_no_token_is_405_not_401(app: TestApp) {
        let r = app.send(Method::DELETE, "/General/Stores", None, None).await;
        r.assert_error(405, 2005);
        assert!(r.header("allow").unwrap().contains("GET"));
        app.send(Method::PATCH, &format!("/General/Stores/{STORE}"), Some("wrongtoken"), None).await.assert_error(405, 2005);
    }

    async fn a_bad_token_on_a_route_its_credential_may_not_use_is_401_not_403(app: TestApp) {
        // a device token gets 403 here …
        app.post("/General/Stores", PINNED, json!({"name": "Filiale"})).await.assert_error(403, 2004);
        // … no token or an unknown one is 401 first
        app.send(Method::POST, "/General/Stores", None, Some(json!({"name": "Filiale"}))).await.assert_error(401, 2003);
        app.post("/General/Stores", "wrongtoken", json!({"name": "Filiale"})).await.assert_error(401, 2003);
    }

    async fn a_device_token_on_a_merchant_level_route_is_403_before_its_body_is_looked_at(app: TestApp) {
        // a body that is not JSON at all and a malformed path id: the missing right comes first
        let resp = app.http.post(app.url("/General/Stores")).bearer_auth(PINNED)
            .header("Content-Type", "application/json").body("{\"name\": ").send().await.unwrap();
        TestApp::reply(resp).await.assert_error(403, 2004);
        app.put("/General/Merchants/me", PINNED, json!({"no_such_field": 1})).await.assert_error(403, 2004);
    }

    async fn a_reused_idempotency_key_with_a_malformed_body_is_409_not_400(app: TestApp) {
        let body = card_body(CARD_A, docs_basket(), 796);
        keyed(&app, Method::POST, "/Smart/Transactions", "order-1", Some(body)).await.ok();
        let resp = app.http.post(app.url("/Smart/Transactions")).bearer_auth(PINNED)
            .header("Idempotency-Key", "order-1").header("Content-Type", "application/json")
            .body("{\"basket\": ").send().await.unwrap();
        TestApp::reply(resp).await.assert_error(409, 4102);
        // without the key the same body is 400/4001
        let resp = app.http.post(app.url("/Smart/Transactions")).bearer_auth(PINNED)
            .header("Content-Type", "application/json").body("{\"basket\": ").send().await.unwrap();
        TestApp::reply(resp).await.assert_error(400, 4001);
    }

    async fn a_malformed_body_or_method_name_on_an_unknown_object_is_400_not_404(app: TestApp) {
        let token = app.merchant_token().await;
        let unknown_store = "/General/Stores/STO_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
        app.put(unknown_store, &token, json!({"name": "x"})).await.assert_error(404, 3001);
        let resp = app.http.put(app.url(unknown_store)).bearer_auth(&token)
            .header("Content-Type", "application/json").body("{\"name\": ").send().await.unwrap();
        TestApp::reply(resp).await.assert_error(400, 4001);
        let unknown_stx = "STX_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
        app.start(unknown_stx, "cash").await.assert_error(404, 3001);
        app.start(unknown_stx, "invoice").await.assert_error(400, 4001);
        // a malformed id is 4003 whatever else is wrong with the request
        let resp = app.http.put(app.url("/General/Stores/STO_abc")).bearer_auth(&token)
            .header("Content-Type", "application/json").body("{\"name\": \"x\"}").send().await.unwrap();
        TestApp::reply(resp).await.assert_error(400, 4003);
    }

    async fn a_start_not_allowed_in_the_status_is_409_4101_even_with_an_unknown_card(app: TestApp) {
        // `loyalty` on a `created` transaction with money to pay needs preTransaction first
        let stx = app.create_stx(card_body(UNKNOWN_CARD, docs_basket(), 796)).await;
        app.start(&stx, "loyalty").await.assert_error(409, 4101);
        // a finished transaction: any other method is 4101 before its card is looked at
        let cardless = cardless_stx(&app, 500).await;
        app.start(&cardless, "cash").await.ok();
        app.start(&cardless, "loyalty").await.assert_error(409, 4101);
    }

    async fn a_wrong_sum_is_refused_at_create_and_an_unknown_card_only_at_start(app: TestApp) {
        app.post("/Smart/Transactions", PINNED, card_body(UNKNOWN_CARD, docs_basket(), 795)).await.assert_error(400, 4002);
        let stx = app.create_stx(card_body(UNKNOWN_CARD, docs_basket(), 796)).await;
        app.start(&stx, "cash").await.assert_error(400, 4201);
    }

    async fn a_put_with_a_wrong_sum_is_404_for_an_unknown_and_4101_for_a_finished_transaction(app: TestApp) {
        let wrong_sum = card_body(UNKNOWN_CARD, docs_basket(), 795);
        let unknown_stx = "/Smart/Transactions/STX_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
        app.put(unknown_stx, PINNED, wrong_sum.clone()).await.assert_error(404, 3001);
        let finished = cardless_stx(&app, 500).await;
        app.start(&finished, "cash").await.ok();
        let path = format!("/Smart/Transactions/{finished}");
        app.put(&path, PINNED, wrong_sum.clone()).await.assert_error(409, 4101);
        // a transaction that takes a PUT still refuses the wrong sum, and a malformed line is 4001 first
        let open = cardless_stx(&app, 500).await;
        let path = format!("/Smart/Transactions/{open}");
        app.put(&path, PINNED, wrong_sum).await.assert_error(400, 4002);
        let malformed = json!({"basket": {"products": [{"id": 1, "desc": "x", "quantity": 0, "priceOne": 100, "tax": 7}]},
            "basket_info": {"sum": 1, "currency": "EUR"}});
        app.put(&format!("/Smart/Transactions/{finished}"), PINNED, malformed).await.assert_error(400, 4001);
    }

    async fn an_unknown_card_on_a_declined_terminal_amount_is_4201_not_402(app: TestApp) {
        let body = card_body(UNKNOWN_CARD, one_line("4001234567890", "Kuchen", 1111, 7), 1111);
        let stx = app.create_stx(body).await;
        app.start(&stx, "cashless").await.assert_error(400, 4201);
        let after = app.stx(&stx).await;
        assert_eq!(after["status"], "created", "nothing was charged: {after}");
    }
}

on_both_backends_with! {
    &["--demo", "--rate-limit", "1"];

    async fn a_credential_without_the_right_is_403_even_beyond_the_rate_limit(app: TestApp) {
        for _ in 0..4 {
            app.post("/General/Stores", PINNED, json!({"name": "Filiale"})).await.assert_error(403, 2004);
        }
    }

    async fn beyond_the_rate_limit_a_reused_idempotency_key_is_429_not_a_replay(app: TestApp) {
        // 429 is decided within one second of the first request; a slow machine tries again.
        for attempt in 0..5 {
            let key = format!("rl-{attempt}");
            let stx = cardless_stx(&app, 500).await;
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let path = format!("/Smart/Transactions/{stx}/start/cash");
            let sent = std::time::Instant::now();
            let first = keyed(&app, Method::POST, &path, &key, None).await;
            first.ok();
            let second = keyed(&app, Method::POST, &path, &key, None).await;
            if sent.elapsed() >= Duration::from_millis(900) {
                tokio::time::sleep(Duration::from_millis(1100)).await;
                continue;
            }
            second.assert_error(429, 2006);
            assert_eq!(second.header("idempotent-replayed"), None);
            assert!(second.header("retry-after").is_some());
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let third = keyed(&app, Method::POST, &path, &key, None).await;
            assert_eq!((third.text.as_str(), third.header("idempotent-replayed")), (first.text.as_str(), Some("true")));
            return;
        }
        panic!("in 5 tries, no two requests were answered within a second");
    }
}

// ---- Idempotency-Key, api.md §6 ----

on_both_backends! {
    async fn a_key_reused_on_another_path_or_with_another_method_is_409_4102(app: TestApp) {
        let body = card_body(CARD_A, docs_basket(), 796);
        let first = keyed(&app, Method::POST, "/Smart/Transactions", "k-1", Some(body.clone())).await;
        let stx = first.ok()["id"].as_str().unwrap().to_owned();
        // another method and path, the same body
        keyed(&app, Method::PUT, &format!("/Smart/Transactions/{stx}"), "k-1", Some(body)).await.assert_error(409, 4102);
        // another path, the same method, no body on either
        let pre = keyed(&app, Method::POST, &format!("/Smart/Transactions/{stx}/preTransaction"), "k-2", None).await;
        pre.ok();
        let r = keyed(&app, Method::POST, &format!("/Smart/Transactions/{stx}/start/cash"), "k-2", None).await;
        r.assert_error(409, 4102);
        assert_eq!(r.header("idempotent-replayed"), None);
        assert_eq!(app.stx(&stx).await["status"], "processing", "the start was not executed");
        // the 409 was not stored: the key still replays its first answer
        let again = keyed(&app, Method::POST, &format!("/Smart/Transactions/{stx}/preTransaction"), "k-2", None).await;
        assert_eq!((again.text.as_str(), again.header("idempotent-replayed")), (pre.text.as_str(), Some("true")));
    }

    async fn a_declined_terminal_payment_is_replayed_as_the_same_402(app: TestApp) {
        let stx = cardless_stx(&app, 1111).await;
        let path = format!("/Smart/Transactions/{stx}/start/cashless");
        let first = keyed(&app, Method::POST, &path, "pay-1111", None).await;
        let b = first.assert_error(402, 4301);
        assert_eq!(b["error"], "ProductPaymentException");
        assert_eq!(first.header("idempotent-replayed"), None);
        let failed = app.stx(&stx).await;
        assert_eq!(failed["status"], "failed");
        let again = keyed(&app, Method::POST, &path, "pay-1111", None).await;
        assert_eq!(again.status.as_u16(), 402);
        assert_eq!(again.text, first.text, "byte-identical body");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.header("x-support-id"), first.body["supportId"].as_str());
        assert_eq!(app.stx(&stx).await, failed, "nothing executed again");
        // without the key the request is executed and meets the failed status
        app.start(&stx, "cashless").await.assert_error(409, 4101);
    }

    async fn a_key_older_than_the_keep_time_executes_again(app: TestApp) {
        let mut app = app;
        let body = card_body(CARD_A, docs_basket(), 796);
        let first = keyed(&app, Method::POST, "/Smart/Transactions", "old-1", Some(body.clone())).await;
        let s1 = first.ok()["id"].as_str().unwrap().to_owned();
        app.server.kill();
        // the record is made 26 h old (the keep time is at least 24 h); the restarted server's
        // purge removes it
        let backdate = "UPDATE idempotency_keys SET created = created - 26 * 3600 WHERE key = 'old-1'";
        {
            use sqlx::Connection;
            let n = match app.backend {
                Backend::Sqlite => {
                    let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
                    sqlx::query(backdate).execute(&mut c).await.unwrap().rows_affected()
                }
                Backend::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
                    sqlx::query(backdate).execute(&mut c).await.unwrap().rows_affected()
                }
            };
            assert_eq!(n, 1);
        }
        app.server = Server::start(&app.db.url, &["--demo"]);
        let mut fresh = None;
        for _ in 0..50 {
            let r = keyed(&app, Method::POST, "/Smart/Transactions", "old-1", Some(body.clone())).await;
            if r.header("idempotent-replayed").is_none() {
                fresh = Some(r);
                break;
            }
            assert_eq!(r.text, first.text);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let fresh = fresh.expect("the expired key was still replayed after 5 s");
        let s2 = fresh.ok()["id"].as_str().unwrap().to_owned();
        assert_ne!(s1, s2, "a new transaction was created");
        let again = keyed(&app, Method::POST, "/Smart/Transactions", "old-1", Some(body)).await;
        assert_eq!((again.text.as_str(), again.header("idempotent-replayed")), (fresh.text.as_str(), Some("true")));
    }
}
