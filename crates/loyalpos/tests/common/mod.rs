//! A register's view of loyalpos: the real binary on a free port against a fresh SQLite file or a
//! fresh PostgreSQL database, driven over HTTP.
#![allow(dead_code)]

pub mod browser;
pub mod sse;
pub mod stomp;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PINNED: &str = "qb56tjj1bcvo9n2nj4u38k84lo";
pub const MERCHANT: &str = "MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG";
pub const STORE: &str = "STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ";
pub const CASH_REGISTER: &str = "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6";
pub const MERCHANT_CLIENT: (&str, &str) = (
    "00563697073442633035025909838580",
    "3382456441636938321687549172178382320163695870914358804052148567",
);
pub const VENDOR_CLIENT: (&str, &str) = (
    "611c00ec6b2be6c77c2338774f50040b",
    "dc1f422dde755f0b1c4ac04e7efbd6c4c78870691fe783266d7d6c89439925eb",
);
pub const TERMINAL_CLIENT: (&str, &str) = (
    "e3323efa4fb2c4e8562adcdbfe9acf41",
    "44640a4323db70c1b87dcbe27672a997eb98dad04d8e4caf942da70f77841f8d",
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the test PostgreSQL lives (the server must allow CREATE DATABASE).
fn postgres_admin_url() -> String {
    std::env::var("LOYALPOS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Under CI (any non-empty `CI`, which `.ci/run` sets) an unreachable PostgreSQL is a failure.
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

pub struct Database {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<TempDir>,
}

impl Database {
    /// A fresh database, or None when PostgreSQL is unreachable outside CI (the test then prints
    /// `SKIPPED: …` and returns; a failure under CI).
    pub async fn fresh(backend: Backend) -> Option<Database> {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new();
                let url = format!("sqlite:{}/loyalpos.db", dir.path);
                Some(Database {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let mut conn = match sqlx::PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) if under_ci() => {
                        panic!("PostgreSQL unreachable at {admin} under CI: {e}")
                    }
                    Err(e) => {
                        // The convention of the whole workspace (the store's tests too): one
                        // `SKIPPED:` line on stdout per skipped test; `.ci/run` counts them.
                        println!("SKIPPED: PostgreSQL variant ({admin} unreachable: {e})");
                        return None;
                    }
                };
                let name = format!("loyalpos_test_{}", rand::rng().random_range(0..u64::MAX));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin)
                    .to_owned();
                Some(Database {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                })
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Drop cannot be async: run the DROP on a short-lived runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

pub struct TempDir {
    pub path: String,
}

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "loyalpos-test-{}",
            rand::rng().random_range(0..u64::MAX)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir {
            path: path.to_string_lossy().into_owned(),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs `loyalpos import` on a document against the app's database; returns (success, stdout,
/// stderr).
pub fn import(app: &TestApp, doc: &Value) -> (bool, String, String) {
    let path = std::env::temp_dir().join(format!(
        "loyalpos-import-{}.json",
        rand::rng().random_range(0..u64::MAX)
    ));
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = Command::new(binary())
        .args(["import", path.to_str().unwrap(), "--database", &app.db.url])
        .env("LOYALPOS_LOG", "warn")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the binary with these arguments; returns (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .env("LOYALPOS_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh directory under the system's temporary directory.
pub fn scratch_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("loyalpos-{label}-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the next ready line of `serve` announces after `prefix` (an address or URL).
fn announced(stdout: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected {prefix:?}…, got {line:?}"))
        .to_owned()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_loyalpos")
}

/// A running server process.
pub struct Server {
    child: Child,
    pub base: String,
    /// `HOST:PORT` of its STOMP listener.
    pub stomp: String,
}

impl Server {
    pub fn start(database_url: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--stomp-listen",
                "127.0.0.1:0",
                "--database",
                database_url,
            ])
            .args(extra)
            .env("LOYALPOS_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start loyalpos");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let base = announced(&mut stdout, "loyalpos listening on ");
        let stomp = announced(&mut stdout, "loyalpos stomp on tcp://");
        Server { child, base, stomp }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `serve` with `args` (no STOMP listener), which must refuse to start: returns its stderr.
pub fn serve_fails(db: &Database, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args([
            "serve",
            "--stomp-listen",
            "off",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db.url,
        ])
        .args(args)
        .env("LOYALPOS_LOG", "error")
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started with {args:?}");
    assert!(out.stdout.is_empty(), "no listening line: {:?}", out.stdout);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs an operator command against the database; returns stdout.
pub fn cli(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .args(["--database", database_url])
        .env("LOYALPOS_LOG", "error")
        .output()
        .expect("run loyalpos");
    assert!(
        out.status.success(),
        "loyalpos {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct TestApp {
    pub server: Server,
    pub db: Database,
    pub http: reqwest::Client,
    pub backend: Backend,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the API error envelope with this status and code; returns the body.
    pub fn assert_error(&self, status: u16, code: i64) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.body["status"], "error", "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        let support = self.body["supportId"].as_str().unwrap();
        assert_eq!(support.len(), 32);
        assert_eq!(self.header("x-support-id"), Some(support));
        assert!(
            self.body["error_user"]
                .as_str()
                .unwrap()
                .ends_with(&format!("(Code {code})"))
        );
        &self.body
    }
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text);
        &self.body
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &["--demo"]).await
    }

    pub async fn spawn_with(backend: Backend, args: &[&str]) -> Option<TestApp> {
        let db = Database::fresh(backend).await?;
        let server = Server::start(&db.url, args);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Some(TestApp {
            server,
            db,
            http,
            backend,
        })
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api")
            && !path.starts_with("/oauth")
            && !path.starts_with("//")
            && !path.starts_with("/health")
            && !path.starts_with("/ready")
            && !path.starts_with("/metrics")
        {
            format!("{}/api/v2{path}", self.server.base)
        } else {
            format!("{}{path}", self.server.base)
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self
            .http
            .request(method, self.url(path))
            .header("Accept", "application/json");
        if let Some(t) = token {
            rb = rb.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        Self::reply(rb.send().await.unwrap()).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn token_request(&self, body: Value) -> Reply {
        self.send(Method::POST, "/oauth/token", None, Some(body))
            .await
    }

    /// A merchant client token (client_credentials of the docs' merchant client).
    pub async fn merchant_token(&self) -> String {
        let r = self
            .token_request(json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1}))
            .await;
        r.ok()["access_token"].as_str().unwrap().to_owned()
    }

    pub fn cli(&self, args: &[&str]) -> String {
        cli(&self.db.url, args)
    }
}

/// Generates one test per backend: `mod <behaviour> { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                run(TestApp::spawn(Backend::Sqlite).await.unwrap()).await
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                    run(app).await
                }
            }
        }
    )*};
}

// ---- register actions and receipt shorthand (examples.md §0) ----

pub const CARD_A: &str = "9276004429942845";
pub const CARD_B: &str = "9276004428481652";
pub const CARD_C: &str = "9276004424644352";
pub const CARD_D: &str = "9276004400000071";
pub const CARD_E: &str = "9276004429999952";
pub const MCD_A: &str = "MCD_2RXTNXPRM2YG9922UMBHHAEWEGN6AJ";
pub const MCD_B: &str = "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU";
pub const MCD_C: &str = "MCD_DEMO92760044246443520000000000";
pub const MCD_D: &str = "MCD_DEMO92760044000000710000000000";
pub const MCD_E: &str = "MCD_DEMO92760044299999520000000000";
pub const SEED_STX: &str = "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2";
pub const BONUS71_STX: &str = "STX_3QPGBB72F2NSPDS95JZPWA772DUMAZ";
pub const BONUS20_STX: &str = "STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2";

/// The docs' basket as a register sends it (articleNumber as numbers).
pub fn docs_basket() -> Value {
    json!({"products": [
        {"id": 1, "articleNumber": 30037, "desc": "Sandwich Romano", "quantity": 1, "priceOne": 349, "tax": 7},
        {"id": 2, "articleNumber": 30200, "desc": "Fruit salad, small bowl", "quantity": 1, "priceOne": 249, "tax": 7},
        {"id": 3, "articleNumber": 51, "ean": "4999012345678", "desc": "Water, mildly sprinkling, 0.25 ltr.", "quantity": 2, "priceOne": 99, "tax": 19}]})
}

pub fn card_body(card: &str, basket: Value, sum: i64) -> Value {
    json!({"idents": [{"type": "card", "value": card}], "basket": basket, "basket_info": {"sum": sum, "currency": "EUR"}})
}

pub fn one_line(ean: &str, desc: &str, price: i64, tax: i64) -> Value {
    json!({"products": [{"id": 1, "ean": ean, "desc": desc, "quantity": 1, "priceOne": price, "tax": tax}]})
}

#[allow(non_snake_case)]
pub fn SEP(caption: &str) -> Value {
    json!({"type": "separator", "value": {"caption": caption}})
}
#[allow(non_snake_case)]
pub fn NV(name: &str, value: &str) -> Value {
    json!({"type": "name-value", "value": {"name": name, "value": value, "decoration": []}})
}
#[allow(non_snake_case)]
pub fn TL(text: &str) -> Value {
    json!({"type": "textline", "value": {"text": text, "decoration": []}})
}
#[allow(non_snake_case)]
pub fn TLI(text: &str) -> Value {
    json!({"type": "textline", "value": {"text": text, "decoration": ["important"]}})
}
#[allow(non_snake_case)]
pub fn SP() -> Value {
    json!({"type": "space"})
}
#[allow(non_snake_case)]
pub fn STORNO() -> Value {
    json!({"type": "textline", "value": {"text": "STORNO", "decoration": ["important", "align-center"]}})
}

/// The standard head of a booking receipt.
pub fn head(caption: &str, card: &str, ta: &str) -> Vec<Value> {
    vec![
        SEP(caption),
        NV("Kartennummer: ", card),
        NV("TA Code: ", ta),
    ]
}

impl TestApp {
    /// POST /Smart/Transactions with the pinned token; returns the new id.
    pub async fn create_stx(&self, body: Value) -> String {
        let r = self.post("/Smart/Transactions", PINNED, body).await;
        assert_eq!(r.ok()["status"], "created");
        r.body["id"].as_str().unwrap().to_owned()
    }
    pub async fn pre(&self, stx: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/Smart/Transactions/{stx}/preTransaction"),
            Some(PINNED),
            None,
        )
        .await
    }
    pub async fn start(&self, stx: &str, method: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/Smart/Transactions/{stx}/start/{method}"),
            Some(PINNED),
            None,
        )
        .await
    }
    pub async fn cancel(&self, stx: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/Smart/Transactions/{stx}/cancel"),
            Some(PINNED),
            None,
        )
        .await
    }
    pub async fn stx(&self, stx: &str) -> Value {
        self.get(&format!("/Smart/Transactions/{stx}"), PINNED)
            .await
            .ok()
            .clone()
    }
    /// (cash, bonus, balance) of a merchant card.
    pub async fn balances(&self, mcd: &str) -> (i64, i64, i64) {
        let r = self
            .get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED)
            .await;
        let b = r.ok();
        (
            b["cash_balance"].as_i64().unwrap(),
            b["bonus_balance"].as_i64().unwrap(),
            b["balance"].as_i64().unwrap(),
        )
    }
    pub async fn ltx(&self, id: &str) -> Value {
        self.get(&format!("/Loyalty/Transactions/{id}"), PINNED)
            .await
            .ok()
            .clone()
    }
    /// The LTX booked by a started smart transaction (its first loyalty transaction).
    pub async fn ltx_of(&self, stx: &Value) -> Value {
        self.ltx(stx["transactions"][0]["id"].as_str().unwrap())
            .await
    }
}

/// `[{type, balance, amount}]` of an LTX as (type, amount) pairs.
pub fn bookings(ltx: &Value) -> Vec<(String, i64)> {
    ltx["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["type"].as_str().unwrap().to_owned(),
                b["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Runs an operator command that may fail; returns (success, stdout).
pub fn cli_status(database_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary())
        .args(args)
        .args(["--database", database_url])
        .env("LOYALPOS_LOG", "error")
        .output()
        .expect("run loyalpos");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Executes raw SQL against the test database (to plant corruption the API can never produce).
pub async fn raw_sql(database_url: &str, sql: &str) {
    use sqlx::Connection;
    if database_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}
