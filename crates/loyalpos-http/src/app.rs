//! What every handler works with: the shared state ([`App`]), its [`Config`], and the request as a
//! handler gets it ([`Req`]), which runs the request's unit of work on the store.

use std::pin::Pin;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use loyalpos_app::clock::Clock;
use loyalpos_app::{ApiError, ApiResult, Principal};
use loyalpos_store::{Gate, Store, Tx};

use crate::answer::Answer;
use crate::idempotency::{self, Claim};
use crate::limits::RateLimiter;
use crate::token_limits::TokenFailures;

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
    /// A request body still arriving after this is answered 400/4001.
    pub body_read_timeout: std::time::Duration,
    /// Origins browsers may call the API from (`--cors-origin`).
    pub cors: crate::cors::CorsOrigins,
    /// `GET /metrics` answers on the API port (false when `--metrics-listen` serves it elsewhere).
    pub metrics_on_api: bool,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Frame limits of STOMP over WebSocket (`GET /stomp`), the STOMP listener's.
    pub stomp_frame: loyalpos_stomp::Limits,
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
            body_read_timeout: std::time::Duration::from_secs(30),
            cors: crate::cors::CorsOrigins::Off,
            metrics_on_api: true,
            trusted_proxies: Vec::new(),
            stomp_frame: loyalpos_stomp::Limits::default(),
        }
    }
}

pub struct App {
    pub store: Store,
    pub clock: Clock,
    pub config: Config,
    pub rate_limiter: Option<RateLimiter>,
    /// Failed attempts at `/oauth/token` per API client and per remote address.
    pub token_failures: TokenFailures,
}

impl App {
    pub fn new(store: Store, clock: Clock, config: Config) -> App {
        let rate_limiter = config.rate_limit.map(RateLimiter::new);
        App {
            store,
            clock,
            config,
            rate_limiter,
            token_failures: TokenFailures::default(),
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
    /// The client's address: the connection's peer (`ConnectInfo`), or the address a trusted
    /// proxy forwarded (`X-Forwarded-For`, README "Behind a reverse proxy").
    pub remote: Option<std::net::IpAddr>,
    /// Decides between the request's write job and the request timeout (`loyalpos_store::Gate`).
    pub gate: Arc<Gate>,
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
                app.store.write_gated(Some(self.gate.clone()), job).await?
            }
            None => app.store.write_gated(Some(self.gate.clone()), job).await?,
        };
        Ok(answer.into_response())
    }

    /// True when the request's answer is rendered in its write job: an Idempotency-Key records
    /// the answer in the same unit as the effect ([`Req::write`]). Without one, a handler may run
    /// the command alone ([`Req::write_value`]) and render its answer off the writer.
    pub fn answers_in_job(&self) -> bool {
        self.claim.is_some()
    }

    /// Runs `job` as one unit of work and hands back its value, for a request whose answer is not
    /// recorded ([`Req::answers_in_job`] is false).
    pub async fn write_value<T, F>(&self, app: &App, job: F) -> ApiResult<T>
    where
        F: FnOnce(&mut dyn Tx) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        debug_assert!(!self.answers_in_job());
        app.store.write_gated(Some(self.gate.clone()), job).await
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
