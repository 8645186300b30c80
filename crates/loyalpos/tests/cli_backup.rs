//! `loyalpos backup` / `loyalpos restore` (SQLite): a copy taken while a server is serving and
//! writing, checked (integrity and ledger), restored into a fresh path, where `loyalpos check`
//! passes and every booking acknowledged before the backup started is present. PostgreSQL is
//! pointed to pg_dump / pg_restore.
mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

async fn run_async(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(binary())
        .args(args)
        .env("LOYALPOS_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A register paying with cards A and B in turns until told to stop; returns the ids of the
/// loyalty transactions acknowledged with a 200, in order.
fn start_load(
    app: Arc<TestApp>,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let card = if n % 2 == 0 { CARD_A } else { CARD_B };
            n += 1;
            let stx = app
                .create_stx(card_body(
                    card,
                    one_line("4006381333931", "Brezel", 120, 7),
                    120,
                ))
                .await;
            let started = app.start(&stx, "cash").await;
            let ltx = started.ok()["transactions"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            acknowledged.lock().unwrap().push(ltx);
        }
    })
}

async fn ltx_ids(sqlite_url: &str) -> Vec<String> {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(sqlite_url).await.unwrap();
    sqlx::query_scalar("SELECT id FROM loyalty_transactions")
        .fetch_all(&mut c)
        .await
        .unwrap()
}

#[tokio::test]
async fn backup_of_a_served_database_under_load_restores_into_a_fresh_path_and_checks_clean() {
    let app = Arc::new(TestApp::spawn(Backend::Sqlite).await.unwrap());
    let (stop, acknowledged) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let load = start_load(app.clone(), stop.clone(), acknowledged.clone());
    while acknowledged.lock().unwrap().len() < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let dir = scratch_dir("cli-backup");
    let file = dir.join("loyalpos.backup");
    let (ok, stdout, stderr) = run_async(&[
        "backup",
        "--to",
        file.to_str().unwrap(),
        "--database",
        &app.db.url,
    ])
    .await;
    let during = acknowledged.lock().unwrap().len() - before.len();
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert!(ok, "{stderr}");
    assert!(during > 0, "the server was booking while the backup ran");
    assert!(
        stdout.contains(&format!("backup {}: integrity ok", file.display())),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(": 0 violations"), "{stdout}");
    // plain progress lines, no terminal codes
    assert!(
        stderr.contains("copying …") && stderr.contains("PRAGMA integrity_check …"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!dir.join("loyalpos.backup.partial").exists());
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["loyalpos.backup"], "one self-contained file");

    // a backup never overwrites
    let (ok, _, stderr) = run(&[
        "backup",
        "--to",
        file.to_str().unwrap(),
        "--database",
        &app.db.url,
    ]);
    assert!(
        !ok && stderr.contains("a backup never overwrites a file"),
        "{stderr}"
    );

    let restored = format!("sqlite:{}", dir.join("restored.db").display());
    let (ok, stdout, stderr) = run(&[
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--database",
        &restored,
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("integrity ok") && stdout.trim_end().ends_with(": 0 violations"),
        "{stdout}"
    );
    let (ok, stdout, stderr) = run(&["check", "--database", &restored]);
    assert!(ok, "{stderr}");
    assert!(stdout.trim_end().ends_with(": 0 violations"), "{stdout}");
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !beside
            .iter()
            .any(|f| f.to_string_lossy().starts_with("loyalpos.backup-")),
        "restore only read the backup: {beside:?}"
    );
    let kept = ltx_ids(&restored).await;
    for ltx in &before {
        assert!(
            kept.contains(ltx),
            "{ltx}, acknowledged before the backup started, is missing"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `loyalpos backup --to FILE` of the database, which must succeed.
fn back_up(database_url: &str, file: &std::path::Path) {
    let to = file.to_str().unwrap();
    let (ok, _, stderr) = run(&["backup", "--to", to, "--database", database_url]);
    assert!(ok, "{stderr}");
}

#[tokio::test]
async fn restore_refuses_a_database_that_a_server_has_open_and_leaves_it_serving() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let dir = scratch_dir("cli-backup");
    let file = dir.join("b.db");
    back_up(&app.db.url, &file);
    let (ok, _, stderr) = run(&[
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--database",
        &app.db.url,
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("is in use (a server or another command has it open): stop it first"),
        "{stderr}"
    );
    assert_eq!(app.balances(MCD_A).await.0, 1000);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn restore_refuses_a_damaged_backup_and_creates_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let dir = scratch_dir("cli-backup");
    let file = dir.join("b.db");
    back_up(&app.db.url, &file);
    // Everything after the first page (the schema) becomes garbage.
    let mut bytes = std::fs::read(&file).unwrap();
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xAB;
    }
    std::fs::write(&file, bytes).unwrap();
    let target = dir.join("restored.db");
    let (ok, stdout, stderr) = run(&[
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--database",
        &format!("sqlite:{}", target.display()),
    ]);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains(&format!("{}", file.display())), "{stderr}");
    assert!(!target.exists(), "nothing was restored");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn backup_and_restore_of_postgres_point_to_pg_dump_and_pg_restore() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let dir = scratch_dir("cli-backup");
    let file = dir.join("b.dump");
    let (ok, _, stderr) = run(&[
        "backup",
        "--to",
        file.to_str().unwrap(),
        "--database",
        &app.db.url,
    ]);
    assert!(!ok);
    assert!(stderr.contains("pg_dump --format=custom"), "{stderr}");
    assert!(!file.exists());
    std::fs::write(&file, b"dump").unwrap();
    let (ok, _, stderr) = run(&[
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--database",
        &app.db.url,
    ]);
    assert!(!ok);
    assert!(stderr.contains("pg_restore --dbname="), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
