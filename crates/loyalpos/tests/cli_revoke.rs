//! The operator lists and revokes credentials with the CLI while a server runs on the same
//! database: `client list|revoke`, `device list|revoke`, `user list|disable`, `token revoke`.
//! The CLI is another process, so the server sees a revocation within its token cache's second
//! (README "Caches"): every test polls for it and bounds the wait.
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// The cache keeps a token at most 1 s; the rest is the poll's own request time on a busy machine.
const LIMIT: Duration = Duration::from_millis(1_600);

/// Runs an operator command that must fail; returns its stderr.
fn cli_fails(app: &TestApp, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .args(["--database", &app.db.url])
        .env("LOYALPOS_LOG", "error")
        .output()
        .expect("run loyalpos");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "loyalpos {args:?} must fail");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// `client create` for the demo merchant with these grants; returns (client_id, client_secret).
fn new_client(app: &TestApp, grants: &str) -> (String, String) {
    let out = app.cli(&[
        "client",
        "create",
        "--merchant",
        MERCHANT,
        "--grants",
        grants,
    ]);
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .trim()
            .to_owned()
    };
    (field("client_id "), field("client_secret "))
}

async fn grant(app: &TestApp, body: Value) -> Reply {
    app.token_request(body).await
}

fn access_token(r: &Reply) -> String {
    r.ok()["access_token"].as_str().unwrap().to_owned()
}

/// Asserts that the token works now (and so is in the server's cache).
async fn works(app: &TestApp, token: &str) {
    app.get("/General/Merchants/me", token).await.ok();
}

/// Polls until the token is refused with 401/2003; returns how long that took.
async fn refused_soon(app: &TestApp, token: &str, since: Instant) -> Duration {
    loop {
        let r = app.get("/General/Merchants/me", token).await;
        if r.status.as_u16() == 401 {
            r.assert_error(401, 2003);
            return since.elapsed();
        }
        r.ok();
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "the token still works 5 s after its revocation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The list line of `id` (tab-separated: id, merchant, created, state, …).
fn line_of<'a>(list: &'a str, id: &str) -> Vec<&'a str> {
    list.lines()
        .find(|l| l.split('\t').next() == Some(id))
        .unwrap_or_else(|| panic!("{id} missing in the list:\n{list}"))
        .split('\t')
        .collect()
}

fn oauth_error(r: &Reply, error: &str) {
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
}

/// A device of the demo merchant registered through the device flow with a client of its own;
/// returns (device id, access token, refresh token, client).
async fn registered_device(
    app: &TestApp,
    uuid: &str,
) -> (String, String, String, (String, String)) {
    let client = new_client(app, "device,refresh_token,device_pin");
    let (device, token, refresh) = register(app, &client, uuid).await.expect("registered");
    (device, token, refresh, client)
}

/// Step A, `device confirm`, step B. `Err(stderr)` when the confirmation is refused.
async fn register(
    app: &TestApp,
    client: &(String, String),
    uuid: &str,
) -> Result<(String, String, String), String> {
    let a = grant(app, json!({"grant_type": "device", "client_id": client.0, "client_secret": client.1, "uuid": uuid})).await;
    let a = a.ok().clone();
    let code = a["user_code"].as_str().unwrap();
    let out = Command::new(binary())
        .args([
            "device",
            "confirm",
            code,
            "--merchant",
            MERCHANT,
            "--database",
            &app.db.url,
        ])
        .env("LOYALPOS_LOG", "error")
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let device = stdout
        .trim()
        .strip_prefix("confirmed: device ")
        .unwrap()
        .to_owned();
    let b = grant(app, json!({"grant_type": "device", "client_id": client.0, "client_secret": client.1, "code": a["device_code"]})).await;
    let b = b.ok().clone();
    Ok((
        device,
        b["access_token"].as_str().unwrap().to_owned(),
        b["refresh_token"].as_str().unwrap().to_owned(),
    ))
}

async fn refresh(app: &TestApp, client: &(String, String), refresh_token: &str) -> Reply {
    grant(app, json!({"grant_type": "refresh_token", "client_id": client.0, "client_secret": client.1, "refresh_token": refresh_token})).await
}

on_both_backends! {
    async fn a_revoked_client_s_token_fails_within_a_second_on_a_running_server_and_it_gets_no_new_one(app: TestApp) {
        let (id, secret) = new_client(&app, "client_credentials");
        let body = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret});
        let token = access_token(&grant(&app, body.clone()).await);
        works(&app, &token).await;
        let before = app.cli(&["client", "list", "--merchant", MERCHANT]);
        let line = line_of(&before, &id);
        assert_eq!((line[1], line[3], line[4]), (MERCHANT, "active", "client_credentials"));
        assert!(line[2].starts_with("20"), "created: {line:?}");

        let out = app.cli(&["client", "revoke", &id]);
        let revoked = Instant::now();
        assert!(out.contains(&format!("client {id} revoked")), "{out}");
        assert!(out.contains("1 access tokens"), "{out}");
        let took = refused_soon(&app, &token, revoked).await;
        assert!(took < LIMIT, "the revoked client's token worked for {took:?}");
        oauth_error(&grant(&app, body).await, "invalid_client");

        let after = app.cli(&["client", "list", "--merchant", MERCHANT]);
        let line = line_of(&after, &id);
        assert_eq!(line[1], MERCHANT);
        assert!(line[3].starts_with("revoked since "), "{line:?}");
        assert_eq!(line_of(&after, MERCHANT_CLIENT.0)[3], "active", "other clients stay active");
        // revoking again changes nothing and says so
        let again = app.cli(&["client", "revoke", &id]);
        assert!(again.contains("was already revoked"), "{again}");
    }

    async fn a_revoked_device_loses_its_tokens_and_refresh_token_and_cannot_sign_in_or_register_again(app: TestApp) {
        let uuid = "/vendor/acme/cashier/revoked-1";
        let (device, flow_token, refresh_token, client) = registered_device(&app, uuid).await;
        let merchant = app.merchant_token().await;
        let pin = app.put(&format!("/Smart/Devices/{device}/devicePin"), &merchant, json!({"merchant_id": MERCHANT, "pin": "longenough1"})).await;
        pin.ok();
        let pin_body = json!({"grant_type": "device_pin", "client_id": client.0, "client_secret": client.1, "uuid": uuid, "device_pin": "longenough1"});
        let pin_token = access_token(&grant(&app, pin_body.clone()).await);
        works(&app, &flow_token).await;
        works(&app, &pin_token).await;
        assert_eq!(line_of(&app.cli(&["device", "list", "--merchant", MERCHANT]), &device)[3], "active");

        let out = app.cli(&["device", "revoke", &device]);
        let revoked = Instant::now();
        assert!(out.contains(&format!("device {device} revoked")), "{out}");
        assert!(out.contains("2 access tokens and 2 refresh tokens"), "{out}");
        for token in [&flow_token, &pin_token] {
            let took = refused_soon(&app, token, revoked).await;
            assert!(took < LIMIT, "the revoked device's token worked for {took:?}");
        }
        oauth_error(&refresh(&app, &client, &refresh_token).await, "invalid_grant");
        oauth_error(&grant(&app, pin_body).await, "invalid_grant");
        let err = register(&app, &client, uuid).await.expect_err("a revoked device is not registered again");
        assert!(err.contains(&format!("device {device} was revoked")), "{err}");
        let list = app.cli(&["device", "list"]);
        let line = line_of(&list, &device);
        assert_eq!(line[1], MERCHANT);
        assert!(line[3].starts_with("revoked since "), "{line:?}");
        assert_eq!(line[5], uuid);
    }

    async fn token_revoke_of_a_device_ends_its_access_token_while_its_refresh_token_still_works(app: TestApp) {
        let (device, token, refresh_token, client) = registered_device(&app, "/vendor/acme/cashier/tokens-1").await;
        works(&app, &token).await;
        let out = app.cli(&["token", "revoke", "--device", &device]);
        let revoked = Instant::now();
        assert!(out.contains(&format!("1 access tokens of device {device} revoked")), "{out}");
        let took = refused_soon(&app, &token, revoked).await;
        assert!(took < LIMIT, "the revoked token worked for {took:?}");
        let renewed = access_token(&refresh(&app, &client, &refresh_token).await);
        works(&app, &renewed).await;
        assert_eq!(line_of(&app.cli(&["device", "list"]), &device)[3], "active");
    }

    async fn token_revoke_of_a_client_ends_its_tokens_while_the_client_signs_in_again(app: TestApp) {
        let (id, secret) = new_client(&app, "client_credentials");
        let body = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret});
        let first = access_token(&grant(&app, body.clone()).await);
        let second = access_token(&grant(&app, body.clone()).await);
        let other = app.merchant_token().await;
        for t in [&first, &second, &other] {
            works(&app, t).await;
        }
        let out = app.cli(&["token", "revoke", "--client", &id]);
        let revoked = Instant::now();
        assert!(out.contains(&format!("2 access tokens of client {id} revoked")), "{out}");
        for t in [&first, &second] {
            let took = refused_soon(&app, t, revoked).await;
            assert!(took < LIMIT, "a revoked token worked for {took:?}");
        }
        works(&app, &other).await;
        works(&app, &access_token(&grant(&app, body).await)).await;
    }

    async fn a_disabled_user_s_token_fails_within_a_second_and_the_appuser_grant_refuses_it(app: TestApp) {
        let user_id = app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "anna-kasse", "--password", "Anna's password"]);
        let user_id = user_id.trim().strip_prefix("user ").unwrap().to_owned();
        let sign_in = json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1,
            "username": "anna-kasse", "password": "Anna's password"});
        let r = grant(&app, sign_in.clone()).await;
        let token = access_token(&r);
        let refresh_token = r.body["refresh_token"].as_str().unwrap().to_owned();
        works(&app, &token).await;
        let listed = app.cli(&["user", "list", "--merchant", MERCHANT]);
        assert_eq!(line_of(&listed, &user_id)[3..], ["active", "anna-kasse"]);

        let out = app.cli(&["user", "disable", "anna-kasse"]);
        let disabled = Instant::now();
        assert!(out.contains(&format!("user {user_id} disabled")), "{out}");
        let took = refused_soon(&app, &token, disabled).await;
        assert!(took < LIMIT, "the disabled user's token worked for {took:?}");
        oauth_error(&grant(&app, sign_in).await, "invalid_grant");
        let client = (MERCHANT_CLIENT.0.to_owned(), MERCHANT_CLIENT.1.to_owned());
        oauth_error(&refresh(&app, &client, &refresh_token).await, "invalid_grant");
        let list = app.cli(&["user", "list"]);
        let line = line_of(&list, &user_id);
        assert_eq!(line[1], MERCHANT);
        assert!(line[3].starts_with("disabled since "), "{line:?}");
        // by account id as well: already disabled
        let again = app.cli(&["user", "disable", &user_id]);
        assert!(again.contains("was already disabled"), "{again}");
    }

    async fn a_token_that_a_racing_grant_wrote_after_the_revocation_fails_as_well(app: TestApp) {
        // What a grant that read the client just before `client revoke` committed leaves behind: the
        // client is revoked, its token is not marked. Planted with SQL: the API cannot interleave so.
        let (id, secret) = new_client(&app, "client_credentials");
        let token = access_token(&grant(&app, json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})).await);
        works(&app, &token).await;
        raw_sql(&app.db.url, &format!("UPDATE api_clients SET revoked_at = 1 WHERE client_id = '{id}'")).await;
        let since = Instant::now();
        let took = refused_soon(&app, &token, since).await;
        assert!(took < LIMIT, "the token of a revoked client worked for {took:?}");
    }

    async fn unknown_ids_are_a_clear_error_and_lists_filter_by_merchant(app: TestApp) {
        for (args, message) in [
            (&["client", "revoke", "no-such-client"][..], "unknown API client no-such-client"),
            (&["device", "revoke", "SDV_NOSUCHDEVICE00000000000000000"][..], "unknown device SDV_NOSUCHDEVICE00000000000000000"),
            (&["user", "disable", "nobody"][..], "unknown user nobody"),
            (&["token", "revoke", "--user", "nobody"][..], "unknown user nobody"),
            (&["token", "revoke", "--client", "no-such-client"][..], "unknown API client no-such-client"),
            (&["client", "list", "--merchant", "MRC_NOSUCHMERCHANT0000000000000000"][..], "unknown merchant MRC_NOSUCHMERCHANT0000000000000000"),
        ] {
            let err = cli_fails(&app, args);
            assert!(err.contains(message), "{args:?}: {err}");
        }
        let err = cli_fails(&app, &["token", "revoke"]);
        assert!(err.contains("--client"), "{err}");
        let err = cli_fails(&app, &["token", "revoke", "--client", "a", "--device", "b"]);
        assert!(err.contains("cannot be used with"), "{err}");

        let other = app.cli(&["merchant", "create", "--name", "Zweiter Händler"]);
        let other = other.lines().next().unwrap().strip_prefix("merchant ").unwrap().to_owned();
        let created = app.cli(&["client", "create", "--merchant", &other]);
        let other_client = created.lines().next().unwrap().strip_prefix("client_id ").unwrap().to_owned();
        let of_other = app.cli(&["client", "list", "--merchant", &other]);
        assert_eq!(of_other.lines().count(), 1, "{of_other}");
        assert_eq!(line_of(&of_other, &other_client)[1], other);
        let of_demo = app.cli(&["client", "list", "--merchant", MERCHANT]);
        assert!(!of_demo.contains(&other_client), "{of_demo}");
        assert!(of_demo.lines().all(|l| l.split('\t').nth(1) == Some(MERCHANT)), "{of_demo}");
        let all = app.cli(&["client", "list"]);
        line_of(&all, &other_client);
        line_of(&all, MERCHANT_CLIENT.0);
        assert!(app.cli(&["device", "list", "--merchant", &other]).is_empty());
        assert!(app.cli(&["user", "list", "--merchant", &other]).is_empty());
        line_of(&app.cli(&["device", "list", "--merchant", MERCHANT]), CASH_REGISTER);
    }
}
