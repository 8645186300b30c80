use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use loyalpos_app::clock::Clock;
use loyalpos_app::demo;
use loyalpos_http::cors::CorsOrigins;
use loyalpos_http::{App, Config, router};
use loyalpos_http::{idempotency, metrics, proxy};
use loyalpos_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "LOYALPOS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Creates the demo tenant (spec demo-tenant.md) if missing and enables demo-only behaviour.
    #[arg(long)]
    pub(super) demo: bool,
    /// Access token lifetime in seconds.
    #[arg(long, env = "LOYALPOS_TOKEN_TTL", default_value_t = 1200)]
    token_ttl: i64,
    /// Switches the appuser grant off.
    #[arg(long, env = "LOYALPOS_DISABLE_APPUSER")]
    disable_appuser: bool,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "LOYALPOS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Requests per second per API client (off when absent); more get 429/2006.
    #[arg(long, env = "LOYALPOS_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Seconds after which a request is rolled back and answered 503/1002.
    #[arg(long, env = "LOYALPOS_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a client has to send a request's headers; the same limit closes a keep-alive
    /// connection that waits longer than this for its next request.
    #[arg(long, env = "LOYALPOS_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a client has to send a request's body once its headers arrived (400/4001 after).
    #[arg(long, env = "LOYALPOS_BODY_TIMEOUT", default_value_t = 30)]
    body_timeout: u64,
    /// Most connections served at once; further clients wait to be accepted.
    #[arg(long, env = "LOYALPOS_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// `verification_url` shown to registering devices.
    #[arg(
        long,
        env = "LOYALPOS_VERIFICATION_URL",
        default_value = "http://www.secuoffice.com"
    )]
    verification_url: String,
    /// An origin browsers may call the API from (`https://kasse.example`), repeatable; `*` admits
    /// every origin, without credentials. Off when absent.
    #[arg(
        long = "cors-origin",
        env = "LOYALPOS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    // Observability and transport (README "Metrics", "TLS", "Behind a reverse proxy").
    /// Serves `GET /metrics` on this address instead of the API port (where it is then 404).
    #[arg(long, env = "LOYALPOS_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// PEM certificate chain: --listen serves HTTPS (needs --tls-key).
    #[arg(long, env = "LOYALPOS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "LOYALPOS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Address or network (CIDR) of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto
    /// are believed; repeatable (comma-separated in the environment).
    #[arg(
        long = "trusted-proxy",
        env = "LOYALPOS_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = proxy::parse_trusted
    )]
    trusted_proxies: Vec<proxy::IpNet>,
}

pub async fn serve(store: Store, clock: Clock, args: ServeArgs) -> anyhow::Result<()> {
    // Everything that can refuse the start comes first: a server that cannot serve must not have
    // seeded anything.
    let cors = CorsOrigins::parse(&args.cors_origins).map_err(anyhow::Error::msg)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
        _ => None,
    };
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let metrics_listener = match &args.metrics_listen {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("binding the metrics address {address}"))?,
        ),
        None => None,
    };
    if args.demo {
        seed_demo(&store, &clock).await?;
    } else {
        warn_of_demo_data(&store).await?;
    }
    let config = Config {
        demo: args.demo,
        token_ttl: args.token_ttl,
        appuser_enabled: !args.disable_appuser,
        body_limit: args.body_limit,
        verification_url: args.verification_url,
        rate_limit: args.rate_limit,
        request_timeout: Duration::from_secs(args.request_timeout),
        body_read_timeout: Duration::from_secs(args.body_timeout),
        cors,
        metrics_on_api: args.metrics_listen.is_none(),
        trusted_proxies: args.trusted_proxies,
        ..Config::default()
    };
    metrics::install();
    tokio::spawn(idempotency::purge_loop(store.clone(), clock.clone()));
    let app = Arc::new(App::new(store, clock, config));
    let stopping = stop_on(shutdown_signal()?);
    let header_timeout = Duration::from_secs(args.header_timeout);
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("loyalpos listening on {scheme}://{addr}");
    if let Some(metrics_listener) = metrics_listener {
        println!(
            "loyalpos metrics on http://{}",
            metrics_listener.local_addr()?
        );
        let limits = ConnLimits {
            header_timeout,
            max_connections: METRICS_CONNECTIONS,
        };
        let service = metrics::router(app.clone());
        let stopped = stopped(stopping.clone());
        tokio::spawn(run_connections(
            metrics_listener,
            service,
            limits,
            None,
            stopped,
        ));
    }
    let limits = ConnLimits {
        header_timeout,
        max_connections: args.max_connections.max(1),
    };
    run_connections(listener, router(app), limits, tls, stopped(stopping)).await;
    tracing::info!("stopped");
    Ok(())
}

/// Connections the metrics address serves at once (scrapers, not registers).
const METRICS_CONNECTIONS: usize = 16;

/// The certificate chain and key of `--tls-cert`/`--tls-key` (PEM) as a TLS acceptor (rustls with
/// the ring provider; HTTP/1.1 over TLS 1.2 and 1.3).
fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("no certificate in {}", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading the TLS private key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS provider")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not belong together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Shares one shutdown between the listeners: the API's and the metrics'.
fn stop_on(shutdown: impl Future<Output = ()> + Send + 'static) -> watch::Receiver<bool> {
    let (stop, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    stopping
}

async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

struct ConnLimits {
    header_timeout: Duration,
    max_connections: usize,
}

/// Accepts connections while fewer than `max_connections` are open and serves each with hyper's
/// HTTP/1 server under the header time limit (over TLS when `tls` is given, the handshake under the
/// same limit, so a silent client cannot hold a slot); on `shutdown`, stops accepting and lets the
/// open connections finish their requests.
async fn run_connections(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The peer reaches the handlers as `ConnectInfo` (failed sign-ins are limited per address).
        let mut router = router
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        if tls.is_some() {
            router = router.layer(axum::Extension(proxy::Tls));
        }
        let service = TowerToHyperService::new(router);
        let (http, watcher, tls) = (http.clone(), graceful.watcher(), tls.clone());
        let handshake_limit = limits.header_timeout;
        tokio::spawn(async move {
            match tls {
                None => serve_connection(&http, watcher, stream, service).await,
                Some(tls) => {
                    match tokio::time::timeout(handshake_limit, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(&http, watcher, stream, service).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn serve_connection<S>(
    http: &http1::Builder,
    watcher: Watcher,
    stream: S,
    service: TowerToHyperService<axum::Router>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = http.serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

// What hyper refuses before the dispatcher runs gets hyper's bare answer (no body) and a closed
// connection, as there is no request to answer in the envelope: a request line or header that does
// not parse (garbage, bytes not allowed in a header value) or an invalid or negative
// `Content-Length` (400), a request target over 65,534 bytes (the `http` crate's limit, 414), more
// than 100 header lines or a head beyond hyper's ~400 KB read buffer (431). Raising hyper's
// header-line limit would let the dispatcher envelope the 431, but hyper then fills a table of
// that many entries for every request (measured: ~8 % of the CPU of authenticated GETs at 2,000).

/// Creates the demo tenant unless the database already holds it.
async fn seed_demo(store: &Store, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now();
    let clock = clock.clone();
    let created = store
        .write(move |tx| demo::seed(tx, &clock, now))
        .await
        .context("seeding the demo tenant")?;
    tracing::warn!(
        created,
        "demo data is active (merchant John's Bakery, pinned token)"
    );
    Ok(())
}

/// Without `--demo` the demo tenant's public credentials are refused, but its data stays.
async fn warn_of_demo_data(store: &Store) -> anyhow::Result<()> {
    if store.read(|tx| tx.demo_merchant_exists()).await? {
        tracing::warn!(
            "this database holds the demo tenant (John's Bakery); its public credentials work only \
             with --demo — serve a database of its own for production"
        );
    }
    Ok(())
}

/// SIGTERM or SIGINT: stop accepting, let in-flight requests finish. The handlers are installed
/// before the ready line is printed, so a signal sent right after it is never fatal.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    })
}
