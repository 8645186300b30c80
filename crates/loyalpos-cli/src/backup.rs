//! `loyalpos backup --to FILE` and `loyalpos restore --from FILE` (SQLite): a copy taken with
//! SQLite's online backup API while a server keeps serving, and checked — `PRAGMA
//! integrity_check` and the ledger check of `loyalpos check` — before it is called a backup, and
//! before a restore replaces a database with it. PostgreSQL has `pg_dump`/`pg_restore`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use loyalpos_app::audit::{self, Report};
use loyalpos_store::{Store, backup, sqlite_path};

use crate::operator::print_check_report;
use crate::output::Stdout;
use crate::progress::Progress;

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to create (mode 0600); an existing file is refused.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A backup made by `loyalpos backup`; it is checked before the database is replaced.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
}

const PG_BACKUP: &str = "`loyalpos backup` copies SQLite databases; back up PostgreSQL with \
    `pg_dump --format=custom --file=FILE DB` (see README, Backups)";
const PG_RESTORE: &str = "`loyalpos restore` restores SQLite databases; restore PostgreSQL with \
    `pg_restore --dbname=DB FILE`, then run `loyalpos check` (see README, Backups)";

pub async fn backup(database: &str, args: BackupArgs) -> anyhow::Result<()> {
    if sqlite_path(database).is_none() {
        bail!("{PG_BACKUP}");
    }
    let to = args.to;
    if to.exists() {
        bail!("{} exists; a backup never overwrites a file", to.display());
    }
    // The copy gets its name only once it passed the integrity check.
    let partial = sibling(&to, "partial");
    let mut progress = Progress::phase(format!("backing up {database}: copying"), true);
    if let Err(e) = backup::copy(database, &partial).await {
        progress.abandon();
        return Err(e).with_context(|| format!("backing up {database}"));
    }
    progress.next_phase("checking the copy: PRAGMA integrity_check");
    let problems = backup::integrity_check(&partial).await?;
    if !problems.is_empty() {
        progress.abandon();
        bail!(
            "the copy {} failed PRAGMA integrity_check (kept for inspection, not a backup): {}",
            partial.display(),
            problems.join("; ")
        );
    }
    progress.next_phase("checking the copy: ledger");
    let report = ledger(&partial).await?;
    backup::seal(&partial).await?;
    // A link, unlike a rename, never replaces a file that appeared at `to` in the meantime.
    std::fs::hard_link(&partial, &to)
        .and_then(|()| std::fs::remove_file(&partial))
        .with_context(|| format!("moving {} to {}", partial.display(), to.display()))?;
    progress.finish(format!("backed up {database} into {}", to.display()));
    let mut out = Stdout::new();
    out.line(format_args!("backup {}: integrity ok", to.display()))?;
    print_check_report(&mut out, &report)?;
    if !report.violations.is_empty() {
        bail!(
            "the backup is a faithful copy, but its ledger invariant is violated (so is the database's)"
        );
    }
    Ok(())
}

pub async fn restore(database: &str, args: RestoreArgs) -> anyhow::Result<()> {
    let Some(target) = sqlite_path(database) else {
        bail!("{PG_RESTORE}");
    };
    let from = args.from;
    let mut progress = Progress::phase(
        format!("checking {}: PRAGMA integrity_check", from.display()),
        true,
    );
    let problems = match backup::integrity_check(&from).await {
        Ok(problems) => problems,
        Err(e) => {
            progress.abandon();
            return Err(e).with_context(|| format!("checking {}", from.display()));
        }
    };
    if !problems.is_empty() {
        progress.abandon();
        bail!(
            "{} failed PRAGMA integrity_check; nothing was restored: {}",
            from.display(),
            problems.join("; ")
        );
    }
    progress.next_phase(format!("checking {}: ledger", from.display()));
    let report = ledger_of_copy(&from, Path::new(target)).await?;
    if !report.violations.is_empty() {
        progress.abandon();
        bail!(
            "{} fails the ledger check ({}); nothing was restored",
            from.display(),
            report.violations.join("; ")
        );
    }
    progress.next_phase(format!("restoring into {target}"));
    if let Err(e) = backup::restore(&from, database).await {
        progress.abandon();
        return Err(e).with_context(|| format!("restoring {} into {target}", from.display()));
    }
    progress.finish(format!("restored {} into {target}", from.display()));
    let mut out = Stdout::new();
    out.line(format_args!(
        "restored {} into {target}: integrity ok",
        from.display()
    ))?;
    print_check_report(&mut out, &report)?;
    Ok(())
}

/// The ledger check of a backup file, run on a scratch copy beside the target, so the backup
/// itself is only ever read.
async fn ledger_of_copy(file: &Path, target: &Path) -> anyhow::Result<Report> {
    let scratch = sibling(target, &format!("restore-check-{}", std::process::id()));
    let url = format!("sqlite:{}", file.display());
    let report = match backup::copy(&url, &scratch).await {
        Ok(()) => ledger(&scratch).await,
        Err(e) => Err(anyhow::Error::new(e).context(format!("copying {}", file.display()))),
    };
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    report
}

/// `loyalpos check` on a database file.
async fn ledger(file: &Path) -> anyhow::Result<Report> {
    let store = Store::open_existing(&format!("sqlite:{}", file.display()))
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let report = store.read(audit::check).await;
    store.close().await;
    Ok(report?)
}

/// `PATH.suffix` beside `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}
