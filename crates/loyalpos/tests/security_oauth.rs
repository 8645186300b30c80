//! Issue 11 items 10 and 11: device codes tell nothing about other clients' codes; user passwords
//! are Argon2id (old hashes upgraded at sign-in); failed sign-ins are limited per client and address.
mod common;
use common::*;
use serde_json::{Value, json};

/// `password` = `altes-passwort`, hashed the way loyalpos did before Argon2id (salted SHA-256).
const OLD_HASH: &str = "s256$00112233445566778899aabbccddeeff$9ee8928927dc915c96f23487fc5e274d5068479e12a58ad9cfd9ccdc53685618";

fn value_of(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{label} ")))
        .unwrap_or_else(|| panic!("no `{label}` line in {out:?}"))
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

fn poll(client: (&str, &str), code: &str) -> Value {
    json!({"grant_type": "device", "client_id": client.0, "client_secret": client.1, "code": code})
}

async fn stored_password_hash(app: &TestApp, username: &str) -> String {
    use sqlx::{Connection, Row};
    let sql = format!("SELECT password_hash FROM users WHERE username = '{username}'");
    if app.db.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::query(&sql).fetch_one(&mut c).await.unwrap().get(0)
    } else {
        let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query(&sql).fetch_one(&mut c).await.unwrap().get(0)
    }
}

fn appuser(username: &str, password: &str) -> Value {
    json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1,
        "username": username, "password": password})
}

on_both_backends! {
    async fn an_unknown_a_foreign_and_a_used_device_code_get_one_answer(app: TestApp) {
        let out = app.cli(&["client", "create", "--merchant", MERCHANT, "--grants", "device"]);
        let other = (value_of(&out, "client_id"), value_of(&out, "client_secret"));
        let other = (other.0.as_str(), other.1.as_str());
        let a = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
            "client_secret": VENDOR_CLIENT.1, "uuid": "/vendor/acme/cashier/oracle"})).await;
        let code = a.ok()["device_code"].as_str().unwrap().to_owned();
        let user_code = a.body["user_code"].as_str().unwrap().to_owned();

        let unknown = app.token_request(poll(other, "0123456789abcdef0123456789abcdef")).await;
        let foreign = app.token_request(poll(other, &code)).await;
        assert_eq!(unknown.status.as_u16(), 400);
        assert_eq!((foreign.status, &foreign.body), (unknown.status, &unknown.body));
        assert_eq!(unknown.body, json!({"error": "invalid_grant", "error_description": "unknown or used device code"}));

        app.cli(&["device", "confirm", &user_code, "--merchant", MERCHANT]);
        app.token_request(poll(VENDOR_CLIENT, &code)).await.ok();
        let used = app.token_request(poll(VENDOR_CLIENT, &code)).await;
        assert_eq!((used.status, &used.body), (unknown.status, &unknown.body));
    }

    async fn user_passwords_are_argon2id_and_an_old_hash_is_upgraded_at_the_next_sign_in(app: TestApp) {
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "anna", "--password", "geheim"]);
        let stored = stored_password_hash(&app, "anna").await;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(!stored.contains("geheim"));
        app.token_request(appuser("anna", "geheim")).await.ok();

        raw_sql(&app.db.url, &format!("UPDATE users SET password_hash = '{OLD_HASH}' WHERE username = 'anna'")).await;
        let wrong = app.token_request(appuser("anna", "falsch")).await;
        assert_eq!(wrong.body["error"], "invalid_grant");
        assert_eq!(stored_password_hash(&app, "anna").await, OLD_HASH, "a failed sign-in changes nothing");
        app.token_request(appuser("anna", "altes-passwort")).await.ok();
        let upgraded = stored_password_hash(&app, "anna").await;
        assert!(upgraded.starts_with("$argon2id$"), "{upgraded}");
        app.token_request(appuser("anna", "altes-passwort")).await.ok();
        assert_eq!(stored_password_hash(&app, "anna").await, upgraded, "upgraded once");
    }
}

#[tokio::test]
async fn failed_sign_ins_of_one_client_are_limited_with_retry_after() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let wrong = json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": "wrong"});
    for _ in 0..10 {
        let r = app.token_request(wrong.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.body["error"].as_str()),
            (400, Some("invalid_client"))
        );
    }
    let limited = app.token_request(wrong.clone()).await;
    limited.assert_error(429, 2006);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // the right secret waits too: the client's window is used up
    let right = json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1});
    app.token_request(right).await.assert_error(429, 2006);
    // another client from the same address is not affected, and successes never count
    for _ in 0..12 {
        let r = app
            .token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
            "client_secret": VENDOR_CLIENT.1, "code": "2429e1d92f2f76cc3bbdc0333457ef25"}))
            .await;
        r.ok();
    }
}

#[tokio::test]
async fn failed_sign_ins_from_one_address_are_limited_whatever_client_they_name() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for i in 0..30 {
        let r = app
            .token_request(json!({"grant_type": "client_credentials",
            "client_id": format!("guessed{i:025}"), "client_secret": "x"}))
            .await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    }
    let right = json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1});
    let limited = app.token_request(right).await;
    limited.assert_error(429, 2006);
    assert!(limited.header("retry-after").is_some());
    // the API itself is not limited by failed sign-ins
    app.get("/General/Merchants/me", PINNED).await.ok();
}
