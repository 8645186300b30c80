//! The `loyalpos` command line: every command's flags, and every command but `serve` run on the
//! application layer. `serve` is the binary's: this crate never reaches the HTTP edge (a test of the
//! binary checks its dependencies), so [`run`] hands `serve`'s flags, the store and the clock to the
//! function the binary gives it.

mod backup;
mod bench;
mod bench_stomp;
mod cardgroup;
mod cards;
mod operator;
mod output;
mod progress;
mod screenshots;
pub mod serve;

use anyhow::Context;
use clap::{Parser, Subcommand};
use loyalpos_app::clock::Clock;
use loyalpos_store::Store;

#[derive(Parser)]
#[command(
    name = "loyalpos",
    version,
    about = "secuconnect API v2 server for loyalty at the point of sale",
    // Every command but `bench` uses the database and the time zone.
    mut_subcommand("bench", bench::without_database)
)]
pub struct Cli {
    /// `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`; default `sqlite:loyalpos.db`, and
    /// `sqlite:loyalpos-demo.db` for `serve --demo`, so demo data never lands in the real database.
    /// Only `serve` and `migrate` create one.
    #[arg(long, global = true, env = "LOYALPOS_DATABASE_URL", value_name = "URL")]
    database: Option<String>,
    /// Time zone in which timestamps are rendered.
    #[arg(
        long,
        global = true,
        env = "LOYALPOS_TIMEZONE",
        default_value = "Europe/Berlin"
    )]
    timezone: String,
    /// Log lines as `text` (for people) or `json` (one object per line, for log shippers).
    #[arg(long, global = true, env = "LOYALPOS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the API.
    Serve(serve::ServeArgs),
    /// Applies the database migrations and exits.
    Migrate,
    /// Drives register flows against a running server and reports throughput and latency.
    Bench(bench::BenchArgs),
    /// Verifies the ledger invariant over the whole database; exits non-zero on any violation.
    Check,
    /// Imports a merchant's data (spec import.md): all or nothing, idempotent.
    Import {
        /// The import document (JSON, spec import.md).
        file: std::path::PathBuf,
    },
    /// Copies a SQLite database while it is served, then checks the copy (integrity and ledger).
    Backup(backup::BackupArgs),
    /// Checks a backup, then replaces the SQLite database with it (the server must be stopped).
    Restore(backup::RestoreArgs),
    /// Merchants (created by the operator, never through the API).
    #[command(subcommand)]
    Merchant(operator::MerchantCommand),
    /// Stores of a merchant.
    #[command(subcommand)]
    Store(operator::StoreCommand),
    /// API clients (client_id / client_secret).
    #[command(subcommand)]
    Client(operator::ClientCommand),
    /// Merchant users for the appuser grant.
    #[command(subcommand)]
    User(operator::UserCommand),
    /// Device registrations.
    #[command(subcommand)]
    Device(operator::DeviceCommand),
    /// Access tokens: revoke those of a client, device or user.
    #[command(subcommand)]
    Token(operator::TokenCommand),
    /// Card groups: the bonus programme configuration.
    #[command(subcommand)]
    Cardgroup(cardgroup::CardgroupCommand),
    /// Cards: issue new cards with their CSC.
    #[command(subcommand)]
    Cards(cards::CardsCommand),
    /// Takes a PNG of every back-office page with the demo tenant (headless Chromium).
    OfficeScreenshots(screenshots::ScreenshotArgs),
}

/// Runs the command; `serve` runs as `serve(args, store, clock)` on the opened, migrated store.
pub async fn run(
    cli: Cli,
    serve: impl AsyncFnOnce(serve::ServeArgs, Store, Clock) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    output::install_closed_pipe_hook();
    let clock = clock(&cli.timezone)?;
    let database = cli
        .database
        .unwrap_or_else(|| default_database(&cli.command).into());
    let outcome = match cli.command {
        // These open no store of the database: bench talks HTTP, backup and restore copy files,
        // office-screenshots drives a browser.
        Command::Bench(args) => bench::bench(args).await,
        Command::Backup(args) => backup::backup(&database, args).await,
        Command::Restore(args) => backup::restore(&database, args).await,
        Command::OfficeScreenshots(args) => screenshots::screenshots(args).await,
        command => with_store(&database, command, clock, serve).await,
    };
    if let Err(err) = &outcome
        && let Some(code) = output::closed_exit(err)
    {
        eprintln!("error: {err:#}");
        std::process::exit(code.into());
    }
    outcome
}

async fn with_store(
    database: &str,
    command: Command,
    clock: Clock,
    serve: impl AsyncFnOnce(serve::ServeArgs, Store, Clock) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // Only `serve` and `migrate` create a database; a mistyped name must not become an empty one.
    let opened = match command {
        Command::Serve(_) | Command::Migrate => Store::open(database).await,
        _ => Store::open_existing(database).await,
    };
    let store = opened.with_context(|| format!("opening the database {}", redacted(database)))?;
    store.migrate().await.context("migrating the database")?;
    let outcome = command_on(command, &store, clock, serve).await;
    store.close().await;
    outcome
}

async fn command_on(
    command: Command,
    store: &Store,
    clock: Clock,
    serve: impl AsyncFnOnce(serve::ServeArgs, Store, Clock) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args, store.clone(), clock).await,
        Command::Migrate => Ok(output::Stdout::new().line("migrations applied")?),
        Command::Check => operator::check(store).await,
        Command::Import { file } => {
            let progress = progress::Progress::phase(format!("importing {}", file.display()), true);
            let imported = operator::import_file(store, &clock, &file).await;
            match &imported {
                Ok(()) => progress.finish(format!("imported {}", file.display())),
                Err(_) => progress.abandon(),
            }
            imported
        }
        Command::Bench(_)
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::OfficeScreenshots(_) => {
            anyhow::bail!("this command opens no store (run() handles it)")
        }
        Command::Merchant(cmd) => operator::merchant(store, &clock, cmd).await,
        Command::Store(cmd) => operator::store(store, &clock, cmd).await,
        Command::Client(cmd) => operator::client(store, &clock, cmd).await,
        Command::User(cmd) => operator::user(store, &clock, cmd).await,
        Command::Device(cmd) => operator::device(store, &clock, cmd).await,
        Command::Token(cmd) => operator::token(store, cmd).await,
        Command::Cardgroup(cmd) => cardgroup::cardgroup(store, &clock, cmd).await,
        Command::Cards(cmd) => cards::cards(store, &clock, cmd).await,
    }
}

/// The URL without a password (`postgres://user:secret@host/db` → `postgres://user:***@host/db`).
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

fn default_database(command: &Command) -> &'static str {
    match command {
        Command::Serve(args) if args.demo => "sqlite:loyalpos-demo.db",
        _ => "sqlite:loyalpos.db",
    }
}

fn clock(timezone: &str) -> anyhow::Result<Clock> {
    let tz = jiff::tz::TimeZone::get(timezone)
        .with_context(|| format!("unknown time zone {timezone}"))?;
    Ok(Clock::new(tz))
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
