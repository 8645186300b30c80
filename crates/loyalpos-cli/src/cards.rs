//! `loyalpos cards issue`: new cards for a card group, one line per card with its number, CSC
//! (shown only here, stored only as a salted hash) and merchant card id.
//!
//! The CSCs exist only in this process once the cards are committed, so no output error may lose
//! them: every line is written and synced to a file before stdout gets any, and that file is
//! created (mode 0600) before the cards are committed — `--out FILE`, or else a recovery file
//! that is removed once stdout took every line and kept (and named) when stdout failed (a closed
//! pipe, a full disk) or the process died in between.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::issue::DEFAULT_PREFIX;
use loyalpos_app::operator::issue_cards;
use loyalpos_store::Store;

use crate::output::{OutputError, Stdout, StdoutClosed};

/// Where the lines are kept before stdout gets them.
struct Kept {
    path: PathBuf,
    /// `--out`: the operator's file, kept; otherwise a recovery file, removed after a full stdout.
    asked_for: bool,
}
use crate::progress::Progress;

/// From this many cards on, plain progress lines are printed when stderr is not a terminal.
const LONG_ISSUE: u32 = 1000;

#[derive(Subcommand)]
pub enum CardsCommand {
    /// Issues new cards in a card group; prints `CARDNUMBER CSC MCD_…` per card.
    Issue {
        /// The card group the new cards belong to (`CRG_…`).
        #[arg(long)]
        cardgroup: String,
        /// How many cards to issue (1–100000), all in one unit of work.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Digits the card numbers start with.
        #[arg(long, default_value = DEFAULT_PREFIX)]
        prefix: String,
        /// Also writes every line to this new file (mode 0600; an existing file is refused). It is
        /// created before the cards are committed and synced to disk before stdout gets a line.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub async fn cards(store: &Store, clock: &Clock, cmd: CardsCommand) -> anyhow::Result<()> {
    let CardsCommand::Issue {
        cardgroup,
        count,
        prefix,
        out,
    } = cmd;
    let (kept, file) = match out {
        Some(path) => {
            let file = create_private(&path)?;
            let kept = Kept {
                path,
                asked_for: true,
            };
            (kept, file)
        }
        None => recovery_file()?,
    };
    let now = clock.now();
    let progress = Progress::phase(format!("issuing {count} cards"), count >= LONG_ISSUE);
    let issued = store
        .write(move |tx| issue_cards(tx, &cardgroup, count, &prefix, now))
        .await;
    let issued = match issued {
        Ok(issued) => issued,
        Err(e) => {
            progress.abandon();
            let _ = std::fs::remove_file(&kept.path);
            return Err(e).context("issuing cards");
        }
    };
    progress.finish(format!("issued {} cards", issued.len()));
    let lines: Vec<String> = issued
        .iter()
        .map(|c| format!("{} {} {}", c.card.cardnumber, c.csc, c.merchantcard.id))
        .collect();
    let saved = write_synced(file, &lines);
    if let Err(e) = &saved {
        eprintln!(
            "error: writing {} failed: {e:#}; the cards were committed and go to stdout only",
            kept.path.display()
        );
    }
    let mut stdout = Stdout::new();
    for line in &lines {
        if let Err(e) = stdout.line(line) {
            return Err(keep_safe(e, lines.len(), saved.is_ok().then_some(&kept)));
        }
    }
    if saved.is_err() && kept.asked_for {
        anyhow::bail!("--out could not be written; every card was printed to stdout");
    }
    if !kept.asked_for {
        let _ = std::fs::remove_file(&kept.path);
    }
    Ok(())
}

/// Stdout failed after the commit: the error names the file that holds every card and its CSC.
fn keep_safe(e: OutputError, cards: usize, kept: Option<&Kept>) -> anyhow::Error {
    let note = match kept {
        Some(Kept {
            path,
            asked_for: true,
        }) => format!(
            "every issued card and its CSC is in {} ({cards} cards)",
            path.display()
        ),
        Some(Kept { path, .. }) => format!(
            "all {cards} issued cards with their CSCs were written to {} (mode 0600): the CSCs \
             are shown nowhere else",
            path.display()
        ),
        None => format!("the CSCs of {cards} issued cards could not be saved"),
    };
    match e {
        OutputError::Closed(closed) => anyhow::Error::new(StdoutClosed {
            note: Some(note),
            ..closed
        }),
        OutputError::Failed(e) => {
            anyhow::Error::new(e).context(format!("writing to stdout; {note}"))
        }
    }
}

/// A new recovery file in the current directory, else in the temporary directory; without one
/// no card is issued.
fn recovery_file() -> anyhow::Result<(Kept, std::fs::File)> {
    let name = format!(
        "loyalpos-cards-{}-{}.txt",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
        std::process::id()
    );
    let mut refused = Vec::new();
    for dir in [PathBuf::from("."), std::env::temp_dir()] {
        let path = dir.join(&name);
        match create_private(&path) {
            Ok(file) => {
                let path = std::fs::canonicalize(&path).unwrap_or(path);
                let kept = Kept {
                    path,
                    asked_for: false,
                };
                return Ok((kept, file));
            }
            Err(e) => refused.push(format!("{e:#}")),
        }
    }
    anyhow::bail!(
        "no recovery file for the CSCs could be created ({}); issue with --out FILE",
        refused.join("; ")
    )
}

fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

fn write_synced(file: std::fs::File, lines: &[String]) -> anyhow::Result<()> {
    let mut writer = std::io::BufWriter::new(file);
    for line in lines {
        writeln!(writer, "{line}")?;
    }
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}
