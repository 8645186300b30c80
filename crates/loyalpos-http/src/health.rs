use std::fmt::Write;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::answer::plain_status;
use crate::app::{App, Req};
use crate::error::ApiResult;

/// The process is up.
pub async fn health(_app: Arc<App>, _req: Req) -> ApiResult<Response> {
    Ok(plain_status(StatusCode::OK, r#"{"status":"ok"}"#))
}

/// The database answers.
pub async fn ready(app: Arc<App>, _req: Req) -> ApiResult<Response> {
    Ok(match app.store.ping().await {
        Ok(()) => plain_status(StatusCode::OK, r#"{"status":"ready"}"#),
        Err(_) => plain_status(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"unavailable"}"#,
        ),
    })
}

/// The store's counters in the Prometheus text format: statements, units of work, commits (a
/// SQLite commit is one fsync for a batch of units) and the caches' hits and misses.
pub async fn metrics(app: Arc<App>, _req: Req) -> ApiResult<Response> {
    let stats = app.store.stats();
    let counters = [
        (
            "loyalpos_store_statements_total",
            "SQL statements run by jobs",
            stats.statements,
        ),
        (
            "loyalpos_store_units_total",
            "units of work committed",
            stats.units,
        ),
        (
            "loyalpos_store_commits_total",
            "commits (batches of units)",
            stats.batches,
        ),
        (
            "loyalpos_cache_hits_total",
            "cached rows read from the cache",
            stats.cache_hits,
        ),
        (
            "loyalpos_cache_misses_total",
            "cached rows read from the database",
            stats.cache_misses,
        ),
    ];
    let mut text = String::new();
    for (name, help, value) in counters {
        let _ = write!(
            text,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        );
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response())
}
