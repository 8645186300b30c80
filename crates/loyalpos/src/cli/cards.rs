//! `loyalpos cards issue`: prints new cards for a card group, one line per card with its number,
//! CSC (shown only here) and merchant card id.

use anyhow::Context;
use clap::Subcommand;
use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::issue::DEFAULT_PREFIX;
use loyalpos_app::operator::issue_cards;
use loyalpos_store::Store;

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

pub async fn cards(store: &Store, clock: &Clock, cmd: CardsCommand) -> anyhow::Result<()> {
    let CardsCommand::Issue {
        cardgroup,
        count,
        prefix,
    } = cmd;
    let now = clock.now();
    let issued = store
        .write(move |tx| issue_cards(tx, &cardgroup, count, &prefix, now))
        .await
        .context("issuing cards")?;
    for card in issued {
        println!(
            "{} {} {}",
            card.card.cardnumber, card.csc, card.merchantcard.id
        );
    }
    Ok(())
}
