//! `Idempotency-Key` (api.md §6, Stripe semantics). A keyed request runs inside a store
//! [`Deferral`]: its first write unit of work writes the claim (through [`IdempotentStore`]), its
//! commits are held back, and [`finish`] records the answer in that same unit of work and commits
//! once. Claim, effect and answer become durable together or not at all, so a crash can never
//! leave an effect whose answer is lost. A request that wrote nothing gets its claim and answer
//! recorded in one small unit of work. Replays return the stored status, headers and body with
//! `Idempotent-Replayed: true`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use loyalpos_store::{Backend, Deferral, Deferred, IdempotencyRow, Store, StoreError, Tx};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::auth::Principal;
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult, Code};

/// How long answers are kept (at least 24 h; purged after 25 h).
const KEEP_SECONDS: i64 = 25 * 3600;
const PURGE_EVERY: Duration = Duration::from_secs(600);

tokio::task_local! {
    static CLAIM: Claim;
}

/// A key claimed by the running request.
#[derive(Clone)]
pub struct Claim {
    row: IdempotencyRow,
    /// The first write unit of work has tried to claim (later ones never try again).
    attempted: Arc<AtomicBool>,
    /// Holds the request's committed work until its answer is recorded with it.
    deferral: Arc<Deferral>,
}

pub enum Prepared {
    /// No key on this request.
    None,
    /// The stored answer of an earlier request with this key.
    Replay(Response),
    Claim(Claim),
}

/// Step 6 of api.md §1.7 for POST/PUT under `/api/v2`.
pub async fn prepare(
    app: &App,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    caller: &Principal,
) -> ApiResult<Prepared> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(Prepared::None);
    };
    if !(method == Method::POST || method == Method::PUT)
        || !path.to_ascii_lowercase().starts_with("/api/v2")
    {
        return Ok(Prepared::None);
    }
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    let key = key.ok_or_else(|| {
        ApiError::bad_request("Idempotency-Key must be 1 to 255 printable ASCII characters")
    })?;
    let row = IdempotencyRow {
        client_id: caller.client_id.clone(),
        key: key.to_owned(),
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        fingerprint: fingerprint(body),
        status: None,
        headers: None,
        body: None,
        created: app.clock.now(),
        claim_id: Some(crate::secret::new_support_id()),
    };
    let mut tx = app.store.read().await?;
    match tx.idempotency_record(&row.client_id, &row.key).await? {
        None => Ok(Prepared::Claim(Claim {
            row,
            attempted: Arc::new(AtomicBool::new(false)),
            deferral: Deferral::new(),
        })),
        Some(existing)
            if existing.method != row.method
                || existing.path != row.path
                || existing.fingerprint != row.fingerprint =>
        {
            Err(ApiError::new(
                Code::DuplicateRequest,
                "this Idempotency-Key was used with another request",
            ))
        }
        // Claim and answer commit together, so a record without an answer is never visible to
        // another request; this is a record written by a version before that.
        Some(existing) if existing.status.is_none() => Err(ApiError::new(
            Code::DuplicateRequest,
            "the request with this Idempotency-Key has no recorded answer",
        )),
        Some(existing) => Ok(Prepared::Replay(replay(&existing))),
    }
}

/// Runs the request with its claim in scope (its first write unit of work claims the key) and its
/// commits deferred to [`finish`].
pub async fn scoped<F: Future>(claim: Claim, f: F) -> F::Output {
    let deferral = claim.deferral.clone();
    CLAIM.scope(claim, deferral.scope(f)).await
}

/// Settles a keyed request: its answer is recorded in the unit of work that holds its effect and
/// the claim, and that unit is committed; an answer that means "not executed" rolls the unit back
/// instead (the key stays free). Returns the answer to send, which is 503 if the commit failed.
pub async fn finish(app: &App, claim: Claim, response: Response, support_id: &str) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let code = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_i64));
    let status = parts.status;
    let not_executed = status == StatusCode::UNAUTHORIZED
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
        || code == Some(Code::DuplicateRequest as i64);
    let row = || answered(&claim.row, status, &parts.headers, &bytes);
    let committed = match claim.deferral.close() {
        Deferred::Abandoned => Err(ApiError::internal(
            "a unit of work was abandoned after the request's first commit; everything rolled back",
        )),
        Deferred::Parked(_) if not_executed => Ok(()),
        Deferred::Parked(tx) => record_with_effect(tx, &row()).await.map_err(|e| {
            ApiError::new(
                Code::Unavailable,
                format!("the request could not be committed ({e}); retry with the same key"),
            )
        }),
        Deferred::Nothing if not_executed => Ok(()),
        Deferred::Nothing => {
            if let Err(e) = record_alone(app, &row()).await {
                // Nothing was written, so the key simply stays free: a retry executes again.
                tracing::warn!(error = %e, "could not record the answer of a request that changed nothing");
            }
            Ok(())
        }
    };
    match committed {
        Ok(()) => Response::from_parts(parts, Body::from(bytes)),
        Err(err) => {
            tracing::error!(support_id, cause = %err.details, "a keyed request was not committed");
            crate::app::error_response(&err, support_id)
        }
    }
}

/// The claim completed with the answer. Headers are kept as sent, X-Support-Id included, so a
/// replayed error still matches its body's supportId.
fn answered(
    claim: &IdempotencyRow,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> IdempotencyRow {
    let kept: Map<String, Value> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_owned(),
                Value::String(value.to_str().ok()?.to_owned()),
            ))
        })
        .collect();
    let mut row = claim.clone();
    row.status = Some(i64::from(status.as_u16()));
    row.headers = Some(Value::Object(kept).to_string());
    row.body = Some(String::from_utf8_lossy(body).into_owned());
    row
}

/// Completes the claim inside the request's own unit of work and commits claim, effect and answer.
async fn record_with_effect(mut tx: Box<dyn Tx>, row: &IdempotencyRow) -> Result<(), StoreError> {
    tx.record_idempotent_response(row).await?;
    tx.commit().await
}

async fn record_alone(app: &App, row: &IdempotencyRow) -> Result<(), StoreError> {
    let mut tx = app.store.write().await?;
    tx.record_idempotent_response(row).await?;
    tx.commit().await
}

fn replay(row: &IdempotencyRow) -> Response {
    let status = row
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    let mut response = Response::new(Body::from(row.body.clone().unwrap_or_default()));
    *response.status_mut() = status.unwrap_or(StatusCode::OK);
    let headers: Map<String, Value> = row
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(n), Some(Ok(v))) = (
            HeaderName::try_from(name.as_str()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Canonical JSON (keys sorted, annotations removed) for JSON bodies, the raw bytes otherwise; an
/// empty body equals `{}`.
fn fingerprint(body: &[u8]) -> String {
    let canonical = match crate::json::parse_body(body) {
        Ok(v) => canonical_json(&v).into_bytes(),
        Err(_) => body.to_vec(),
    };
    hex::encode(Sha256::digest(&canonical))
}

fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// Wraps a store so that the first write unit of work of a request with a claim writes the claim.
/// Units of work opened outside a claimed request (recording, purging) never claim anything.
pub struct IdempotentStore {
    inner: Arc<dyn Store>,
}

impl IdempotentStore {
    pub fn wrap(inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(IdempotentStore { inner })
    }
}

#[async_trait]
impl Store for IdempotentStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn token(
        &self,
        token_hash: &str,
    ) -> Result<Option<loyalpos_store::TokenRow>, StoreError> {
        self.inner.token(token_hash).await
    }
    async fn read(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.inner.read().await
    }
    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        let mut tx = self.inner.write().await?;
        let claim = CLAIM.try_with(Claim::clone).ok();
        if let Some(claim) = claim
            && !claim.attempted.swap(true, Ordering::SeqCst)
        {
            match tx.claim_idempotency_key(&claim.row).await {
                Ok(()) => {}
                Err(StoreError::Duplicate(_)) => return Err(StoreError::KeyInUse),
                Err(e) => return Err(e),
            }
        }
        Ok(tx)
    }
    async fn close(&self) {
        self.inner.close().await
    }
}

/// Deletes expired records every ten minutes, for the life of the server.
pub async fn purge_loop(store: Arc<dyn Store>, clock: Clock) {
    let mut ticker = tokio::time::interval(PURGE_EVERY);
    loop {
        ticker.tick().await;
        let purged = async {
            let mut tx = store.write().await?;
            let n = tx
                .purge_idempotency_keys(clock.now() - KEEP_SECONDS)
                .await?;
            tx.commit().await?;
            Ok::<u64, StoreError>(n)
        }
        .await;
        match purged {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_key_order_whitespace_and_annotations() {
        assert_eq!(
            fingerprint(br#"{"a": 1, "b": [1, {"c": 2, "d": 3}]}"#),
            fingerprint(b"{\"b\":[1,{\"d\":3,\"c\":2}], // x\n \"a\":1}")
        );
        assert_eq!(fingerprint(b""), fingerprint(b"{}"));
        assert_ne!(
            fingerprint(br#"{"sum": 796}"#),
            fingerprint(br#"{"sum": 797}"#)
        );
    }
}
