//! Operator commands: what secuconnect's back office does, done on this installation's database.
//! Each runs one command of the application layer as one store job and prints its outcome.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use loyalpos_app::admin::{self, Revocation, TokenHolder};
use loyalpos_app::audit::{self, Report};
use loyalpos_app::clock::Clock;
use loyalpos_app::import::{self, Document};
use loyalpos_app::oauth::confirm_registration;
use loyalpos_app::office::Role;
use loyalpos_app::operator::{self, ClientCredentials, NewClient};
use loyalpos_store::MerchantId;
use loyalpos_store::Store;

use crate::output::Stdout;

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Creates a merchant with its default store and default contract; prints their ids.
    Create {
        /// The company name (`companyname`); also the default store's name.
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
        /// The merchant (`MRC_…`).
        #[arg(long)]
        merchant: MerchantId,
        /// The store's name.
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
        merchant: Option<MerchantId>,
        /// Comma-separated grant types (default: all).
        #[arg(long)]
        grants: Option<String>,
        /// Register an existing client id (registers that move from secuconnect keep their configuration).
        #[arg(long, requires = "client_secret")]
        client_id: Option<String>,
        /// The existing client's secret (with `--client-id`); stored hashed.
        #[arg(long, requires = "client_id")]
        client_secret: Option<String>,
    },
    /// Lists API clients: id, merchant (`-` for installation-wide), created, state, grants.
    List {
        /// Only this merchant's clients (`MRC_…`).
        #[arg(long)]
        merchant: Option<MerchantId>,
    },
    /// Revokes an API client: it gets no token any more, and its tokens, refresh tokens and
    /// pending device registrations stop working (a running server follows within a second).
    Revoke {
        /// The client id.
        client_id: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a merchant user for the appuser grant, or with `--operator` the installation's
    /// back-office operator.
    Create {
        /// The merchant (`MRC_…`) the user signs in for.
        #[arg(long, required_unless_present = "operator")]
        merchant: Option<MerchantId>,
        /// The installation-wide back-office operator instead: no merchant of its own, it sees
        /// every merchant and works in the one it switches into (no user of the API).
        #[arg(long, conflicts_with_all = ["merchant", "role"])]
        operator: bool,
        /// The sign-in name (unique in the installation).
        #[arg(long)]
        username: String,
        /// The password (stored as an Argon2id hash).
        #[arg(long)]
        password: String,
        /// What the user may do in the back office: `admin` (everything) or `staff` (cards,
        /// customers, transactions, devices list).
        #[arg(long, default_value = "admin", value_parser = parse_role)]
        role: Role,
    },
    /// Lists users: account id, merchant, created, state, username.
    List {
        /// Only this merchant's users (`MRC_…`).
        #[arg(long)]
        merchant: Option<MerchantId>,
    },
    /// Disables a user: the appuser grant refuses it, and its tokens and refresh tokens stop
    /// working (a running server follows within a second).
    Disable {
        /// The user's account id (`ACC_…`) or username.
        user: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?} is not a role (admin, staff)"))
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Confirms a pending device registration shown on a register as its user code.
    Confirm {
        /// The code the register shows.
        user_code: String,
        /// The merchant (`MRC_…`) the device belongs to.
        #[arg(long)]
        merchant: MerchantId,
        /// The device's store (`STO_…`; default: the merchant's default store).
        #[arg(long)]
        store: Option<String>,
    },
    /// Lists devices: id, merchant, created, state, store, vendor uid.
    List {
        /// Only this merchant's devices (`MRC_…`).
        #[arg(long)]
        merchant: Option<MerchantId>,
    },
    /// Revokes a device: its tokens and refresh tokens stop working and it cannot sign in or be
    /// registered again (a running server follows within a second).
    Revoke {
        /// The device (`SDV_…`).
        device_id: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Revokes every live access token of one client, device or user. The credential itself stays
    /// valid: a client signs in again with its secret, a device or user with its refresh token.
    Revoke(TokenHolderArgs),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct TokenHolderArgs {
    /// The tokens of this API client (client id).
    #[arg(long)]
    client: Option<String>,
    /// The tokens of this device (`SDV_…`).
    #[arg(long)]
    device: Option<String>,
    /// The tokens of this user (account id `ACC_…` or username).
    #[arg(long)]
    user: Option<String>,
}

pub async fn merchant(store: &Store, clock: &Clock, cmd: MerchantCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let MerchantCommand::Create { name, id } = cmd;
    let now = clock.now();
    let created = store
        .write(move |tx| operator::create_merchant(tx, &name, id, now))
        .await
        .context("creating the merchant")?;
    out.line(format_args!(
        "merchant {}\nstore {}\ncontract {}",
        created.merchant_id, created.store_id, created.contract_id
    ))?;
    Ok(())
}

pub async fn store(store: &Store, clock: &Clock, cmd: StoreCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
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
    out.line(format_args!("store {id}"))?;
    Ok(())
}

pub async fn client(store: &Store, clock: &Clock, cmd: ClientCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    match cmd {
        ClientCommand::Create {
            merchant,
            grants,
            client_id,
            client_secret,
        } => create_client(store, clock, merchant, grants, client_id, client_secret).await,
        ClientCommand::List { merchant } => {
            let clients = store
                .read(move |tx| admin::list_clients(tx, merchant.as_ref()))
                .await?;
            for c in clients {
                let state = state(clock, "revoked", c.revoked_at);
                let merchant = c.merchant_id.as_deref().unwrap_or("-");
                let created = clock.render(c.created);
                out.line(format_args!(
                    "{}\t{merchant}\t{created}\t{state}\t{}",
                    c.client_id, c.grants
                ))?;
            }
            Ok(())
        }
        ClientCommand::Revoke { client_id } => {
            let now = clock.now();
            let done = store
                .write(move |tx| admin::revoke_client(tx, &client_id, now))
                .await?;
            report(clock, "client", &done)?;
            Ok(())
        }
    }
}

async fn create_client(
    store: &Store,
    clock: &Clock,
    merchant: Option<MerchantId>,
    grants: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> anyhow::Result<()> {
    let mut out = Stdout::new();
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
    out.line(format_args!(
        "client_id {}\nclient_secret {}",
        credentials.client_id, credentials.client_secret
    ))?;
    Ok(())
}

/// `active`, or `revoked since TIME` (`disabled since TIME` for users).
fn state(clock: &Clock, word: &str, at: Option<i64>) -> String {
    match at {
        None => "active".into(),
        Some(at) => format!("{word} since {}", clock.render(at)),
    }
}

fn report(clock: &Clock, what: &str, done: &Revocation) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    if let Some(at) = done.earlier {
        out.line(format_args!(
            "{what} {} was already revoked ({})",
            done.id,
            clock.render(at)
        ))?;
    } else {
        out.line(format_args!("{what} {} revoked", done.id))?;
    }
    out.line(format_args!(
        "{} access tokens and {} refresh tokens revoked",
        done.tokens, done.refresh_tokens
    ))?;
    Ok(())
}

fn comma_separated(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

pub async fn user(store: &Store, clock: &Clock, cmd: UserCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    match cmd {
        UserCommand::Create {
            merchant,
            operator: installation_operator,
            username,
            password,
            role,
        } => {
            let now = clock.now();
            let id = store
                .write(move |tx| match (installation_operator, merchant) {
                    (false, Some(merchant)) => {
                        operator::create_user(tx, &merchant, &username, &password, role, now)
                    }
                    _ => operator::create_operator(tx, &username, &password, now),
                })
                .await
                .context("creating the user")?;
            out.line(format_args!("user {id}"))?;
        }
        UserCommand::List { merchant } => {
            let users = store
                .read(move |tx| admin::list_users(tx, merchant.as_ref()))
                .await?;
            for u in users {
                let state = state(clock, "disabled", u.disabled_at);
                let created = clock.render(u.created);
                out.line(format_args!(
                    "{}\t{}\t{created}\t{state}\t{}",
                    u.id, u.merchant_id, u.username
                ))?;
            }
        }
        UserCommand::Disable { user } => {
            let now = clock.now();
            let done = store
                .write(move |tx| admin::disable_user(tx, &user, now))
                .await?;
            match done.earlier {
                Some(at) => out.line(format_args!(
                    "user {} was already disabled ({})",
                    done.id,
                    clock.render(at)
                ))?,
                None => out.line(format_args!("user {} disabled", done.id))?,
            }
            out.line(format_args!(
                "{} access tokens and {} refresh tokens revoked",
                done.tokens, done.refresh_tokens
            ))?;
        }
    }
    Ok(())
}

pub async fn device(store: &Store, clock: &Clock, cmd: DeviceCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let now = clock.now();
    match cmd {
        DeviceCommand::Confirm {
            user_code,
            merchant,
            store: store_id,
        } => {
            let device = store
                .write(move |tx| {
                    confirm_registration(tx, &user_code, &merchant, store_id.as_deref(), now)
                })
                .await?;
            out.line(format_args!("confirmed: device {device}"))?;
        }
        DeviceCommand::List { merchant } => {
            let devices = store
                .read(move |tx| admin::list_devices(tx, merchant.as_ref()))
                .await?;
            for d in devices {
                let state = state(clock, "revoked", d.revoked_at);
                let created = clock.render(d.created);
                let uid = d.vendor_uid.as_deref().unwrap_or("-");
                out.line(format_args!(
                    "{}\t{}\t{created}\t{state}\t{}\t{uid}",
                    d.id, d.merchant_id, d.store_id
                ))?;
            }
        }
        DeviceCommand::Revoke { device_id } => {
            let done = store
                .write(move |tx| admin::revoke_device(tx, &device_id, now))
                .await?;
            report(clock, "device", &done)?;
        }
    }
    Ok(())
}

pub async fn token(store: &Store, cmd: TokenCommand) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let TokenCommand::Revoke(args) = cmd;
    let holder = match (args.client, args.device, args.user) {
        (Some(id), _, _) => TokenHolder::Client(id),
        (_, Some(id), _) => TokenHolder::Device(id),
        (_, _, Some(id)) => TokenHolder::User(id),
        // clap requires exactly one of them
        (None, None, None) => bail!("name the tokens' holder: --client, --device or --user"),
    };
    let what = match &holder {
        TokenHolder::Client(_) => "client",
        TokenHolder::Device(_) => "device",
        TokenHolder::User(_) => "user",
    };
    let done = store
        .write(move |tx| admin::revoke_tokens(tx, &holder))
        .await?;
    out.line(format_args!(
        "{} access tokens of {what} {} revoked",
        done.tokens, done.id
    ))?;
    Ok(())
}

pub async fn import_file(
    store: &Store,
    clock: &Clock,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    // Editors and .NET tools on Windows write a UTF-8 byte-order mark first: one is ignored.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let doc: serde_json::Value =
        serde_json::from_str(text).context("the import document is not valid JSON")?;
    let doc = Document::parse(&doc);
    let now = clock.now();
    let clock = clock.clone();
    let report = store
        .write(move |tx| import::import(tx, &clock, &doc, now))
        .await?;
    for (key, (created, present)) in report {
        out.line(format_args!(
            "{key}: {created} created, {present} already present"
        ))?;
    }
    Ok(())
}

pub async fn check(store: &Store) -> anyhow::Result<()> {
    let report = store.read(audit::check).await?;
    print_check_report(&mut Stdout::new(), &report)?;
    if report.violations.is_empty() {
        Ok(())
    } else {
        bail!("the ledger invariant is violated")
    }
}

/// The ledger check's findings, one line each, then the totals (also after a backup or restore).
pub(super) fn print_check_report(out: &mut Stdout, report: &Report) -> anyhow::Result<()> {
    for v in &report.violations {
        out.line(format_args!("violation: {v}"))?;
    }
    out.line(format_args!(
        "checked {} merchant cards, {} loyalty transactions, {} bookings, {} smart transactions: {} violations",
        report.merchantcards,
        report.loyalty_transactions,
        report.bookings,
        report.smart_transactions,
        report.violations.len()
    ))?;
    Ok(())
}
