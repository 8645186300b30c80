//! `loyalpos cardgroup create|update`: the operator's way to configure a bonus programme. The flags
//! become the same card-group commands the API's `POST`/`PUT /Loyalty/Cardgroups` run, so the
//! validation rules (api.md §11.1) are the API's.

use anyhow::Context;
use clap::{Args, Subcommand};
use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::cardgroups::{BonusPatch, CardgroupPatch, FilterPatch};
use loyalpos_app::loyalty::rules::{BonusProductJson, bonus_programme};
use loyalpos_app::operator;
use loyalpos_store::MerchantId;
use loyalpos_store::{CardgroupRow, Store};
use serde_json::{Value, json};

use crate::output::Stdout;

#[derive(Subcommand)]
pub enum CardgroupCommand {
    /// Creates a card group of a merchant; prints its id and configuration.
    Create {
        /// The merchant the card group belongs to (`MRC_…`).
        #[arg(long)]
        merchant: MerchantId,
        /// Display name shown on receipts and in the API (must not be blank).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Updates the given settings of a card group; prints its configuration.
    Update {
        /// The card group (`CRG_…`).
        id: String,
        /// New display name (must not be blank).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        config: ConfigFlags,
    },
}

/// Every flag is optional: an absent flag keeps the current (or default) value.
#[derive(Args)]
pub struct ConfigFlags {
    /// Bonus rate in hundredths of a percent (1000 = 10 %; 0 = no bonus programme).
    #[arg(long)]
    rate: Option<i64>,
    /// `full` or `reduced` (bonus on prices after spent-bonus lines).
    #[arg(long)]
    base: Option<String>,
    /// Article filter of bonus collection: `none`, `blacklist` or `whitelist`.
    #[arg(long)]
    filter_mode: Option<String>,
    /// Comma-separated EANs or article numbers of the filter (replaces the list; empty clears it).
    #[arg(long)]
    filter_codes: Option<String>,
    /// A bonus product per VAT rate as `TAX:DESC[:ARTICLENUMBER[:EAN]]`; repeat the flag for several
    /// rates (replaces the list).
    #[arg(long = "bonus-product")]
    bonus_products: Vec<String>,
    /// Removes every bonus product.
    #[arg(long, conflicts_with = "bonus_products")]
    no_bonus_products: bool,
    /// Overdraft limit in cents; greater than 0 allows overdraft, 0 forbids it.
    #[arg(long)]
    overdraft_limit: Option<i64>,
    /// Passcode policy 0–6 (api.md §9).
    #[arg(long)]
    passcode_policy: Option<i64>,
    /// Any not yet cancelled transaction may be cancelled, not only the last one.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    cancel_selected: Option<bool>,
    /// Allows `create_card` idents in smart transactions.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    card_creation_via_stx: Option<bool>,
    /// ISO 4217 currency (cannot change once the group has cards).
    #[arg(long)]
    currency: Option<String>,
    /// Free text describing the card group.
    #[arg(long)]
    description: Option<String>,
    /// Symbol image URL.
    #[arg(long)]
    picture: Option<String>,
}

impl ConfigFlags {
    fn into_patch(self, display_name: Option<String>) -> anyhow::Result<CardgroupPatch> {
        let products = if self.no_bonus_products {
            Some(Vec::new())
        } else if self.bonus_products.is_empty() {
            None
        } else {
            Some(
                self.bonus_products
                    .iter()
                    .map(|p| bonus_product(p))
                    .collect::<anyhow::Result<Vec<_>>>()?,
            )
        };
        let filter =
            (self.filter_mode.is_some() || self.filter_codes.is_some()).then(|| FilterPatch {
                mode: self.filter_mode,
                codes: self.filter_codes.map(|c| {
                    c.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                }),
            });
        let bonus = BonusPatch {
            rate: self.rate,
            base: self.base,
            filter,
            products,
        };
        Ok(CardgroupPatch {
            display_name,
            picture: self.picture,
            stock_warn_limit: None,
            description: self.description,
            cancel_selected: self.cancel_selected,
            currency: self.currency,
            bonus: Some(bonus),
            overdraft_allowed: self.overdraft_limit.map(|l| l > 0),
            overdraft_limit: self.overdraft_limit,
            passcode_policy: self.passcode_policy,
            card_creation_via_stx: self.card_creation_via_stx,
        })
    }
}

/// `TAX:DESC[:ARTICLENUMBER[:EAN]]`, e.g. `7:Bonus Steuer 7:111111117:111111117`.
fn bonus_product(spec: &str) -> anyhow::Result<BonusProductJson> {
    let mut parts = spec.splitn(4, ':');
    let tax = parts
        .next()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .with_context(|| {
            format!("--bonus-product {spec:?}: expected TAX:DESC[:ARTICLENUMBER[:EAN]]")
        })?;
    let desc = parts
        .next()
        .filter(|d| !d.is_empty())
        .with_context(|| format!("--bonus-product {spec:?}: the description is missing"))?;
    let text = |p: Option<&str>| p.filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(BonusProductJson {
        tax,
        desc: desc.to_owned(),
        article_number: text(parts.next()),
        ean: text(parts.next()),
    })
}

pub async fn cardgroup(store: &Store, clock: &Clock, cmd: CardgroupCommand) -> anyhow::Result<()> {
    let now = clock.now();
    let row = match cmd {
        CardgroupCommand::Create {
            merchant,
            name,
            config,
        } => {
            let patch = config.into_patch(Some(name))?;
            store
                .write(move |tx| operator::create_cardgroup(tx, &merchant, patch, now))
                .await
                .context("creating the card group")?
        }
        CardgroupCommand::Update { id, name, config } => {
            let patch = config.into_patch(name)?;
            store
                .write(move |tx| operator::update_cardgroup(tx, &id, patch))
                .await
                .context("updating the card group")?
        }
    };
    let mut out = Stdout::new();
    out.line(format_args!("cardgroup {}", row.id))?;
    out.line(serde_json::to_string_pretty(&configuration(&row))?)?;
    Ok(())
}

/// The card group's configuration as the operator sees it.
fn configuration(g: &CardgroupRow) -> Value {
    json!({
        "id": g.id.as_str(),
        "merchant": g.merchant_id.as_str(),
        "display_name": g.display_name,
        "picture": g.picture,
        "description": g.description,
        "currency": g.currency,
        "bonus": bonus_programme(g),
        "overdraft_allowed": g.overdraft_allowed,
        "overdraft_limit": g.overdraft_limit.0,
        "passcode_policy": g.passcode_policy,
        "cancel_selected": g.cancel_selected,
        "card_creation_via_stx": g.card_creation_via_stx,
    })
}
