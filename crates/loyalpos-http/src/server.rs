//! The one dispatcher every request goes through. The order of checks is api.md §1.7: body size →
//! route and method → token → right → the handler.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::FutureExt;
use loyalpos_app::secret::new_support_id;
use loyalpos_app::{ApiError, ApiResult, Code};
use loyalpos_store::{DeviceId, Gate, MerchantId};
use tower_http::compression::CompressionLayer;

use crate::answer::error_response;
use crate::app::{App, Config, Req};
use crate::auth::{self, Right};
use crate::idempotency::{self, Claim};
use crate::routes::{self, RouteMatch};
use crate::{limits, metrics, openapi, proxy};

/// The service: every request goes to the one dispatcher. Answers are compressed (gzip, br) when
/// the client accepts it and they are worth it; CORS preflights are answered before the dispatcher
/// when `--cors-origin` is set.
///
/// `pages` (the back office) are served beside the API with the request's scheme — as TLS and
/// the trusted proxies tell it — as a request extension (`http::uri::Scheme`).
pub fn router(app: Arc<App>, pages: Option<axum::Router>) -> axum::Router {
    let cors = app.config.cors.layer();
    let mut router = axum::Router::new()
        // STOMP over WebSocket (push.md §2): the upgrade, then the STOMP session's own checks.
        .route("/stomp", axum::routing::any(crate::stomp::ws::upgrade))
        .fallback(dispatch)
        .with_state(app.clone());
    if let Some(pages) = pages {
        let scheme = axum::middleware::from_fn_with_state(app, with_scheme);
        router = router.merge(pages.layer(scheme));
    }
    let router = router.layer(CompressionLayer::new());
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

async fn with_scheme(
    State(app): State<Arc<App>>,
    mut request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let tls = request.extensions().get::<proxy::Tls>().is_some();
    let scheme = proxy::scheme(peer, tls, request.headers(), &app.config.trusted_proxies);
    let scheme = match scheme {
        "https" => axum::http::uri::Scheme::HTTPS,
        _ => axum::http::uri::Scheme::HTTP,
    };
    request.extensions_mut().insert(scheme);
    next.run(request).await
}

async fn dispatch(State(app): State<Arc<App>>, request: Request<Body>) -> Response {
    let support_id = new_support_id();
    let started = Instant::now();
    let method = request.method().clone();
    let logged_path = loggable(
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    );
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let proxies = &app.config.trusted_proxies;
    let client_ip = proxy::client_address(peer, request.headers(), proxies);
    let tls = request.extensions().get::<proxy::Tls>().is_some();
    let scheme = proxy::scheme(peer, tls, request.headers(), proxies);
    let claim_slot = ClaimSlot::default();
    let trail = Trail::default();
    let outcome = guarded(handle(
        app.clone(),
        request,
        &support_id,
        &claim_slot,
        &trail,
        client_ip,
    ))
    .await;
    let (mut response, internal, mut code) = match outcome {
        Ok(response) => (response, None, None),
        Err(err) => {
            let internal = err.internal.clone();
            let response = error_response(&err, &support_id);
            (response, internal, Some(err.code as u16))
        }
    };
    with_support_id(&mut response, &support_id);
    if let Some(claim) = claim_slot.take() {
        let before = response.status();
        response = idempotency::finish_unwritten(&app.store, &claim, response).await;
        if response.status() != before {
            code = None;
        }
    }
    let status = response.status().as_u16();
    if status >= 400 && code.is_none() {
        (response, code) = envelope_code(response).await;
    }
    let elapsed = started.elapsed();
    let route = trail
        .route
        .get()
        .map_or(metrics::UNMATCHED, |p| route_label(p));
    metrics::record_request(route, &method, status, code, elapsed);
    let duration_ms = elapsed.as_micros() as f64 / 1000.0;
    let caller = trail.caller.get();
    let client_id = caller.map(|c| c.client_id.as_str());
    let merchant_id = caller.map(|c| c.merchant_id.as_str());
    let device_id = caller.and_then(|c| c.device_id.as_deref());
    let client_ip = client_ip.map(tracing::field::display);
    // The id the client was shown: a replayed answer keeps the one of the request it replays.
    let support_id = response
        .headers()
        .get("x-support-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(&support_id);
    match internal {
        Some(cause) if status >= 500 => tracing::error!(
            %method, route, path = %logged_path, status, duration_ms, support_id = %support_id,
            code, client_id, merchant_id, device_id, client_ip, scheme,
            cause = %mask_card_numbers(&cause), "request failed"
        ),
        _ => tracing::info!(
            %method, route, path = %logged_path, status, duration_ms, support_id = %support_id,
            code, client_id, merchant_id, device_id, client_ip, scheme, "request"
        ),
    }
    response
}

/// What `handle` learns about a request for its log line and its metrics: the route it matched
/// and the caller its token names.
#[derive(Default)]
struct Trail {
    route: OnceLock<&'static str>,
    caller: OnceLock<Caller>,
}

struct Caller {
    client_id: String,
    merchant_id: MerchantId,
    device_id: Option<DeviceId>,
}

/// A route's pattern as logs and metrics name it (`/api/v2/Smart/Transactions/{id}`).
fn route_label(pattern: &'static str) -> &'static str {
    static LABELS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| {
        routes::routed()
            .into_iter()
            .map(|(_, text, _)| {
                let label: &'static str = Box::leak(openapi::template(text).0.into_boxed_str());
                (text, label)
            })
            .collect()
    });
    labels.get(pattern).copied().unwrap_or(pattern)
}

/// The catalogue code of an error envelope that a handler or a job rendered as an answer (a
/// recorded 402/4301, a replayed error); only error answers are read, and only small ones.
async fn envelope_code(response: Response) -> (Response, Option<u16>) {
    use axum::body::HttpBody;
    const SMALL: u64 = 16 * 1024;
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= SMALL);
    if !small {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, SMALL as usize).await else {
        return (Response::from_parts(parts, Body::empty()), None);
    };
    #[derive(serde::Deserialize)]
    struct Envelope {
        code: u16,
    }
    let code = serde_json::from_slice::<Envelope>(&bytes)
        .ok()
        .map(|e| e.code);
    (Response::from_parts(parts, Body::from(bytes)), code)
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
    trail: &Trail,
    remote: Option<std::net::IpAddr>,
) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    limits::check_headers(&parts.headers)?;
    limits::check_uri(&parts.uri)?;
    let body = read_body(&parts.headers, body, &app.config).await?;
    let route = routes::resolve(&parts.method, parts.uri.path())?;
    let RouteMatch {
        pattern,
        handler,
        right,
        params,
    } = route;
    let _ = trail.route.set(pattern);
    let principal = if right == Right::Public {
        None
    } else {
        let p = auth::authenticate(&app, &parts.headers).await?;
        let _ = trail.caller.set(Caller {
            client_id: p.client_id.clone(),
            merchant_id: p.merchant_id.clone(),
            device_id: p.device_id.clone(),
        });
        right.check(&p)?;
        if let Some(limiter) = &app.rate_limiter {
            limiter.admit(&p.client_id)?;
        }
        Some(p)
    };
    let claim = match &principal {
        Some(p) => {
            let path = parts.uri.path();
            match idempotency::prepare(
                &app.store,
                &app.clock,
                &parts.method,
                path,
                &parts.headers,
                &body,
                p,
            )
            .await?
            {
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
    let gate = Arc::new(Gate::default());
    let req = Req {
        principal,
        params,
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
        support_id: support_id.to_owned(),
        claim,
        remote,
        gate: gate.clone(),
    };
    let limit = app.config.request_timeout;
    let mut running = std::pin::pin!(handler(app, req));
    tokio::select! {
        answer = &mut running => answer,
        () = tokio::time::sleep(limit) => {
            // 503/1002 promises "not executed": only while the write job has not started. Once it
            // has, it commits whatever happens, so its answer is awaited however long it takes.
            if gate.abandon() {
                Err(limits::timed_out(limit))
            } else {
                running.await
            }
        }
    }
}

/// The body, refused when larger than the limit or when it does not arrive in time (a slow client
/// must not hold its connection for ever).
async fn read_body(headers: &HeaderMap, body: Body, config: &Config) -> ApiResult<Bytes> {
    let limit = config.body_limit;
    let too_large = || ApiError::new(Code::TooLarge, format!("body larger than {limit} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let wait = config.body_read_timeout;
    match tokio::time::timeout(wait, axum::body::to_bytes(body, limit)).await {
        Ok(read) => read.map(without_bom).map_err(|_| too_large()),
        Err(_) => Err(ApiError::bad_request(format!(
            "the body did not arrive within {} s",
            wait.as_secs()
        ))),
    }
}

/// One leading UTF-8 byte-order mark (.NET registers send it) is not part of the body.
fn without_bom(body: Bytes) -> Bytes {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if body.starts_with(BOM) {
        body.slice(BOM.len()..)
    } else {
        body
    }
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

/// A request's path and query as a log line shows it: percent-decoded (`+` as space) so that an
/// escape next to a card number (`%229276…`, `TO%209276…`) cannot hide it from the masking, control
/// characters escaped, card numbers masked.
pub fn loggable(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy();
    let escaped: String = decoded
        .chars()
        .flat_map(|c| {
            let escape = c.is_control().then(|| c.escape_default());
            let plain = (!c.is_control()).then_some(c);
            escape.into_iter().flatten().chain(plain)
        })
        .collect();
    mask_card_numbers(&escaped)
}

/// Card numbers never reach a log line whole: any run of 16 or more digits keeps its first 6 and
/// last 4 (a longer run may be card numbers written together).
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
        } else if run >= 16 {
            out.push_str(&text[i..i + 6]);
            out.push_str(&"*".repeat(run - 10));
            out.push_str(&text[i + run - 4..i + run]);
            i += run;
        } else {
            out.push_str(&text[i..i + run]);
            i += run;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

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

    #[test]
    fn card_numbers_next_to_escapes_are_masked_after_decoding() {
        assert_eq!(
            loggable("/x?q=card.cardnumber:%229276004428481652%22"),
            "/x?q=card.cardnumber:\"927600******1652\""
        );
        assert_eq!(
            loggable("/x?q=n:%5B9276004428481652%20TO%209276004428481653%5D"),
            "/x?q=n:[927600******1652 TO 927600******1653]"
        );
        assert_eq!(
            loggable("/x?q=a+b%0Ac%2592760044284816529"),
            "/x?q=a b\\nc%927600*******6529"
        );
    }
}
