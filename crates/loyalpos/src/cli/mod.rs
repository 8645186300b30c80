mod bench;
mod cardgroup;
mod cards;
mod operator;
mod serve;

use anyhow::Context;
use clap::{Parser, Subcommand};
use loyalpos_app::clock::Clock;
use loyalpos_store::Store;

#[derive(Parser)]
#[command(
    name = "loyalpos",
    version,
    about = "secuconnect API v2 server for loyalty at the point of sale"
)]
pub struct Cli {
    /// `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`; default `sqlite:loyalpos.db`, and
    /// `sqlite:loyalpos-demo.db` for `serve --demo`, so demo data never lands in the real database.
    #[arg(long, global = true, env = "LOYALPOS_DATABASE_URL")]
    database: Option<String>,
    /// Time zone in which timestamps are rendered.
    #[arg(
        long,
        global = true,
        env = "LOYALPOS_TIMEZONE",
        default_value = "Europe/Berlin"
    )]
    timezone: String,
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
    Import { file: std::path::PathBuf },
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
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock = clock(&cli.timezone)?;
    let database = cli
        .database
        .unwrap_or_else(|| default_database(&cli.command).into());
    let store = Store::open(&database)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    let outcome = command(cli.command, &store, clock).await;
    store.close().await;
    outcome
}

async fn command(command: Command, store: &Store, clock: Clock) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::serve(store.clone(), clock, args).await,
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Check => operator::check(store).await,
        Command::Bench(args) => bench::bench(args).await,
        Command::Import { file } => operator::import_file(store, &clock, &file).await,
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
