//! Operator commands: what secuconnect's back office does, done on this installation's database.
//! Each runs one command of the application layer as one store job and prints its outcome.

use anyhow::{Context, bail};
use clap::Subcommand;
use loyalpos_app::audit;
use loyalpos_app::clock::Clock;
use loyalpos_app::import::{self, Document};
use loyalpos_app::oauth::confirm_registration;
use loyalpos_app::operator::{self, ClientCredentials, NewClient};
use loyalpos_store::Store;

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Creates a merchant with its default store and default contract; prints their ids.
    Create {
        #[arg(long)]
        name: String,
        /// Keep an existing secuconnect id (`MRC_…`).
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Creates a store of a merchant; prints its id.
    Create {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        name: String,
        /// Makes it the merchant's default store.
        #[arg(long)]
        default: bool,
    },
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Creates an API client and prints its credentials once.
    Create {
        /// Bind the client to a merchant (omit for an installation-wide vendor client).
        #[arg(long)]
        merchant: Option<String>,
        /// Comma-separated grant types (default: all).
        #[arg(long)]
        grants: Option<String>,
        /// Register an existing client id (registers that move from secuconnect keep their configuration).
        #[arg(long, requires = "client_secret")]
        client_id: Option<String>,
        #[arg(long, requires = "client_id")]
        client_secret: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a merchant user for the appuser grant.
    Create {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Confirms a pending device registration shown on a register as its user code.
    Confirm {
        user_code: String,
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        store: Option<String>,
    },
}

pub async fn merchant(store: &Store, clock: &Clock, cmd: MerchantCommand) -> anyhow::Result<()> {
    let MerchantCommand::Create { name, id } = cmd;
    let now = clock.now();
    let created = store
        .write(move |tx| operator::create_merchant(tx, &name, id, now))
        .await
        .context("creating the merchant")?;
    println!(
        "merchant {}\nstore {}\ncontract {}",
        created.merchant_id, created.store_id, created.contract_id
    );
    Ok(())
}

pub async fn store(store: &Store, clock: &Clock, cmd: StoreCommand) -> anyhow::Result<()> {
    let StoreCommand::Create {
        merchant,
        name,
        default,
    } = cmd;
    let now = clock.now();
    let id = store
        .write(move |tx| operator::create_store(tx, &merchant, &name, default, now))
        .await
        .context("creating the store")?;
    println!("store {id}");
    Ok(())
}

pub async fn client(store: &Store, clock: &Clock, cmd: ClientCommand) -> anyhow::Result<()> {
    let ClientCommand::Create {
        merchant,
        grants,
        client_id,
        client_secret,
    } = cmd;
    let client = NewClient {
        merchant_id: merchant,
        grants: grants.as_deref().map(comma_separated),
        credentials: client_id
            .zip(client_secret)
            .map(|(client_id, client_secret)| ClientCredentials {
                client_id,
                client_secret,
            }),
    };
    let now = clock.now();
    let credentials = store
        .write(move |tx| operator::create_client(tx, client, now))
        .await
        .context("creating the client")?;
    println!(
        "client_id {}\nclient_secret {}",
        credentials.client_id, credentials.client_secret
    );
    Ok(())
}

fn comma_separated(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

pub async fn user(store: &Store, clock: &Clock, cmd: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create {
        merchant,
        username,
        password,
    } = cmd;
    let now = clock.now();
    let id = store
        .write(move |tx| operator::create_user(tx, &merchant, &username, &password, now))
        .await
        .context("creating the user")?;
    println!("user {id}");
    Ok(())
}

pub async fn device(store: &Store, clock: &Clock, cmd: DeviceCommand) -> anyhow::Result<()> {
    let DeviceCommand::Confirm {
        user_code,
        merchant,
        store: store_id,
    } = cmd;
    let now = clock.now();
    let device = store
        .write(move |tx| confirm_registration(tx, &user_code, &merchant, store_id.as_deref(), now))
        .await?;
    println!("confirmed: device {device}");
    Ok(())
}

pub async fn import_file(
    store: &Store,
    clock: &Clock,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).context("the import document is not valid JSON")?;
    let doc = Document::parse(&doc);
    let now = clock.now();
    let clock = clock.clone();
    let report = store
        .write(move |tx| import::import(tx, &clock, &doc, now))
        .await?;
    for (key, (created, present)) in report {
        println!("{key}: {created} created, {present} already present");
    }
    Ok(())
}

pub async fn check(store: &Store) -> anyhow::Result<()> {
    let report = store.read(audit::check).await?;
    for v in &report.violations {
        println!("violation: {v}");
    }
    println!(
        "checked {} merchant cards, {} loyalty transactions, {} bookings, {} smart transactions: {} violations",
        report.merchantcards,
        report.loyalty_transactions,
        report.bookings,
        report.smart_transactions,
        report.violations.len()
    );
    if report.violations.is_empty() {
        Ok(())
    } else {
        bail!("the ledger invariant is violated")
    }
}
