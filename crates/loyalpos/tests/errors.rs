mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

on_both_backends! {
    async fn unknown_route_wrong_method_and_bad_token_answer_the_envelope(app: TestApp) {
        let r = app.get("/Payment/Customers", PINNED).await;
        let b = r.assert_error(404, 3001);
        assert_eq!(b["error"], "ProductNotFoundException");
        assert_eq!(b["error_user"], "Das Objekt wurde nicht gefunden (Code 3001)");
        let r = app.send(Method::DELETE, "/General/Stores", Some(PINNED), None).await;
        r.assert_error(405, 2005);
        assert!(r.header("allow").unwrap().contains("GET"));
        let r = app.get("/General/Merchants/me", "wrongtoken").await;
        r.assert_error(401, 2003);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        app.send(Method::GET, "/General/Merchants/me", None, None).await.assert_error(401, 2003);
    }

    async fn authenticate_header_and_case_insensitive_paths_are_accepted(app: TestApp) {
        let resp = app.http.get(format!("{}/api/v2/general/merchants/ME", app.server.base))
            .header("Authenticate", format!("bearer {PINNED}")).send().await.unwrap();
        let r = TestApp::reply(resp).await;
        assert_eq!(r.ok()["id"], MERCHANT);
        assert_eq!(r.header("x-support-id").map(str::len), Some(32));
        // Authorization wins over Authenticate
        let resp = app.http.get(app.url("/General/Merchants/me"))
            .header("Authorization", "Bearer wrong").header("Authenticate", format!("Bearer {PINNED}"))
            .send().await.unwrap();
        TestApp::reply(resp).await.assert_error(401, 2003);
    }

    async fn malformed_bodies_are_4001_and_oversized_bodies_413(app: TestApp) {
        let token = app.merchant_token().await;
        let url = app.url(&format!("/General/Stores/{STORE}"));
        let send = |body: &'static str| app.http.put(url.clone()).bearer_auth(token.clone()).header("Content-Type", "application/json").body(body).send();
        TestApp::reply(send("{\"name\": ").await.unwrap()).await.assert_error(400, 4001);
        let r = TestApp::reply(send("{\"name\": \"a\", \"name\": \"b\"}").await.unwrap()).await;
        assert!(r.assert_error(400, 4001)["error_details"].as_str().unwrap().contains("duplicate"));
        let r = TestApp::reply(send("{\"name\": 5}").await.unwrap()).await;
        assert!(r.assert_error(400, 4001)["error_details"].as_str().unwrap().starts_with("name"));
        // an empty body sent with Content-Type: application/json is "no body"
        let resp = app.http.post(app.url(&format!("/General/Stores/{STORE}/setDefault"))).bearer_auth(&token)
            .header("Content-Type", "application/json").body("").send().await.unwrap();
        assert_eq!(TestApp::reply(resp).await.ok()["result"], true);
        // annotated JSON from the docs is tolerated
        let resp = app.http.put(url).bearer_auth(&token).body("{\"name\": \"John's Bakery\", // the name\n}").send().await.unwrap();
        TestApp::reply(resp).await.ok();
    }

    async fn malformed_path_ids_are_4003_and_unknown_ids_3001(app: TestApp) {
        app.get("/General/Stores/STO_abc", PINNED).await.assert_error(400, 4003);
        app.get("/General/Stores/STO_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/General/Merchants/MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
    }

    async fn another_merchants_objects_answer_404_like_unknown_ids(app: TestApp) {
        let out = app.cli(&["merchant", "create", "--name", "Other Bakery"]);
        let other = out.lines().next().unwrap().split(' ').nth(1).unwrap().to_owned();
        let other_store = out.lines().nth(1).unwrap().split(' ').nth(1).unwrap().to_owned();
        let creds = app.cli(&["client", "create", "--merchant", &other, "--grants", "client_credentials"]);
        let id = creds.lines().next().unwrap().split(' ').nth(1).unwrap().to_owned();
        let secret = creds.lines().nth(1).unwrap().split(' ').nth(1).unwrap().to_owned();
        let r = app.token_request(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})).await;
        let token = r.ok()["access_token"].as_str().unwrap().to_owned();

        let me = app.get("/General/Merchants/me", &token).await;
        assert_eq!(me.ok()["user"]["companyname"], "Other Bakery");
        assert_eq!(me.body["store_name"], "Other Bakery");
        let list = app.get("/General/Merchants", &token).await;
        assert_eq!(list.ok()["count"], 1);
        assert_eq!(list.body["data"][0]["id"], other.as_str());
        app.get(&format!("/General/Merchants/{MERCHANT}"), &token).await.assert_error(404, 3001);
        app.get(&format!("/General/Stores/{STORE}"), &token).await.assert_error(404, 3001);
        app.get(&format!("/Smart/Devices/{CASH_REGISTER}"), &token).await.assert_error(404, 3001);
        app.put(&format!("/General/Stores/{STORE}"), &token, json!({"name": "stolen"})).await.assert_error(404, 3001);
        app.get(&format!("/General/Stores/{other_store}"), PINNED).await.assert_error(404, 3001);
        let stores = app.get("/General/Stores", &token).await;
        assert_eq!(stores.ok()["count"], 1);
    }

    async fn health_and_ready_answer_without_a_token(app: TestApp) {
        assert_eq!(app.send(Method::GET, "/health", None, None).await.ok()["status"], "ok");
        assert_eq!(app.send(Method::GET, "/ready", None, None).await.ok()["status"], "ready");
    }
}

#[tokio::test]
async fn bodies_over_the_configured_limit_are_413_before_parsing() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--demo", "--body-limit", "2048"])
        .await
        .unwrap();
    let big = format!("{{\"name\": \"{}\"", "x".repeat(3000));
    let resp = app
        .http
        .post(app.url("/Smart/Devices"))
        .bearer_auth(PINNED)
        .body(big)
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await.assert_error(413, 4004);
    let at_limit = format!("{{\"name\": \"{}\"}}", "x".repeat(1000));
    let resp = app
        .http
        .put(app.url(&format!("/General/Stores/{STORE}")))
        .bearer_auth(PINNED)
        .body(at_limit)
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await.assert_error(403, 2004);
}

/// The rule of fixed one-second windows per API client, not a timing: a fresh client's first 3
/// requests are admitted whenever they come; its window opens at the first request, so every later
/// request answered within a second of sending that first one is refused with 429/2006 and
/// `Retry-After: 1`. (A very slow machine may answer nothing within that second; then another
/// server tries again.)
#[tokio::test]
async fn the_per_client_rate_limit_answers_429_with_retry_after() {
    for _attempt in 0..5 {
        let app = TestApp::spawn_with(Backend::Sqlite, &["--demo", "--rate-limit", "3"])
            .await
            .unwrap();
        let first_sent = std::time::Instant::now();
        let mut within_the_window = Vec::new();
        for i in 0..6 {
            let r = app.get("/General/Merchants/me", PINNED).await;
            if i < 3 {
                r.ok();
            } else if first_sent.elapsed() < std::time::Duration::from_secs(1) {
                within_the_window.push(r);
            }
        }
        if within_the_window.is_empty() {
            continue;
        }
        for r in &within_the_window {
            r.assert_error(429, 2006);
            assert_eq!(r.header("retry-after"), Some("1"));
        }
        // another API client has its own budget
        let token = app.merchant_token().await;
        app.get("/General/Merchants/me", &token).await.ok();
        return;
    }
    panic!("in 5 tries, no request after the third was answered within a second of the first");
}

#[tokio::test]
async fn oversized_headers_are_refused_with_413() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let resp = app
        .http
        .get(app.url("/General/Merchants/me"))
        .bearer_auth(PINNED)
        .header("X-Padding", "x".repeat(17 * 1024))
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await.assert_error(413, 4004);
}
