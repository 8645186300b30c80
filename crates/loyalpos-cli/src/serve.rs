//! `serve`'s flags, and what the database needs before the API is served. Running the server is
//! the HTTP crate's; the binary, the composition root, hands these flags to it.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use ipnet::IpNet;
use loyalpos_app::clock::Clock;
use loyalpos_app::demo;
use loyalpos_store::Store;

// `serve`'s flags as given (no doc comment: it would replace the command's help); the binary
// turns them into the HTTP server's options.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "LOYALPOS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Creates the demo tenant (spec demo-tenant.md) if missing and enables demo-only behaviour.
    #[arg(long)]
    pub demo: bool,
    /// Access token lifetime in seconds.
    #[arg(long, env = "LOYALPOS_TOKEN_TTL", default_value_t = 1200)]
    pub token_ttl: i64,
    /// Switches the appuser grant off.
    #[arg(long, env = "LOYALPOS_DISABLE_APPUSER")]
    pub disable_appuser: bool,
    /// Marks the back office's session cookie `Secure` although requests arrive over plain HTTP
    /// (behind a TLS proxy that is not a `--trusted-proxy`).
    #[arg(long, env = "LOYALPOS_OFFICE_SECURE_COOKIES")]
    pub office_secure_cookies: bool,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "LOYALPOS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Requests per second per API client (off when absent); more get 429/2006.
    #[arg(long, env = "LOYALPOS_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// Seconds after which a request is rolled back and answered 503/1002.
    #[arg(long, env = "LOYALPOS_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Seconds a client has to send a request's headers; the same limit closes a keep-alive
    /// connection that waits longer than this for its next request.
    #[arg(long, env = "LOYALPOS_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body once its headers arrived (400/4001 after).
    #[arg(long, env = "LOYALPOS_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Most connections served at once; further clients wait to be accepted.
    #[arg(long, env = "LOYALPOS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Address of the STOMP listener (push.md §2); port 0 picks a free port, `off` switches it off.
    #[arg(long, env = "LOYALPOS_STOMP_LISTEN", default_value = "127.0.0.1:61614")]
    pub stomp_listen: String,
    /// Most STOMP connections at once; more are closed when accepted.
    #[arg(long, env = "LOYALPOS_STOMP_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub stomp_max_connections: usize,
    /// Largest STOMP frame in bytes; a larger one gets an ERROR frame and the connection is closed.
    #[arg(long, env = "LOYALPOS_STOMP_FRAME_LIMIT", default_value_t = 1024 * 1024)]
    pub stomp_frame_limit: usize,
    /// Days events are kept for resuming streams (push.md §1); older ones are deleted hourly.
    #[arg(long, env = "LOYALPOS_EVENT_RETENTION", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub event_retention: u64,
    /// `verification_url` shown to registering devices.
    #[arg(
        long,
        env = "LOYALPOS_VERIFICATION_URL",
        default_value = "http://www.secuoffice.com"
    )]
    pub verification_url: String,
    /// An origin browsers may call the API from (`https://kasse.example`), repeatable; `*` admits
    /// every origin, without credentials. Off when absent.
    #[arg(
        long = "cors-origin",
        env = "LOYALPOS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    // Observability and transport (README "Metrics", "TLS", "Behind a reverse proxy").
    /// Serves `GET /metrics` on this address instead of the API port (where it is then 404).
    #[arg(long, env = "LOYALPOS_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// PEM certificate chain: --listen serves HTTPS (needs --tls-key).
    #[arg(long, env = "LOYALPOS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "LOYALPOS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Address or network (CIDR) of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto
    /// are believed; repeatable (comma-separated in the environment).
    #[arg(
        long = "trusted-proxy",
        env = "LOYALPOS_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_trusted
    )]
    pub trusted_proxies: Vec<IpNet>,
}

/// Parses one `--trusted-proxy` value: an address (`10.0.0.7`, `::1`) or a network (`10.0.0.0/8`).
fn parse_trusted(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not an address or a network (CIDR): {text:?}"))
}

/// Readies the database for serving, once the server is sure to start: `--demo` creates the demo
/// tenant if missing; without it, a database that holds the demo tenant is warned about.
pub async fn prepare_tenant(store: &Store, clock: &Clock, demo: bool) -> anyhow::Result<()> {
    if demo {
        seed_demo(store, clock).await
    } else {
        warn_of_demo_data(store).await
    }
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

/// PostgreSQL with autovacuum off never analyses nor cleans the tables: a pooled connection keeps
/// plans made while they were nearly empty (a card lookup that walks all of a merchant's cards) and
/// the dead rows of every booking stay. Said once at start, since nothing else would show it.
pub async fn warn_of_missing_maintenance(store: &Store) -> anyhow::Result<()> {
    if store.read(|tx| tx.maintenance_off()).await? {
        tracing::warn!(
            "PostgreSQL runs without autovacuum (or its statistics): plans and indexes degrade as tables \
             grow; run VACUUM ANALYZE regularly (README \"Storage and durability\")"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    #[test]
    fn a_trusted_proxy_is_an_address_or_a_network() {
        assert_eq!(parse_trusted("10.0.0.0/8"), Ok(net("10.0.0.0/8")));
        assert_eq!(parse_trusted(" 127.0.0.1 "), Ok(net("127.0.0.1/32")));
        assert_eq!(parse_trusted("::1"), Ok(net("::1/128")));
        assert!(parse_trusted("proxy.example").is_err());
        assert!(parse_trusted("10.0.0.0/33").is_err());
    }
}
