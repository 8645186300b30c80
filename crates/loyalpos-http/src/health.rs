use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

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

/// `GET /metrics` (README "Metrics").
pub async fn metrics(app: Arc<App>, req: Req) -> ApiResult<Response> {
    crate::metrics::metrics(app, req).await
}
