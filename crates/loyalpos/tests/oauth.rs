mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

fn is_token(v: &serde_json::Value) -> bool {
    let t = v.as_str().unwrap_or("");
    t.len() == 26
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

on_both_backends! {
    async fn client_credentials_as_json_form_and_double_slash_returns_a_scoped_token(app: TestApp) {
        let body = json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1});
        let r = app.token_request(body.clone()).await;
        let b = r.ok();
        assert!(is_token(&b["access_token"]));
        assert_eq!(b["expires_in"], 1200);
        assert_eq!(b["token_type"], "bearer");
        assert_eq!(b["scope"], "https://scope.secucard.com/e/api");
        assert!(b.get("refresh_token").is_none());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("pragma"), Some("no-cache"));

        let form = format!("grant_type=client_credentials&client_id={}&client_secret={}", MERCHANT_CLIENT.0, MERCHANT_CLIENT.1);
        let resp = app.http.post(app.url("/oauth/token")).header("Content-Type", "application/x-www-form-urlencoded").body(form).send().await.unwrap();
        let r = TestApp::reply(resp).await;
        assert!(is_token(&r.ok()["access_token"]));

        let resp = app.http.post(format!("{}//oauth/token", app.server.base)).json(&body).send().await.unwrap();
        let r = TestApp::reply(resp).await;
        let token = r.ok()["access_token"].as_str().unwrap().to_owned();
        let me = app.get("/General/Merchants/me", &token).await;
        assert_eq!(me.ok()["user"]["companyname"], "John's Bakery");
    }

    async fn wrong_secret_unknown_grant_and_disabled_grant_answer_oauth_errors(app: TestApp) {
        let r = app.token_request(json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": "nope"})).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"], "invalid_client");
        assert!(r.body["error_description"].is_string());
        let r = app.token_request(json!({"grant_type": "password", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1})).await;
        assert_eq!(r.body["error"], "unsupported_grant_type");
        // the terminal vendor client may only use device_pin
        let r = app.token_request(json!({"grant_type": "client_credentials", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1})).await;
        assert_eq!(r.body["error"], "unsupported_grant_type");
        let r = app.token_request(json!({"client_id": MERCHANT_CLIENT.0})).await;
        assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (400, Some("invalid_request")));
        let resp = app.http.post(app.url("/oauth/token")).body("{not json").send().await.unwrap();
        let r = TestApp::reply(resp).await;
        assert_eq!(r.body["error"], "invalid_request");
        let r = app.send(Method::GET, "/oauth/token", None, None).await;
        r.assert_error(405, 2005);
    }

    async fn device_flow_waits_for_cli_confirmation_then_issues_a_refreshable_token_once(app: TestApp) {
        let step_a = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "uuid": "/vendor/acme/cashier/7"})).await;
        let a = step_a.ok().clone();
        let code = a["device_code"].as_str().unwrap().to_owned();
        let user_code = a["user_code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 32);
        assert_eq!(user_code.len(), 8);
        assert_eq!(a["verification_url"], "http://www.secuoffice.com");
        assert_eq!((a["expires_in"].as_i64(), a["interval"].as_i64()), (Some(1200), Some(5)));

        let poll = json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "code": code});
        let pending = app.token_request(poll.clone()).await;
        assert_eq!(pending.status, 401);
        assert_eq!(pending.body["error"], "authorization_pending");

        let out = app.cli(&["device", "confirm", &user_code, "--merchant", MERCHANT]);
        let device_id = out.trim().rsplit(' ').next().unwrap().to_owned();

        let granted = app.token_request(poll.clone()).await;
        let g = granted.ok().clone();
        assert!(is_token(&g["access_token"]));
        assert_eq!(g["scope"], serde_json::Value::Null);
        let refresh = g["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(refresh.len(), 40);
        let token = g["access_token"].as_str().unwrap();
        let device = app.get(&format!("/Smart/Devices/{device_id}"), token).await;
        let d = device.ok();
        assert_eq!((d["type"].as_str(), d["vendor"].as_str()), (Some("cashier"), Some("acme")));
        assert_eq!(d["vendor_uid"], "/vendor/acme/cashier/7");
        assert_eq!(d["store"]["id"], STORE);
        assert_eq!(d["online"], true);

        let again = app.token_request(poll).await;
        assert_eq!((again.status.as_u16(), again.body["error"].as_str()), (400, Some("invalid_grant")));

        // refresh revokes the previous access token of the device authorisation at once
        let renewed = app.token_request(json!({"grant_type": "refresh_token", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "refresh_token": refresh})).await;
        let t2 = renewed.ok()["access_token"].as_str().unwrap().to_owned();
        assert!(renewed.body.get("refresh_token").is_none());
        app.get("/General/Merchants/me", token).await.assert_error(401, 2003);
        app.get("/General/Merchants/me", &t2).await.ok();
    }

    async fn java_sdk_field_order_for_the_device_flow_behaves_the_same(app: TestApp) {
        let step_a = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "code": "/vendor/java/cashier/1"})).await;
        let a = step_a.ok().clone();
        let poll = json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "uuid": a["device_code"]});
        assert_eq!(app.token_request(poll.clone()).await.body["error"], "authorization_pending");
        app.cli(&["device", "confirm", a["user_code"].as_str().unwrap(), "--merchant", MERCHANT, "--store", STORE]);
        let g = app.token_request(poll).await;
        assert!(g.ok()["refresh_token"].is_string());
    }

    async fn docs_device_code_and_refresh_token_work_and_revoke_the_previous_token_not_the_pinned_one(app: TestApp) {
        let poll = json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "code": "2429e1d92f2f76cc3bbdc0333457ef25"});
        let t3 = app.token_request(poll.clone()).await;
        let t3b = t3.ok().clone();
        assert_eq!(t3b["refresh_token"], "d3aece0996cee981609cab15653db0e9bc9ef804");
        let t3 = t3b["access_token"].as_str().unwrap().to_owned();
        let t4 = app.token_request(json!({"grant_type": "refresh_token", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "refresh_token": "d3aece0996cee981609cab15653db0e9bc9ef804"})).await;
        let t4 = t4.ok()["access_token"].as_str().unwrap().to_owned();
        let r = app.get("/General/Merchants/me", &t3).await;
        r.assert_error(401, 2003);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_eq!(r.body["error"], "ProductNotAllowedException");
        assert_eq!(r.body["error_details"], "Valid auth token required");
        app.get("/General/Merchants/me", &t4).await.ok();
        app.get("/General/Merchants/me", PINNED).await.ok();
        // the docs' code is never consumed
        assert!(app.token_request(poll).await.ok()["access_token"].is_string());
        // a refresh token of another client is refused
        let r = app.token_request(json!({"grant_type": "refresh_token", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1, "refresh_token": "d3aece0996cee981609cab15653db0e9bc9ef804"})).await;
        assert_eq!(r.body["error"], "invalid_grant");
    }

    async fn device_pin_grant_returns_a_device_token_and_rejects_a_wrong_pin(app: TestApp) {
        let body = json!({"grant_type": "device_pin", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1, "uuid": "/vendor/ingenico/serial/17275wl26695664", "device_pin": "CxajtF94uLi4s7d3"});
        let r = app.token_request(body.clone()).await;
        let b = r.ok().clone();
        assert_eq!(b["scope"], serde_json::Value::Null);
        assert!(b.get("refresh_token").is_none());
        let token = b["access_token"].as_str().unwrap();
        // a device token may not change a store (rights table)
        app.put(&format!("/General/Stores/{STORE}"), token, json!({"name": "x"})).await.assert_error(403, 2004);
        let mut wrong = body.clone();
        wrong["device_pin"] = json!("wrong-pin-123");
        assert_eq!(app.token_request(wrong).await.body["error"], "invalid_grant");
        let mut unknown = body;
        unknown["uuid"] = json!("/vendor/none/serial/0");
        assert_eq!(app.token_request(unknown).await.body["error"], "invalid_grant");
    }

    async fn appuser_login_returns_a_refresh_token_and_a_user_token(app: TestApp) {
        let r = app.token_request(json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1, "username": "johns-bakery", "password": "demo", "device": "x", "deviceinfo": {"name": "iPad"}})).await;
        let b = r.ok().clone();
        assert_eq!(b["refresh_token"].as_str().unwrap().len(), 40);
        app.get("/General/Merchants/me", b["access_token"].as_str().unwrap()).await.ok();
        let renewed = app.token_request(json!({"grant_type": "refresh_token", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1, "refresh_token": b["refresh_token"]})).await;
        renewed.ok();
        app.get("/General/Merchants/me", b["access_token"].as_str().unwrap()).await.assert_error(401, 2003);
        let bad = app.token_request(json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1, "username": "johns-bakery", "password": "wrong"})).await;
        assert_eq!(bad.body["error"], "invalid_grant");
    }
}

/// The rule, without waiting for it: a token issued at `t` with lifetime `L` answers `expires_in: L`
/// and is valid while `now < t + L`. With `L = 0` it has expired the moment it is issued (401/2003
/// on its first use); with the default lifetime it is valid; the pinned demo token never expires.
#[tokio::test]
async fn expired_tokens_answer_401_2003() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--demo", "--token-ttl", "0"])
        .await
        .unwrap();
    let r = app
        .token_request(json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1}))
        .await;
    assert_eq!(r.ok()["expires_in"], 0);
    let token = r.body["access_token"].as_str().unwrap();
    app.get("/General/Merchants/me", token)
        .await
        .assert_error(401, 2003);
    // the pinned demo token never expires
    app.get("/General/Merchants/me", PINNED).await.ok();

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let r = app
        .token_request(json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1}))
        .await;
    assert_eq!(r.ok()["expires_in"], 1200);
    let token = r.body["access_token"].as_str().unwrap();
    app.get("/General/Merchants/me", token).await.ok();
}

#[tokio::test]
async fn appuser_grant_can_be_switched_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--demo", "--disable-appuser"])
        .await
        .unwrap();
    let r = app.token_request(json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1, "username": "johns-bakery", "password": "demo"})).await;
    assert_eq!(r.body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_register_moving_from_secuconnect_keeps_its_client_credentials() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let out = app.cli(&["merchant", "create", "--name", "Moved Bakery"]);
    let merchant = out
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_owned();
    let id = "0123456789abcdef0123456789abcdef";
    let secret = "existing-secret-from-secuconnect";
    let printed = app.cli(&[
        "client",
        "create",
        "--merchant",
        &merchant,
        "--client-id",
        id,
        "--client-secret",
        secret,
    ]);
    assert!(printed.contains(id));
    let r = app
        .token_request(
            json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
        )
        .await;
    let token = r.ok()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/General/Merchants/me", &token).await.ok()["user"]["companyname"],
        "Moved Bakery"
    );
    // the same id cannot be registered twice
    let (ok, _) = cli_status(
        &app.db.url,
        &[
            "client",
            "create",
            "--merchant",
            &merchant,
            "--client-id",
            id,
            "--client-secret",
            "x",
        ],
    );
    assert!(!ok);
}
