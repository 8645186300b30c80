//! Operator commands: what secuconnect's back office does, done on this installation's database.

use anyhow::{Context, bail};
use clap::Subcommand;
use loyalpos_http::App;
use loyalpos_http::oauth::{GRANTS, confirm_registration};
use loyalpos_http::secret::{hash_secret, is_id, new_client_id, new_client_secret, new_id};
use loyalpos_store::{ClientRow, ContractRow, MerchantRow, StoreRow, UserRow};

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

pub async fn merchant(app: &App, cmd: MerchantCommand) -> anyhow::Result<()> {
    let MerchantCommand::Create { name, id } = cmd;
    let id = id.unwrap_or_else(|| new_id("MRC"));
    if !is_id(&id, "MRC") {
        bail!("malformed merchant id {id}");
    }
    let now = app.clock.now();
    let store_id = new_id("STO");
    let contract_id = new_id("GCR");
    let mut tx = app.store.write().await?;
    tx.insert_merchant(&MerchantRow {
        id: id.clone(),
        id_old: 100_000 + (now % 900_000),
        companyname: name.clone(),
        user_type: "46".into(),
        project_name: None,
        legal_details: "[]".into(),
        urls: "[]".into(),
        categories: "[]".into(),
        default_store_id: None,
        default_contract_id: None,
        is_demo: false,
        created: now,
    })
    .await
    .context("creating the merchant")?;
    tx.insert_contract(&ContractRow {
        id: contract_id.clone(),
        merchant_id: id.clone(),
        created: now,
    })
    .await?;
    tx.insert_store(&store_row(&store_id, &id, &name, now))
        .await?;
    let mut row = tx.merchant(&id).await?.context("merchant vanished")?;
    row.default_store_id = Some(store_id.clone());
    row.default_contract_id = Some(contract_id.clone());
    tx.update_merchant(&row).await?;
    tx.commit().await?;
    println!("merchant {id}\nstore {store_id}\ncontract {contract_id}");
    Ok(())
}

fn store_row(id: &str, merchant_id: &str, name: &str, now: i64) -> StoreRow {
    StoreRow {
        id: id.into(),
        merchant_id: merchant_id.into(),
        id_old: (200_000 + (now % 800_000)).to_string(),
        name: name.into(),
        address: None,
        facebook_id: None,
        phone: None,
        url_website: None,
        photo_main: None,
        photo: "[]".into(),
        open_hours: "[]".into(),
        created: now,
    }
}

pub async fn store(app: &App, cmd: StoreCommand) -> anyhow::Result<()> {
    let StoreCommand::Create {
        merchant,
        name,
        default,
    } = cmd;
    let mut tx = app.store.write().await?;
    let mut m = tx
        .merchant(&merchant)
        .await?
        .with_context(|| format!("unknown merchant {merchant}"))?;
    let id = new_id("STO");
    tx.insert_store(&store_row(&id, &merchant, &name, app.clock.now()))
        .await?;
    if default {
        m.default_store_id = Some(id.clone());
        tx.update_merchant(&m).await?;
    }
    tx.commit().await?;
    println!("store {id}");
    Ok(())
}

pub async fn client(app: &App, cmd: ClientCommand) -> anyhow::Result<()> {
    let ClientCommand::Create {
        merchant,
        grants,
        client_id,
        client_secret,
    } = cmd;
    let grants: Vec<String> = match grants {
        Some(g) => g
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => GRANTS.iter().map(|g| g.to_string()).collect(),
    };
    if let Some(bad) = grants.iter().find(|g| !GRANTS.contains(&g.as_str())) {
        bail!("unknown grant {bad} (known: {})", GRANTS.join(", "));
    }
    let client_id = client_id.unwrap_or_else(new_client_id);
    let client_secret = client_secret.unwrap_or_else(new_client_secret);
    let mut tx = app.store.write().await?;
    if let Some(m) = &merchant {
        tx.merchant(m)
            .await?
            .with_context(|| format!("unknown merchant {m}"))?;
    }
    tx.insert_client(&ClientRow {
        client_id: client_id.clone(),
        secret_hash: hash_secret(&client_secret),
        merchant_id: merchant,
        grants: grants.join(","),
        created: app.clock.now(),
    })
    .await
    .context("creating the client (is the client id already registered?)")?;
    tx.commit().await?;
    println!("client_id {client_id}\nclient_secret {client_secret}");
    Ok(())
}

pub async fn user(app: &App, cmd: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create {
        merchant,
        username,
        password,
    } = cmd;
    let mut tx = app.store.write().await?;
    tx.merchant(&merchant)
        .await?
        .with_context(|| format!("unknown merchant {merchant}"))?;
    let id = new_id("ACC");
    tx.insert_user(&UserRow {
        id: id.clone(),
        merchant_id: merchant,
        username,
        password_hash: hash_secret(&password),
        created: app.clock.now(),
    })
    .await
    .context("creating the user (is the username taken?)")?;
    tx.commit().await?;
    println!("user {id}");
    Ok(())
}

pub async fn device(app: &App, cmd: DeviceCommand) -> anyhow::Result<()> {
    let DeviceCommand::Confirm {
        user_code,
        merchant,
        store,
    } = cmd;
    let device = confirm_registration(app, &user_code, &merchant, store.as_deref()).await?;
    println!("confirmed: device {device}");
    Ok(())
}

pub async fn import_file(app: &App, file: &std::path::Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).context("the import document is not valid JSON")?;
    let mut tx = app.store.write().await?;
    let report = loyalpos_http::import::import(&mut *tx, &app.clock, &doc).await?;
    tx.commit().await?;
    for (key, (created, present)) in report {
        println!("{key}: {created} created, {present} already present");
    }
    Ok(())
}

pub async fn check(app: &App) -> anyhow::Result<()> {
    let mut tx = app.store.read().await?;
    let report = loyalpos_http::audit::check(&mut *tx).await?;
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
