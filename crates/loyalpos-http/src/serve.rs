//! Runs the API: binds the listeners (the API's, over TLS when asked, and the metrics'), serves
//! each connection with hyper under the time limits and the connection cap `axum::serve` lacks,
//! purges expired idempotency keys, and stops gracefully on SIGTERM or SIGINT.
//!
//! [`Server::bind`] does everything that can refuse the start, so that a caller can prepare the
//! database (the demo tenant) only once the server is sure to run, then [`Server::run`] serves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use loyalpos_app::clock::Clock;
use loyalpos_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::cors::CorsOrigins;
use crate::stomp::{StompLimits, run_stomp};
use crate::{App, Config, events, idempotency, metrics, proxy, router};

/// How late the relay at the latest sees events that no wake-up announced: written by another
/// process on SQLite (an operator command), or on PostgreSQL while the `LISTEN` connection was
/// being re-established.
const EVENT_POLL: Duration = Duration::from_secs(5);

/// How to serve: addresses, transport, connection limits and the API's behaviour.
pub struct ServeOptions {
    /// Address of the API; port 0 picks a free port.
    pub listen: String,
    /// Serves `GET /metrics` on this address instead of the API's.
    pub metrics_listen: Option<String>,
    /// HTTPS on `listen` with this certificate chain and key.
    pub tls: Option<TlsFiles>,
    /// Origins browsers may call the API from, as given (`*` for every origin).
    pub cors_origins: Vec<String>,
    /// Time a client has to send a request's headers (and to open a keep-alive connection's next).
    pub header_timeout: Duration,
    /// Most connections served at once (at least one is).
    pub max_connections: usize,
    /// Address of the STOMP listener (push.md §2); `None` switches it off.
    pub stomp_listen: Option<String>,
    /// The STOMP listener's connection cap and frame limits.
    pub stomp: StompLimits,
    /// How long events are kept for resumes (push.md §1).
    pub event_retention: Duration,
    /// Pages served beside the API on its address (the back office); `None` serves only the API.
    pub pages: Option<axum::Router>,
    /// The API's behaviour. Its `cors` and `metrics_on_api` are the server's to set: from
    /// `cors_origins` once they are checked, and from whether `metrics_listen` is given.
    pub api: Config,
}

/// PEM files: the certificate chain and its private key.
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Cors(String),
    #[error("reading the TLS certificate {}", .path.display())]
    Certificate {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error("no certificate in {}", .0.display())]
    NoCertificate(PathBuf),
    #[error("reading the TLS private key {}", .path.display())]
    PrivateKey {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error("the TLS provider")]
    TlsProvider(#[source] tokio_rustls::rustls::Error),
    #[error("the TLS certificate and key do not belong together")]
    KeyMismatch(#[source] tokio_rustls::rustls::Error),
    #[error("binding {address}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("binding the STOMP address {address} (--stomp-listen)")]
    BindStomp {
        address: String,
        source: std::io::Error,
    },
    #[error("binding the metrics address {address}")]
    BindMetrics {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A server whose listeners are bound: nothing can refuse its start any more.
pub struct Server {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    stomp_listener: Option<TcpListener>,
    tls: Option<TlsAcceptor>,
    cors: CorsOrigins,
    options: ServeOptions,
}

impl Server {
    /// Checks the CORS origins and the TLS files, then binds the API's and the metrics' listeners.
    pub async fn bind(options: ServeOptions) -> Result<Server, ServeError> {
        let cors = CorsOrigins::parse(&options.cors_origins).map_err(ServeError::Cors)?;
        let tls = match &options.tls {
            Some(files) => Some(tls_acceptor(&files.cert, &files.key)?),
            None => None,
        };
        let listener =
            TcpListener::bind(&options.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    address: options.listen.clone(),
                    source,
                })?;
        let metrics_listener = match &options.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await.map_err(|source| {
                ServeError::BindMetrics {
                    address: address.clone(),
                    source,
                }
            })?),
            None => None,
        };
        let stomp_listener =
            match &options.stomp_listen {
                Some(address) => Some(TcpListener::bind(address).await.map_err(|source| {
                    ServeError::BindStomp {
                        address: address.clone(),
                        source,
                    }
                })?),
                None => None,
            };
        Ok(Server {
            listener,
            metrics_listener,
            stomp_listener,
            tls,
            cors,
            options,
        })
    }

    /// Serves the API on `store` until SIGTERM or SIGINT, then lets in-flight requests finish.
    /// Prints `loyalpos listening on URL`, then `loyalpos stomp on tcp://HOST:PORT` (unless the STOMP
    /// listener is off) and `loyalpos metrics on URL` (with a metrics address) once serving.
    pub async fn run(self, store: Store, clock: Clock) -> Result<(), ServeError> {
        let Server {
            listener,
            metrics_listener,
            stomp_listener,
            tls,
            cors,
            options,
        } = self;
        let header_timeout = options.header_timeout;
        let max_connections = options.max_connections.max(1);
        let config = Config {
            cors,
            metrics_on_api: metrics_listener.is_none(),
            stomp_frame: options.stomp.frame,
            ..options.api
        };
        metrics::install();
        tokio::spawn(idempotency::purge_loop(store.clone(), clock.clone()));
        store.set_event_renderer(Arc::new(events::Views {
            clock: clock.clone(),
        }));
        store.start_event_relay(EVENT_POLL);
        events::spawn_retention(store.clone(), clock.clone(), options.event_retention);
        let app = Arc::new(App::new(store, clock, config));
        let stopping = stop_on(shutdown_signal()?);
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("loyalpos listening on {scheme}://{addr}");
        if let Some(stomp_listener) = stomp_listener {
            let scheme = if tls.is_some() { "tls" } else { "tcp" };
            println!(
                "loyalpos stomp on {scheme}://{}",
                stomp_listener.local_addr()?
            );
            tokio::spawn(run_stomp(
                stomp_listener,
                app.clone(),
                tls.clone(),
                options.stomp,
                stopped(stopping.clone()),
            ));
        }
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
            let stopped = stopping.clone();
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
            max_connections,
        };
        let service = router(app, options.pages);
        run_connections(listener, service, limits, tls, stopping).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Connections the metrics address serves at once (scrapers, not registers).
const METRICS_CONNECTIONS: usize = 16;

/// The certificate chain and key of `--tls-cert`/`--tls-key` (PEM) as a TLS acceptor (rustls with
/// the ring provider; HTTP/1.1 over TLS 1.2 and 1.3).
fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| ServeError::Certificate {
            path: cert.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(ServeError::NoCertificate(cert.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| ServeError::PrivateKey {
        path: key.to_owned(),
        source,
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ServeError::TlsProvider)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(ServeError::KeyMismatch)?;
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
/// same limit, so a silent client cannot hold a slot); once `stopping`, stops accepting and lets
/// the open connections finish their requests (an upgraded WebSocket ends with the process).
async fn run_connections(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnLimits,
    tls: Option<TlsAcceptor>,
    stopping: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut open = tokio::task::JoinSet::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(stopped(stopping.clone()));
    loop {
        // Forget the connections that ended.
        while open.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
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
        let (http, stopping, tls) = (http.clone(), stopping.clone(), tls.clone());
        let handshake_limit = limits.header_timeout;
        open.spawn(async move {
            match tls {
                None => serve_connection(&http, stopping, stream, service).await,
                Some(tls) => {
                    match tokio::time::timeout(handshake_limit, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(&http, stopping, stream, service).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    while open.join_next().await.is_some() {}
}

/// The next connection. A failed accept (out of file descriptors and the like) is logged and
/// tried again after 100 ms instead of spinning.
pub(crate) async fn accept(
    listener: &TcpListener,
) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                // Answers and events are written whole: Nagle's algorithm would only hold a reply
                // back behind an unacknowledged event.
                if let Err(e) = accepted.0.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY not set");
                }
                return accepted;
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves one connection until it ends; once `stopping`, it finishes its request in flight and
/// closes (hyper's graceful shutdown).
async fn serve_connection<S>(
    http: &http1::Builder,
    stopping: watch::Receiver<bool>,
    stream: S,
    service: TowerToHyperService<axum::Router>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // Upgrades: STOMP over WebSocket (`GET /stomp`).
    let conn = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = stopped(stopping) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
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

/// SIGTERM or SIGINT: stop accepting, let in-flight requests finish. The handlers are installed
/// before the ready line is printed, so a signal sent right after it is never fatal.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
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
