//! Issue 11 item 12: the demo tenant's public credentials work only under `--demo`, even in a
//! database that once held the demo tenant; `serve` warns about demo data; the demo has a default
//! database file of its own.
mod common;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::*;
use serde_json::{Value, json};

async fn token_request(base: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn status_of(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/v2/General/Merchants/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn client_credentials(client: (&str, &str)) -> Value {
    json!({"grant_type": "client_credentials", "client_id": client.0, "client_secret": client.1})
}

async fn demo_credentials_work_only_under_demo(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let demo = Server::start(&db.url, &["--demo"]);
    let (status, body) = token_request(&demo.base, client_credentials(MERCHANT_CLIENT)).await;
    assert_eq!(status, 200, "{body}");
    let demo_token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&demo.base, &demo_token).await, 200);
    drop(demo);

    // an operator's own client of the demo merchant, to try the demo user's public password
    let out = cli(
        &db.url,
        &[
            "client",
            "create",
            "--merchant",
            MERCHANT,
            "--grants",
            "appuser",
        ],
    );
    let field = |label: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{label} ")))
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let (own_id, own_secret) = (field("client_id"), field("client_secret"));

    let plain = Server::start(&db.url, &[]);
    for client in [MERCHANT_CLIENT, VENDOR_CLIENT, TERMINAL_CLIENT] {
        let (status, body) = token_request(&plain.base, client_credentials(client)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_client")),
            "{body}"
        );
    }
    let refresh = json!({"grant_type": "refresh_token", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1,
        "refresh_token": "d3aece0996cee981609cab15653db0e9bc9ef804"});
    assert_eq!(token_request(&plain.base, refresh.clone()).await.0, 400);
    let device_pin = json!({"grant_type": "device_pin", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1,
        "uuid": "/vendor/ingenico/serial/17275wl26695664", "device_pin": "CxajtF94uLi4s7d3"});
    assert_eq!(token_request(&plain.base, device_pin).await.0, 400);
    let demo_user = json!({"grant_type": "appuser", "client_id": own_id, "client_secret": own_secret,
        "username": "johns-bakery", "password": "demo"});
    let (status, body) = token_request(&plain.base, demo_user.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        status_of(&plain.base, &demo_token).await,
        401,
        "a docs client's token dies with demo mode"
    );
    assert_eq!(status_of(&plain.base, PINNED).await, 401);
    drop(plain);

    // back under --demo, all of it works again
    let demo = Server::start(&db.url, &["--demo"]);
    assert_eq!(token_request(&demo.base, refresh).await.0, 200);
    assert_eq!(token_request(&demo.base, demo_user).await.0, 200);
}

#[tokio::test]
async fn demo_credentials_work_only_under_demo_on_sqlite() {
    demo_credentials_work_only_under_demo(Backend::Sqlite).await;
}

#[tokio::test]
async fn demo_credentials_work_only_under_demo_on_postgres() {
    demo_credentials_work_only_under_demo(Backend::Postgres).await;
}

/// Starts `serve` in `dir` (no `--database` unless given) and returns its stderr up to the ready line.
fn serve_and_stop(dir: &std::path::Path, args: &[&str]) -> String {
    let mut child = Command::new(binary())
        .current_dir(dir)
        .args(["serve", "--stomp-listen", "off", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("LOYALPOS_DATABASE_URL")
        .env("LOYALPOS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("loyalpos listening on "), "{line:?}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    stderr
}

#[tokio::test]
async fn serve_warns_about_demo_data_and_the_demo_has_its_own_default_database() {
    let dir = std::env::temp_dir().join(format!("loyalpos-demo-default-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    serve_and_stop(&dir, &["--demo"]);
    assert!(
        dir.join("loyalpos-demo.db").exists(),
        "serve --demo defaults to loyalpos-demo.db"
    );
    assert!(!dir.join("loyalpos.db").exists());

    let plain = serve_and_stop(&dir, &[]);
    assert!(
        dir.join("loyalpos.db").exists(),
        "serve defaults to loyalpos.db"
    );
    assert!(
        !plain.contains("demo tenant"),
        "a database without demo data: no warning: {plain}"
    );

    let demo_db = format!("sqlite:{}", dir.join("loyalpos-demo.db").display());
    let warned = serve_and_stop(&dir, &["--database", &demo_db]);
    assert!(
        warned.contains("WARN") && warned.contains("demo tenant"),
        "{warned}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
