//! `loyalpos`: a self-hostable secuconnect API v2 server for loyalty at the point of sale.
//!
//! The composition root: the command line (`loyalpos-cli`) runs every command; `serve` is where it
//! meets the HTTP server (`loyalpos-http`), and [`server_options`] is the only code that knows both.

use std::time::Duration;

use clap::Parser;
use loyalpos_app::clock::Clock;
use loyalpos_cli::serve::{ServeArgs, prepare_tenant, warn_of_missing_maintenance};
use loyalpos_cli::{Cli, LogFormat};
use loyalpos_http::Config;
use loyalpos_http::serve::{ServeOptions, Server, TlsFiles};
use loyalpos_http::stomp::StompLimits;
use loyalpos_office::OfficeConfig;
use loyalpos_store::Store;

/// mimalloc for every allocation of the process (see Cargo.toml for why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    let logging = init_logging(args.log_format);
    let result = loyalpos_cli::run(args, serve).await;
    // Every queued log line is written before the closing error line (and before the exit).
    drop(logging);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything that can refuse the start (CORS origins, TLS files, both listeners) comes before the
/// demo tenant is seeded: a server that cannot serve must not have seeded anything.
async fn serve(args: ServeArgs, store: Store, clock: Clock) -> anyhow::Result<()> {
    let demo = args.demo;
    let office = OfficeConfig {
        secure_cookies: args.office_secure_cookies,
        demo,
    };
    let pages = loyalpos_office::router(store.clone(), clock.clone(), office);
    let server = Server::bind(server_options(args, pages)).await?;
    prepare_tenant(&store, &clock, demo).await?;
    warn_of_missing_maintenance(&store).await?;
    server.run(store, clock).await?;
    Ok(())
}

fn server_options(args: ServeArgs, pages: axum::Router) -> ServeOptions {
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        // clap requires each with the other.
        _ => None,
    };
    ServeOptions {
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        tls,
        cors_origins: args.cors_origins,
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: args.max_connections,
        stomp_listen: (args.stomp_listen != "off").then_some(args.stomp_listen),
        stomp: StompLimits::new(args.stomp_max_connections, args.stomp_frame_limit),
        event_retention: Duration::from_secs(args.event_retention * 86_400),
        pages: Some(pages),
        api: Config {
            demo: args.demo,
            token_ttl: args.token_ttl,
            appuser_enabled: !args.disable_appuser,
            body_limit: args.body_limit,
            verification_url: args.verification_url,
            rate_limit: args.rate_limit,
            request_timeout: Duration::from_secs(args.request_timeout),
            body_read_timeout: Duration::from_secs(args.body_timeout),
            trusted_proxies: args.trusted_proxies,
            ..Config::default()
        },
    }
}

/// Logs go to stderr; stdout carries only what scripts read (the listening line, printed credentials).
/// Colours only on a terminal, so a file or a log shipper never gets escape sequences. A thread of
/// its own writes the lines, each batch queued meanwhile in one write; the returned guard writes
/// what is still queued when it is dropped.
fn init_logging(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOYALPOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("loyalpos-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}
