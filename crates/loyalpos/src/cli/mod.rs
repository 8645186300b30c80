mod bench;
mod cardgroup;
mod cards;
mod operator;
mod serve;

use anyhow::Context;
use clap::{Parser, Subcommand};
use loyalpos_http::clock::Clock;
use loyalpos_http::{App, Config};

#[derive(Parser)]
#[command(
    name = "loyalpos",
    version,
    about = "secuconnect API v2 server for loyalty at the point of sale"
)]
pub struct Cli {
    /// `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        global = true,
        env = "LOYALPOS_DATABASE_URL",
        default_value = "sqlite:loyalpos.db"
    )]
    database: String,
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
    /// Card groups: the bonus programme configuration.
    #[command(subcommand)]
    Cardgroup(cardgroup::CardgroupCommand),
    /// Cards: issue new cards with their CSC.
    #[command(subcommand)]
    Cards(cards::CardsCommand),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock = clock(&cli.timezone)?;
    let store = loyalpos_store::open(&cli.database)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    let app = App::new(store, clock, Config::default());
    match cli.command {
        Command::Serve(args) => serve::serve(app.store.clone(), app.clock.clone(), args).await,
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Check => operator::check(&app).await,
        Command::Bench(args) => bench::bench(args).await,
        Command::Import { file } => operator::import_file(&app, &file).await,
        Command::Merchant(cmd) => operator::merchant(&app, cmd).await,
        Command::Store(cmd) => operator::store(&app, cmd).await,
        Command::Client(cmd) => operator::client(&app, cmd).await,
        Command::User(cmd) => operator::user(&app, cmd).await,
        Command::Device(cmd) => operator::device(&app, cmd).await,
        Command::Cardgroup(cmd) => cardgroup::cardgroup(&app, cmd).await,
        Command::Cards(cmd) => cards::cards(&app, cmd).await,
    }
}

fn clock(timezone: &str) -> anyhow::Result<Clock> {
    let tz = jiff::tz::TimeZone::get(timezone)
        .with_context(|| format!("unknown time zone {timezone}"))?;
    Ok(Clock::new(tz))
}
