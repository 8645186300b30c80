//! `loyalpos`: a self-hostable secuconnect API v2 server for loyalty at the point of sale.

mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    init_logging(args.log_format);
    match cli::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr; stdout carries only what scripts read (the listening line, printed credentials).
/// Colours only on a terminal, so a file or a log shipper never gets escape sequences.
fn init_logging(format: cli::LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOYALPOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        cli::LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        cli::LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
