use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use loyalpos_http::clock::Clock;
use loyalpos_http::{App, Config, demo, router};
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
    /// `verification_url` shown to registering devices.
    #[arg(
        long,
        env = "LOYALPOS_VERIFICATION_URL",
        default_value = "http://www.secuoffice.com"
    )]
    verification_url: String,
}

pub async fn serve(store: Arc<dyn Store>, clock: Clock, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        let mut tx = store.write().await?;
        let created = demo::seed(&mut *tx, &clock)
            .await
            .context("seeding the demo tenant")?;
        tx.commit().await?;
        tracing::warn!(
            created,
            "demo data is active (merchant John's Bakery, pinned token)"
        );
    }
    let config = Config {
        demo: args.demo,
        token_ttl: args.token_ttl,
        appuser_enabled: !args.disable_appuser,
        body_limit: args.body_limit,
        verification_url: args.verification_url,
        ..Config::default()
    };
    let app = Arc::new(App {
        store: store.clone(),
        clock,
        config,
    });
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("loyalpos listening on http://{addr}");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM or SIGINT: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
