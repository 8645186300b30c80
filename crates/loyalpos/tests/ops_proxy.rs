//! Behind a reverse proxy (issue 14): `X-Forwarded-For` and `X-Forwarded-Proto` count only when
//! the connection comes from a `--trusted-proxy` address. A forged header from anyone else neither
//! changes the logged client address nor escapes the failed-sign-in limit per address.

mod common;
mod ops_support;
use common::*;
use ops_support::*;

use serde_json::json;

/// Failed sign-ins one address may make per window (README "Failed sign-ins").
const PER_ADDRESS: usize = 30;

/// A token request with an unknown client (each its own, so the per-client limit never applies).
async fn failed_sign_in(base: &str, forwarded_for: &str) -> reqwest::StatusCode {
    let client_id = format!("{:032x}", rand::random::<u128>());
    reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .header("X-Forwarded-For", forwarded_for)
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn forged_headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    // A proxy is configured, but the test's connections come from 127.0.0.1, outside it.
    let server = LoggedServer::start(
        &db,
        &["--trusted-proxy", "10.0.0.0/8", "--log-format", "json"],
    );
    for i in 0..PER_ADDRESS {
        let status = failed_sign_in(&server.base, &format!("198.51.100.{i}")).await;
        assert_ne!(status, 429, "attempt {i} was limited early");
    }
    let status = failed_sign_in(&server.base, "198.51.100.250").await;
    assert_eq!(
        status, 429,
        "a new forged address escaped the limit of the real one"
    );

    let log = server.stop();
    let lines = json_lines(&log);
    let token_lines: Vec<_> = lines
        .iter()
        .filter(|l| l["route"] == "/oauth/token")
        .collect();
    assert_eq!(token_lines.len(), PER_ADDRESS + 1);
    for line in token_lines {
        assert_eq!(line["client_ip"], "127.0.0.1", "{line}");
        assert_eq!(
            line["scheme"], "http",
            "X-Forwarded-Proto of an untrusted peer: {line}"
        );
    }
}

async fn a_trusted_proxy_names_the_client(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let server = LoggedServer::start(
        &db,
        &[
            "--trusted-proxy",
            "127.0.0.1",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--log-format",
            "json",
        ],
    );
    // The client's own (forged) entry comes first; the trusted proxies appended the rest.
    let chain = "192.0.2.1, 203.0.113.7, 10.1.2.3";
    for i in 0..PER_ADDRESS {
        assert_ne!(
            failed_sign_in(&server.base, chain).await,
            429,
            "attempt {i}"
        );
    }
    assert_eq!(failed_sign_in(&server.base, chain).await, 429);
    assert_eq!(
        failed_sign_in(&server.base, "203.0.113.7").await,
        429,
        "the same client without the forged entry"
    );
    let other = failed_sign_in(&server.base, "203.0.113.8").await;
    assert_ne!(other, 429, "another client behind the proxy is not limited");

    let log = server.stop();
    let lines = json_lines(&log);
    let token_lines: Vec<_> = lines
        .iter()
        .filter(|l| l["route"] == "/oauth/token")
        .collect();
    assert_eq!(token_lines.len(), PER_ADDRESS + 3);
    let limited = &token_lines[..PER_ADDRESS + 2];
    for line in limited {
        assert_eq!(line["client_ip"], "203.0.113.7", "{line}");
        assert_eq!(line["scheme"], "https", "{line}");
    }
    assert_eq!(token_lines[PER_ADDRESS + 2]["client_ip"], "203.0.113.8");
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_changes_neither_log_nor_sign_in_limit_on_sqlite()
 {
    forged_headers_from_an_untrusted_peer_are_ignored(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_changes_neither_log_nor_sign_in_limit_on_postgres()
 {
    forged_headers_from_an_untrusted_peer_are_ignored(Backend::Postgres).await;
}

#[tokio::test]
async fn a_trusted_proxy_forwards_the_client_address_to_log_and_sign_in_limit_on_sqlite() {
    a_trusted_proxy_names_the_client(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_trusted_proxy_forwards_the_client_address_to_log_and_sign_in_limit_on_postgres() {
    a_trusted_proxy_names_the_client(Backend::Postgres).await;
}

#[tokio::test]
async fn an_unparsable_trusted_proxy_is_a_startup_error() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let err = serve_fails(&db, &["--trusted-proxy", "proxy.example"]);
    assert!(
        err.contains("--trusted-proxy") && err.contains("proxy.example"),
        "{err}"
    );
}
