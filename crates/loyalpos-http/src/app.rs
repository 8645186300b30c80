//! The application: shared state, and the one dispatcher every request goes through. The order of
//! checks is api.md §1.7: body size → route and method → token → right → the handler.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::FutureExt;
use loyalpos_app::clock::Clock;
use loyalpos_app::secret::new_support_id;
use loyalpos_app::{ApiError, ApiResult, Code, Principal};
use loyalpos_store::{Store, Tx};
use serde::Serialize;

use crate::auth::{self, Right};
use crate::idempotency::{self, Claim};
use crate::limits::{self, RateLimiter};
use crate::routes::{self, RouteMatch};

#[derive(Debug, Clone)]
pub struct Config {
    /// Demo-only behaviour (pinned token, reusable device code, merchant aliases) is on.
    pub demo: bool,
    pub token_ttl: i64,
    pub device_code_ttl: i64,
    pub device_poll_interval: i64,
    pub verification_url: String,
    pub appuser_enabled: bool,
    pub body_limit: usize,
    /// Requests per second per API client; None = no limit.
    pub rate_limit: Option<u32>,
    /// A request still running after this is rolled back and answered 503/1002.
    pub request_timeout: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            demo: false,
            token_ttl: 1200,
            device_code_ttl: 1200,
            device_poll_interval: 5,
            verification_url: "http://www.secuoffice.com".into(),
            appuser_enabled: true,
            body_limit: 1024 * 1024,
            rate_limit: None,
            request_timeout: std::time::Duration::from_secs(30),
        }
    }
}

pub struct App {
    pub store: Store,
    pub clock: Clock,
    pub config: Config,
    pub rate_limiter: Option<RateLimiter>,
}

impl App {
    pub fn new(store: Store, clock: Clock, config: Config) -> App {
        let rate_limiter = config.rate_limit.map(RateLimiter::new);
        App {
            store,
            clock,
            config,
            rate_limiter,
        }
    }
}

/// What a handler gets: the caller, the path parameters in route order, the raw query, the body,
/// the request's support id and its Idempotency-Key claim.
pub struct Req {
    pub principal: Option<Principal>,
    pub params: Vec<String>,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub support_id: String,
    pub claim: Option<Arc<Claim>>,
}

impl Req {
    /// Runs `job` — the whole command and the rendering of its answer — as one unit of work. For a
    /// request with an Idempotency-Key, the claim of the key and the recorded answer are part of
    /// the same unit, so effect and answer become durable together. A request runs at most one
    /// write job.
    pub async fn write<F>(&self, app: &App, job: F) -> ApiResult<Response>
    where
        F: FnOnce(&mut dyn Tx) -> ApiResult<Answer> + Send + 'static,
    {
        let answer = match &self.claim {
            Some(claim) => {
                let job = idempotency::keyed(claim.clone(), self.support_id.clone(), job);
                app.store.write(job).await?
            }
            None => app.store.write(job).await?,
        };
        Ok(answer.into_response())
    }

    /// Runs `job` in one consistent read-only snapshot, off the async worker threads.
    pub async fn read<T, F>(&self, app: &App, job: F) -> ApiResult<T>
    where
        F: FnOnce(&mut dyn Tx) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        app.store.read(job).await
    }

    /// The envelope of an error that a committed job answers with (e.g. 402/4301 after the declined
    /// payment was recorded).
    pub fn error_answer(&self, err: &ApiError) -> Answer {
        Answer::error(err, &self.support_id)
    }

    /// The caller of a route that requires a token (the dispatcher guarantees one).
    pub fn caller(&self) -> &Principal {
        self.principal
            .as_ref()
            .expect("authenticated route without a principal")
    }
    pub fn param(&self, i: usize) -> &str {
        &self.params[i]
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult<Response>> + Send>>;
pub type Handler = fn(Arc<App>, Req) -> HandlerFuture;

/// A 200 with a JSON body serialised once, straight from the wire type.
pub fn ok_json<T: Serialize + ?Sized>(value: &T) -> ApiResult<Response> {
    Answer::json(value).map(IntoResponse::into_response)
}

/// An answer as plain data: what a job renders (and an Idempotency-Key records) before it is sent.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// A 200 with a JSON body serialised once, straight from the wire type.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> ApiResult<Answer> {
        let bytes = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(Answer {
            status: StatusCode::OK,
            headers,
            body: Bytes::from(bytes),
        })
    }

    /// The error envelope (api.md §3.1) as an answer.
    pub fn error(err: &ApiError, support_id: &str) -> Answer {
        #[derive(Serialize)]
        struct Envelope<'a> {
            status: &'static str,
            error: &'static str,
            error_details: &'a str,
            error_user: &'static str,
            code: u16,
            #[serde(rename = "supportId")]
            support_id: &'a str,
        }
        let body = Envelope {
            status: "error",
            error: err.code.exception(),
            error_details: &err.details,
            error_user: err.code.user_text(),
            code: err.code as u16,
            support_id,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match err.code {
            Code::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Code::MethodNotAllowed => {
                if let Some(allow) = err
                    .allow
                    .as_deref()
                    .and_then(|a| HeaderValue::from_str(a).ok())
                {
                    headers.insert(header::ALLOW, allow);
                }
            }
            Code::RateLimited | Code::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        Answer {
            status: StatusCode::from_u16(err.code.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(dispatch).with_state(app)
}

async fn dispatch(State(app): State<Arc<App>>, request: Request<Body>) -> Response {
    let support_id = new_support_id();
    let started = Instant::now();
    let method = request.method().clone();
    let logged_path = mask_card_numbers(
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    );
    let claim_slot = ClaimSlot::default();
    let outcome = guarded(handle(app.clone(), request, &support_id, &claim_slot)).await;
    let (mut response, internal) = match outcome {
        Ok(response) => (response, None),
        Err(err) => {
            let internal = err.internal.clone();
            (error_response(&err, &support_id), internal)
        }
    };
    with_support_id(&mut response, &support_id);
    if let Some(claim) = claim_slot.take() {
        response = idempotency::finish_unwritten(&app, &claim, response).await;
    }
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match internal {
        Some(cause) if status >= 500 => tracing::error!(
            %method, path = %logged_path, status, duration_ms, support_id = %support_id, cause = %mask_card_numbers(&cause),
            "request failed"
        ),
        _ => tracing::info!(
            %method, path = %logged_path, status, duration_ms, support_id = %support_id, "request"
        ),
    }
    response
}

fn with_support_id(response: &mut Response, support_id: &str) {
    if !response.headers().contains_key("x-support-id")
        && let Ok(v) = HeaderValue::from_str(support_id)
    {
        response.headers_mut().insert("x-support-id", v);
    }
}

/// Where `handle` leaves the Idempotency-Key claim of the request, for `dispatch` to settle.
#[derive(Default)]
struct ClaimSlot(std::sync::Mutex<Option<Arc<Claim>>>);

impl ClaimSlot {
    fn put(&self, claim: Arc<Claim>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(claim);
    }
    fn take(&self) -> Option<Arc<Claim>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

async fn handle(
    app: Arc<App>,
    request: Request<Body>,
    support_id: &str,
    claim_slot: &ClaimSlot,
) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    limits::check_headers(&parts.headers)?;
    let body = read_body(&parts.headers, body, app.config.body_limit).await?;
    let route = routes::resolve(&parts.method, parts.uri.path())?;
    let RouteMatch {
        handler,
        right,
        params,
    } = route;
    let principal = if right == Right::Public {
        None
    } else {
        let p = auth::authenticate(&app, &parts.headers).await?;
        right.check(&p)?;
        if let Some(limiter) = &app.rate_limiter {
            limiter.admit(&p.client_id)?;
        }
        Some(p)
    };
    let claim = match &principal {
        Some(p) => {
            let path = parts.uri.path();
            match idempotency::prepare(&app, &parts.method, path, &parts.headers, &body, p).await? {
                idempotency::Prepared::Replay(response) => return Ok(response),
                idempotency::Prepared::Claim(claim) => Some(claim),
                idempotency::Prepared::None => None,
            }
        }
        None => None,
    };
    if let Some(claim) = &claim {
        claim_slot.put(claim.clone());
    }
    let req = Req {
        principal,
        params,
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
        support_id: support_id.to_owned(),
        claim,
    };
    let limit = app.config.request_timeout;
    // A job whose request gave up (dropped future) before it ran, or while it ran, is rolled back.
    tokio::time::timeout(limit, handler(app, req))
        .await
        .map_err(|_| limits::timed_out(limit))?
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let too_large = || ApiError::new(Code::TooLarge, format!("body larger than {limit} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// The error envelope (api.md §3.1). The reason phrase is the standard one; clients must not rely on it.
pub fn error_response(err: &ApiError, support_id: &str) -> Response {
    Answer::error(err, support_id).into_response()
}

/// Runs a request; a panic anywhere inside becomes an internal error (500/1001) instead of a dropped connection.
async fn guarded(request: impl Future<Output = ApiResult<Response>>) -> ApiResult<Response> {
    match AssertUnwindSafe(request).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(ApiError::internal(panic_message(&panic))),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("panic: {text}")
}

/// Card numbers never reach a log line whole: any run of 16 digits keeps its first 6 and last 4.
pub fn mask_card_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run == 0 {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        } else if run == 16 {
            out.push_str(&text[i..i + 6]);
            out.push_str("******");
            out.push_str(&text[i + 12..i + 16]);
            i += 16;
        } else {
            out.push_str(&text[i..i + run]);
            i += run;
        }
    }
    out
}

/// Health endpoints answer outside the API envelope conventions but still as JSON.
pub fn plain_status(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_internal_error_with_the_envelope() {
        let err = guarded(async { panic!("boom at card 9276004429942845") })
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::Internal);
        assert_eq!(
            err.details, "internal error",
            "nothing of the cause reaches the client"
        );
        assert!(err.internal.as_deref().unwrap().contains("boom"));
        let response = error_response(&err, "0123456789abcdef0123456789abcdef");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn sixteen_digit_runs_are_masked_in_log_text() {
        assert_eq!(
            mask_card_numbers("/x?q=card.cardnumber:9276004429942845&count=10"),
            "/x?q=card.cardnumber:927600******2845&count=10"
        );
        assert_eq!(mask_card_numbers("29187330"), "29187330");
    }
}
