//! `loyalpos cards issue`: prints new cards for a card group, one line per card with its number,
//! CSC (shown only here) and merchant card id.

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use loyalpos_http::App;
use loyalpos_http::loyalty::issue::{DEFAULT_PREFIX, IssueRequest, issue_card};

#[derive(Subcommand)]
pub enum CardsCommand {
    /// Issues new cards in a card group; prints `CARDNUMBER CSC MCD_…` per card.
    Issue {
        #[arg(long)]
        cardgroup: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Digits the card numbers start with.
        #[arg(long, default_value = DEFAULT_PREFIX)]
        prefix: String,
    },
}

/// Upper bound per call, so a typo cannot fill the database.
const MAX_COUNT: u32 = 100_000;

pub async fn cards(app: &App, cmd: CardsCommand) -> anyhow::Result<()> {
    let CardsCommand::Issue {
        cardgroup,
        count,
        prefix,
    } = cmd;
    if !(1..=MAX_COUNT).contains(&count) {
        bail!("--count must be between 1 and {MAX_COUNT}");
    }
    let now = app.clock.now();
    let mut tx = app.store.write().await?;
    let group = tx
        .cardgroup(&cardgroup)
        .await?
        .with_context(|| format!("unknown card group {cardgroup}"))?;
    let store = tx
        .merchant(&group.merchant_id)
        .await?
        .and_then(|m| m.default_store_id);
    let mut lines = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let issued = issue_card(
            &mut *tx,
            IssueRequest {
                group: &group,
                store_id: store.as_deref(),
                customer_id: None,
                prefix: &prefix,
                now,
            },
        )
        .await
        .map_err(|e| anyhow!("{}", e.internal.unwrap_or(e.details)))?;
        lines.push(format!(
            "{} {} {}",
            issued.card.cardnumber, issued.csc, issued.merchantcard.id
        ));
    }
    tx.commit().await?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
