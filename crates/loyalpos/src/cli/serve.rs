use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use loyalpos_app::clock::Clock;
use loyalpos_app::demo;
use loyalpos_http::idempotency;
use loyalpos_http::{App, Config, router};
use loyalpos_store::Store;
use tokio::net::TcpListener;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "LOYALPOS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Creates the demo tenant (spec demo-tenant.md) if missing and enables demo-only behaviour.
    #[arg(long)]
    demo: bool,
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
    /// `verification_url` shown to registering devices.
    #[arg(
        long,
        env = "LOYALPOS_VERIFICATION_URL",
        default_value = "http://www.secuoffice.com"
    )]
    verification_url: String,
}

pub async fn serve(store: Store, clock: Clock, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        seed_demo(&store, &clock).await?;
    }
    let config = Config {
        demo: args.demo,
        token_ttl: args.token_ttl,
        appuser_enabled: !args.disable_appuser,
        body_limit: args.body_limit,
        verification_url: args.verification_url,
        rate_limit: args.rate_limit,
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        ..Config::default()
    };
    tokio::spawn(idempotency::purge_loop(store.clone(), clock.clone()));
    let app = Arc::new(App::new(store, clock, config));
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("loyalpos listening on http://{addr}");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("stopped");
    Ok(())
}

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
