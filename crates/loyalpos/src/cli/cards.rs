//! `loyalpos cards issue`: new cards for a card group, one line per card with its number, CSC
//! (shown only here, stored only as a salted hash) and merchant card id.
//!
//! The CSCs exist only in this process once the cards are committed, so no output error may lose
//! them: `--out FILE` is created (mode 0600) before the cards are committed and holds every line,
//! synced to disk, before stdout gets any; without `--out`, a stdout that fails after the commit
//! (a closed pipe, a full disk) makes the command write every line to a recovery file (mode 0600)
//! and say where.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::issue::DEFAULT_PREFIX;
use loyalpos_app::operator::issue_cards;
use loyalpos_store::Store;

use super::output::{OutputError, Stdout, StdoutClosed};
use super::progress::Progress;

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
    let mut out_file = match &out {
        Some(path) => Some((path.clone(), create_private(path)?)),
        None => None,
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
            if let Some((path, _)) = out_file.take() {
                let _ = std::fs::remove_file(path);
            }
            return Err(e).context("issuing cards");
        }
    };
    progress.finish(format!("issued {} cards", issued.len()));
    let lines: Vec<String> = issued
        .iter()
        .map(|c| format!("{} {} {}", c.card.cardnumber, c.csc, c.merchantcard.id))
        .collect();
    let saved = match out_file {
        Some((path, file)) => match write_synced(file, &lines) {
            Ok(()) => Some(path),
            Err(e) => {
                eprintln!(
                    "error: writing {} failed: {e}; the cards were committed",
                    path.display()
                );
                None
            }
        },
        None => None,
    };
    let mut stdout = Stdout::new();
    for line in &lines {
        if let Err(e) = stdout.line(line) {
            return Err(keep_safe(e, &lines, saved.as_deref()));
        }
    }
    if out.is_some() && saved.is_none() {
        anyhow::bail!("--out could not be written; every card was printed to stdout");
    }
    Ok(())
}

/// Stdout failed after the commit: the error names where every card and its CSC can be found.
fn keep_safe(e: OutputError, lines: &[String], saved: Option<&Path>) -> anyhow::Error {
    let note = match saved {
        Some(path) => format!(
            "every issued card and its CSC is in {} ({} cards)",
            path.display(),
            lines.len()
        ),
        None => recover(lines),
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

/// Writes every line to a new recovery file (current directory, else the temporary directory);
/// as a last resort prints them to stderr. Returns what the operator must be told.
fn recover(lines: &[String]) -> String {
    let name = format!(
        "loyalpos-cards-{}-{}.txt",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
        std::process::id()
    );
    for dir in [PathBuf::from("."), std::env::temp_dir()] {
        let path = dir.join(&name);
        let written = create_private(&path).and_then(|file| write_synced(file, lines));
        if written.is_ok() {
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            return format!(
                "all {} issued cards with their CSCs were written to {} (mode 0600): the CSCs \
                 are shown nowhere else",
                lines.len(),
                path.display()
            );
        }
        let _ = std::fs::remove_file(&path);
    }
    eprintln!("no recovery file could be written; the issued cards follow:");
    for line in lines {
        eprintln!("{line}");
    }
    format!(
        "all {} issued cards with their CSCs were printed to stderr",
        lines.len()
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
