//! Request logs that answer a support call (issue 14, defect 7): each request's one line names
//! method, route pattern, masked path, status, duration, supportId, the error's catalogue code and
//! the caller (API client, merchant, device); `--log-format json` writes one JSON object per line,
//! and text lines carry no colour codes when stderr is no terminal.

mod common;
mod ops_support;
use common::*;
use ops_support::*;

use std::process::{Command, Stdio};

use serde_json::{Value, json};

const VENDOR: &str = VENDOR_CLIENT.0;

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
) -> Value {
    let mut rb = http.request(method, url);
    if let Some(token) = token {
        rb = rb.bearer_auth(token);
    }
    let text = rb.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn logs_name_route_caller_and_error_code(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let server = LoggedServer::start(&db, &["--log-format", "json"]);
    let http = reqwest::Client::new();
    let api = |rest: &str| format!("{}/api/v2{rest}", server.base);
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    let started = call(
        &http,
        post.clone(),
        api(&format!("/Smart/Transactions/{SEED_STX}/start/cash")),
        Some(PINNED),
    )
    .await;
    assert_eq!(started["status"], "ok", "{started}");
    let refused = call(
        &http,
        post.clone(),
        api("/Smart/Transactions/STX_NOSUCHTRANSACTION0000000000000/start/cash"),
        Some(PINNED),
    )
    .await;
    let refused_code = refused["code"].as_i64().expect("an error envelope");
    // A keyed request refused with 400/4001 and its replay: the replayed envelope is an answer,
    // not an error, and still logs its code and the supportId the register was shown.
    let mut keyed_support = Vec::new();
    for _ in 0..2 {
        let reply = http
            .post(api("/Smart/Transactions"))
            .bearer_auth(PINNED)
            .header("Idempotency-Key", "ops-logs-1")
            .header("Content-Type", "application/json")
            .body(r#"{"basket_info": {"sum": "x"}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 400);
        let body: Value = reply.json().await.unwrap();
        keyed_support.push(body["supportId"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        keyed_support[0], keyed_support[1],
        "the replay shows the first answer"
    );
    let missing = call(
        &http,
        get.clone(),
        api(&format!("/Loyalty/MerchantCards/{CARD_A}")),
        Some(PINNED),
    )
    .await;
    assert_eq!(missing["code"], 4003, "{missing}");
    let anonymous = call(
        &http,
        get.clone(),
        api("/General/Merchants/me"),
        Some("not-a-token"),
    )
    .await;
    assert_eq!(anonymous["code"], 2003);

    let log = server.stop();
    let lines = json_lines(&log);
    let start_route = "/api/v2/Smart/Transactions/{id}/start/{method}";

    // The succeeding start: route pattern, caller, status, no code. Its support id is only in the
    // log (a 200 carries no supportId in the body), so find it by route and status.
    let ok = lines
        .iter()
        .find(|l| l["route"] == start_route && l["status"] == 200)
        .unwrap_or_else(|| panic!("no 200 line for the start in\n{log}"));
    assert_eq!(ok["message"], "request");
    assert_eq!(ok["method"], "POST");
    assert_eq!(
        ok["path"],
        format!("/api/v2/Smart/Transactions/{SEED_STX}/start/cash")
    );
    assert_eq!(ok["client_id"], VENDOR);
    assert_eq!(ok["merchant_id"], MERCHANT);
    assert_eq!(ok["device_id"], CASH_REGISTER);
    assert_eq!(ok["client_ip"], "127.0.0.1");
    assert!(
        ok.get("code").is_none(),
        "a success has no error code: {ok}"
    );
    assert!(ok["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{ok}");
    assert_eq!(ok["support_id"].as_str().map(str::len), Some(32));

    // The refused second start: its catalogue code and the supportId the register was shown.
    let again = request_line(&lines, refused["supportId"].as_str().unwrap());
    assert_eq!(again["route"], start_route);
    assert_eq!(again["code"], refused_code);
    assert_eq!(again["status"], 404);
    assert_eq!(again["device_id"], CASH_REGISTER);
    let keyed: Vec<_> = lines
        .iter()
        .filter(|l| l["route"] == "/api/v2/Smart/Transactions" && l["method"] == "POST")
        .collect();
    assert_eq!(keyed.len(), 2, "{keyed:?}");
    for line in keyed {
        assert_eq!(line["status"], 400);
        assert_eq!(line["code"], 4001, "first answer and replay: {line}");
        assert_eq!(line["support_id"], keyed_support[0].as_str());
    }

    // A card number where an id belongs: route pattern, code, and the number masked.
    let not_found = request_line(&lines, missing["supportId"].as_str().unwrap());
    assert_eq!(not_found["route"], "/api/v2/Loyalty/MerchantCards/{id}");
    assert_eq!(not_found["code"], 4003);
    assert_eq!(not_found["status"], 400);
    assert_eq!(
        not_found["path"],
        "/api/v2/Loyalty/MerchantCards/927600******2845"
    );

    // A refused token: no caller to name.
    let unauthenticated = request_line(&lines, anonymous["supportId"].as_str().unwrap());
    assert_eq!(unauthenticated["code"], 2003);
    assert_eq!(unauthenticated["route"], "/api/v2/General/Merchants/{id}");
    assert!(
        unauthenticated.get("client_id").is_none(),
        "{unauthenticated}"
    );
    assert!(!log.contains(CARD_A), "a whole card number in the log");
}

#[tokio::test]
async fn json_request_lines_name_route_caller_status_and_error_code_on_sqlite() {
    logs_name_route_caller_and_error_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn json_request_lines_name_route_caller_status_and_error_code_on_postgres() {
    logs_name_route_caller_and_error_code(Backend::Postgres).await;
}

#[tokio::test]
async fn an_unknown_route_is_logged_as_unmatched_with_its_code() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let server = LoggedServer::start(&db, &["--log-format", "json"]);
    let http = reqwest::Client::new();
    let body = call(
        &http,
        reqwest::Method::GET,
        format!("{}/api/v2/Nowhere/{CARD_B}", server.base),
        None,
    )
    .await;
    let log = server.stop();
    let lines = json_lines(&log);
    let line = request_line(&lines, body["supportId"].as_str().unwrap());
    assert_eq!(line["route"], "unmatched");
    assert_eq!(line["code"], 3001);
    assert_eq!(line["path"], "/api/v2/Nowhere/927600******1652");
}

#[tokio::test]
async fn text_logs_carry_no_colour_codes_when_stderr_is_a_pipe() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--stomp-listen",
            "off",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db.url,
        ])
        .env("LOYALPOS_LOG", "info")
        .env_remove("LOYALPOS_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("loyalpos listening on ")
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let reply = http
        .post(format!("{base}/api/v2/Smart/Transactions"))
        .bearer_auth(PINNED)
        .json(&json!({"basket_info": {"sum": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stderr = read_all(child.stderr.take().unwrap());
    let _ = child.wait();
    assert!(stderr.contains("request"), "{stderr}");
    assert!(
        stderr.contains("route=\"/api/v2/Smart/Transactions\"") && stderr.contains("code=4001"),
        "the text line names route and code: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "escape sequences in a piped log: {stderr:?}"
    );
}
