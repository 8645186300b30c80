//! What sits around every route (issue 14, items 4–6 and 9): HEAD like GET, compressed answers,
//! CORS for browser registers, a leading byte-order mark in bodies, and a serve that checks its port
//! before it seeds anything.

mod common;

use std::io::Read;
use std::process::Command;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const KASSE: &str = "https://kasse.example:8443";

on_both_backends! {
    async fn head_answers_like_get_without_a_body(app: TestApp) {
        for (path, token) in [("/health", None), ("/General/Merchants/me", Some(PINNED))] {
            let get = app.send(Method::GET, path, token, None).await;
            get.ok();
            let mut head = app.http.head(app.url(path));
            if let Some(t) = token {
                head = head.header("Authorization", format!("Bearer {t}"));
            }
            let head = head.send().await.unwrap();
            assert_eq!(head.status(), 200, "{path}");
            assert_eq!(
                head.headers()["content-length"].to_str().unwrap(),
                get.text.len().to_string(),
                "{path}: HEAD announces the GET body's length"
            );
            assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
        }
    }

    async fn a_refused_method_lists_head_beside_get(app: TestApp) {
        let r = app.send(Method::DELETE, "/General/Merchants/me", Some(PINNED), None).await;
        r.assert_error(405, 2005);
        let allow = r.header("allow").unwrap();
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }

    async fn answers_are_gzip_or_br_when_the_client_accepts_them(app: TestApp) {
        let plain = app.get("/Smart/Transactions?count=5", PINNED).await;
        plain.ok();
        assert!(plain.text.len() > 1000, "a list worth compressing");
        assert_eq!(plain.header("content-encoding"), None);
        for encoding in ["gzip", "br"] {
            let resp = app
                .http
                .get(app.url("/Smart/Transactions?count=5"))
                .header("Authorization", format!("Bearer {PINNED}"))
                .header("Accept-Encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["content-encoding"], encoding);
            let compressed = resp.bytes().await.unwrap();
            assert!(compressed.len() < plain.text.len(), "{encoding} is smaller");
            let text = decompress(encoding, &compressed);
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["count"], plain.body["count"]);
            assert_eq!(body["data"][0]["id"], plain.body["data"][0]["id"]);
        }
    }

    async fn a_body_with_a_byte_order_mark_is_read_like_one_without(app: TestApp) {
        let bom = |text: String| [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let create = app
            .http
            .post(app.url("/Smart/Transactions"))
            .header("Authorization", format!("Bearer {PINNED}"))
            .header("Content-Type", "application/json")
            .body(bom(card_body(CARD_A, docs_basket(), 796).to_string()))
            .send()
            .await
            .unwrap();
        let created = TestApp::reply(create).await;
        assert_eq!(created.ok()["basket_info"]["sum"], 796);

        let json_grant = json!({"grant_type": "client_credentials",
            "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1});
        let form_grant = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            MERCHANT_CLIENT.0, MERCHANT_CLIENT.1
        );
        for (content_type, body) in [
            ("application/json", json_grant.to_string()),
            ("application/x-www-form-urlencoded", form_grant),
        ] {
            let resp = app
                .http
                .post(app.url("/oauth/token"))
                .header("Content-Type", content_type)
                .body(bom(body))
                .send()
                .await
                .unwrap();
            let token = TestApp::reply(resp).await;
            assert!(token.ok()["access_token"].is_string(), "{content_type}");
        }
    }
}

fn decompress(encoding: &str, bytes: &[u8]) -> String {
    let mut text = String::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap(),
        _ => brotli::Decompressor::new(bytes, 4096)
            .read_to_string(&mut text)
            .unwrap(),
    };
    text
}

async fn spawn_sqlite(args: &[&str]) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, args).await.unwrap()
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.http
        .request(Method::OPTIONS, app.url("/Smart/Transactions"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_named_cors_origin_gets_preflights_and_readable_answers() {
    let app = spawn_sqlite(&["--demo", "--cors-origin", KASSE]).await;
    let pre = preflight(&app, KASSE).await;
    assert_eq!(pre.status(), 200);
    assert_eq!(header(&pre, "access-control-allow-origin"), Some(KASSE));
    assert_eq!(
        header(&pre, "access-control-allow-credentials"),
        Some("true")
    );
    let methods = header(&pre, "access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PUT"),
        "{methods}"
    );
    let headers = header(&pre, "access-control-allow-headers").unwrap();
    assert!(headers.contains("idempotency-key") && headers.contains("authorization"));

    let get = app
        .http
        .get(app.url("/General/Merchants/me"))
        .header("Origin", KASSE)
        .header("Authorization", format!("Bearer {PINNED}"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(header(&get, "access-control-allow-origin"), Some(KASSE));
    assert!(
        header(&get, "access-control-expose-headers")
            .unwrap()
            .contains("x-support-id")
    );

    let stranger = preflight(&app, "https://evil.example").await;
    assert_eq!(header(&stranger, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_star_cors_origin_admits_any_origin_without_credentials() {
    let app = spawn_sqlite(&["--demo", "--cors-origin", "*"]).await;
    let pre = preflight(&app, "https://any.example").await;
    assert_eq!(pre.status(), 200);
    assert_eq!(header(&pre, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&pre, "access-control-allow-credentials"), None);
}

#[tokio::test]
async fn without_cors_origins_no_cors_header_is_sent() {
    let app = spawn_sqlite(&["--demo"]).await;
    let get = app
        .http
        .get(app.url("/health"))
        .header("Origin", KASSE)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(header(&get, "access-control-allow-origin"), None);
    let pre = preflight(&app, KASSE).await;
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn serve_refuses_star_with_named_origins_and_non_origins() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    for origins in [vec!["*", KASSE], vec!["kasse.example"]] {
        let args: Vec<&str> = origins.iter().flat_map(|o| ["--cors-origin", o]).collect();
        let stderr = serve_fails(&db, &args);
        assert!(stderr.contains("--cors-origin"), "{stderr}");
    }
}

#[tokio::test]
async fn serve_on_a_taken_port_seeds_no_demo_tenant() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let listen = format!("127.0.0.1:{port}");
    let out = Command::new(binary())
        .args([
            "serve",
            "--stomp-listen",
            "off",
            "--demo",
            "--listen",
            &listen,
            "--database",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&listen), "{stderr}");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let merchants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM merchants")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(merchants, 0, "nothing seeded before the port was known");
}
