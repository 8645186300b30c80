//! `Idempotency-Key` (api.md §6, Stripe semantics). A keyed request's write job is wrapped by
//! [`keyed`]: inside the one unit of work it claims the key, runs the command in a savepoint, and
//! records the answer — claim, effect and answer become durable together or not at all, so a crash
//! can never leave an effect whose answer is lost. An answer that means "not executed" (401, 429,
//! 409/4102, any 5xx) rolls the whole unit back, claim included, so the key stays free. A keyed
//! request that ran no write job gets its answer recorded by [`finish_unwritten`]. Replays return
//! the stored status, headers and body with `Idempotent-Replayed: true`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use loyalpos_app::clock::Clock;
use loyalpos_app::{ApiError, ApiResult, Code, Principal};
use loyalpos_store::{IdempotencyRow, Store, StoreError, Tx};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::answer::Answer;

/// How long answers are kept (at least 24 h; purged after 25 h).
const KEEP_SECONDS: i64 = 25 * 3600;
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// A key claimed by the running request.
pub struct Claim {
    row: IdempotencyRow,
    /// A write job of the request has claimed the key (and recorded the answer with its effect).
    written: AtomicBool,
}

pub enum Prepared {
    /// No key on this request.
    None,
    /// The stored answer of an earlier request with this key.
    Replay(Response),
    Claim(Arc<Claim>),
}

/// Step 6 of api.md §1.7 for POST/PUT under `/api/v2`.
pub async fn prepare(
    store: &Store,
    clock: &Clock,
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
        created: clock.now(),
        claim_id: Some(loyalpos_app::secret::new_support_id()),
    };
    let (client_id, key) = (row.client_id.clone(), row.key.clone());
    let existing = store
        .read(move |tx| tx.idempotency_record(&client_id, &key))
        .await?;
    match existing {
        None => Ok(Prepared::Claim(Arc::new(Claim {
            row,
            written: AtomicBool::new(false),
        }))),
        Some(existing) => replay_of(&existing, &row).map(|a| Prepared::Replay(a.into_response())),
    }
}

/// What an existing record means for a request with the same key: its recorded answer, or 409/4102
/// when the key was used with another request.
fn replay_of(existing: &IdempotencyRow, request: &IdempotencyRow) -> ApiResult<Answer> {
    if existing.method != request.method
        || existing.path != request.path
        || existing.fingerprint != request.fingerprint
    {
        return Err(ApiError::new(
            Code::DuplicateRequest,
            "this Idempotency-Key was used with another request",
        ));
    }
    // Claim and answer commit together, so a record without an answer is never visible to
    // another request; this is a record written by a version before that.
    if existing.status.is_none() {
        return Err(ApiError::new(
            Code::DuplicateRequest,
            "the request with this Idempotency-Key has no recorded answer",
        ));
    }
    Ok(replayed(existing))
}

/// Wraps a keyed request's write job: claim, effect (in a savepoint) and answer in one unit.
pub fn keyed<F>(
    claim: Arc<Claim>,
    support_id: String,
    job: F,
) -> impl FnOnce(&mut dyn Tx) -> ApiResult<Answer> + Send + 'static
where
    F: FnOnce(&mut dyn Tx) -> ApiResult<Answer> + Send + 'static,
{
    move |tx: &mut dyn Tx| {
        if claim.written.swap(true, Ordering::SeqCst) {
            return Err(ApiError::internal("a keyed request ran a second write job"));
        }
        if !tx.claim_idempotency_key(&claim.row)? {
            // Another request with this key committed after this one found the key free: a
            // concurrent retry, or (PostgreSQL) a request whose server died in its commit, which
            // the claim waited for. Its committed answer is this request's answer too.
            let (client_id, key) = (&claim.row.client_id, &claim.row.key);
            return match tx.idempotency_record(client_id, key)? {
                Some(existing) => replay_of(&existing, &claim.row),
                None => Err(StoreError::KeyInUse.into()),
            };
        }
        tx.savepoint()?;
        let mut answer = match job(tx) {
            Ok(answer) => {
                tx.release_savepoint()?;
                answer
            }
            Err(err) if executed(err.code) => {
                tx.rollback_savepoint()?;
                Answer::error(&err, &support_id)
            }
            Err(err) => return Err(err),
        };
        if let Ok(v) = HeaderValue::from_str(&support_id) {
            answer.headers.insert("x-support-id", v);
        }
        tx.record_idempotent_response(&answered(
            &claim.row,
            answer.status,
            &answer.headers,
            &answer.body,
        ))?;
        Ok(answer)
    }
}

/// Whether an error answer means the request was executed (and so is recorded for replays).
fn executed(code: Code) -> bool {
    let status = code.status();
    !(status == 401 || status == 429 || status >= 500 || code == Code::DuplicateRequest)
}

/// Records the answer of a keyed request that ran no write job (a refusal, or a command that
/// changed nothing), in a small unit of its own. An answer that means "not executed" is not
/// recorded: the key stays free. Returns the answer to send.
pub async fn finish_unwritten(store: &Store, claim: &Claim, response: Response) -> Response {
    if claim.written.load(Ordering::SeqCst) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let code = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_u64));
    let not_executed = parts.status == StatusCode::UNAUTHORIZED
        || parts.status == StatusCode::TOO_MANY_REQUESTS
        || parts.status.is_server_error()
        || code == Some(Code::DuplicateRequest as u64);
    if !not_executed {
        let row = answered(&claim.row, parts.status, &parts.headers, &bytes);
        let recorded = store
            .write(move |tx| tx.record_idempotent_response(&row))
            .await;
        if let Err(e) = recorded {
            // Nothing was written, so the key simply stays free: a retry executes again.
            tracing::warn!(error = %e, "could not record the answer of a request that changed nothing");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The claim completed with the answer. Headers are kept as sent, X-Support-Id included, so a
/// replayed error still matches its body's supportId.
fn answered(
    claim: &IdempotencyRow,
    status: StatusCode,
    headers: &HeaderMap,
    body: &Bytes,
) -> IdempotencyRow {
    let stripped = without_cscs(body);
    let kept: Map<String, Value> = headers
        .iter()
        .filter(|(name, _)| stripped.is_none() || *name != header::CONTENT_LENGTH)
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
    row.body = Some(stripped.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()));
    row
}

/// A card's CSC is shown once, when the card is issued, and never stored in clear text: the
/// recorded answer loses every `"csc"` key, so a replay answers the cards without it. `None` when
/// the body holds no CSC (it is then recorded byte for byte).
fn without_cscs(body: &[u8]) -> Option<String> {
    if !body.windows(5).any(|w| w == b"\"csc\"") {
        return None;
    }
    let mut value: Value = serde_json::from_slice(body).ok()?;
    strip_csc(&mut value).then(|| value.to_string())
}

fn strip_csc(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut removed = map.shift_remove("csc").is_some();
            for v in map.values_mut() {
                removed |= strip_csc(v);
            }
            removed
        }
        Value::Array(items) => items.iter_mut().fold(false, |acc, v| strip_csc(v) | acc),
        _ => false,
    }
}

fn replayed(row: &IdempotencyRow) -> Answer {
    let status = row
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    let recorded: Map<String, Value> = row
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (name, value) in recorded {
        if let (Ok(n), Some(Ok(v))) = (
            HeaderName::try_from(name.as_str()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(n, v);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    Answer {
        status: status.unwrap_or(StatusCode::OK),
        headers,
        body: Bytes::from(row.body.clone().unwrap_or_default()),
    }
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

/// Deletes expired records every ten minutes, for the life of the server.
pub async fn purge_loop(store: Store, clock: Clock) {
    let mut ticker = tokio::time::interval(PURGE_EVERY);
    loop {
        ticker.tick().await;
        let before = clock.now() - KEEP_SECONDS;
        match store
            .write(move |tx| tx.purge_idempotency_keys(before))
            .await
        {
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
    fn recorded_answers_lose_every_csc_and_keep_the_rest() {
        let body =
            br#"[{"id":"MCD_1","csc":"4471","card":{"csc":"1"}},{"id":"MCD_2","csc":"0071"}]"#;
        let kept = without_cscs(body).unwrap();
        assert_eq!(kept, r#"[{"id":"MCD_1","card":{}},{"id":"MCD_2"}]"#);
        assert_eq!(without_cscs(br#"{"result":true}"#), None);
    }

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
