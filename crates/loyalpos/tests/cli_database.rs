//! Operator commands only work on a loyalpos database: a mistyped SQLite file name, a database
//! without the schema, a missing directory or a PostgreSQL that is not listening is a clear error
//! naming it, with a non-zero exit — never a new empty database, never a 10 s wait.
mod common;

use std::time::{Duration, Instant};

use common::*;

const IMPORT_DOC: &str = r#"{"merchants": []}"#;

/// Every command that must not create a database, as (args …) against `url`.
fn refusing_commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    let doc = dir.join("import.json");
    std::fs::write(&doc, IMPORT_DOC).unwrap();
    [
        vec!["check"],
        vec!["import", doc.to_str().unwrap()],
        vec![
            "cards",
            "issue",
            "--cardgroup",
            "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK",
        ],
        vec!["merchant", "create", "--name", "Kiosk"],
        vec![
            "cardgroup",
            "update",
            "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK",
            "--rate",
            "500",
        ],
        vec!["backup", "--to", dir.join("backup.db").to_str().unwrap()],
    ]
    .into_iter()
    .map(|a| a.into_iter().map(str::to_owned).collect())
    .collect()
}

#[test]
fn check_and_every_operator_command_refuse_a_sqlite_file_that_does_not_exist_and_create_none() {
    let dir = scratch_dir("cli-db");
    let typo = dir.join("typo.db");
    let url = format!("sqlite:{}", typo.display());
    for args in refusing_commands(&dir) {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--database", &url]);
        let (ok, stdout, stderr) = run(&args);
        assert!(!ok, "{args:?} must fail: {stdout}");
        assert!(
            stderr.contains(&format!(
                "the SQLite database {} does not exist",
                typo.display()
            )),
            "{args:?}: {stderr}"
        );
        assert!(!stdout.contains("0 violations"), "{stdout}");
        assert!(!typo.exists(), "{args:?} created the file");
    }
    // `migrate` is the command that creates it; then `check` is happy.
    let (ok, _, stderr) = run(&["migrate", "--database", &url]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = run(&["check", "--database", &url]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(": 0 violations"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_sqlite_file_without_the_loyalpos_schema_or_not_a_database_is_refused() {
    let dir = scratch_dir("cli-db");
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let (ok, _, stderr) = run(&[
        "check",
        "--database",
        &format!("sqlite:{}", empty.display()),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{} has no loyalpos schema", empty.display())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "nothing was written to it"
    );

    let text = dir.join("notes.txt");
    std::fs::write(&text, "x".repeat(4096)).unwrap();
    let (ok, _, stderr) = run(&[
        "import",
        text.to_str().unwrap(),
        "--database",
        &format!("sqlite:{}", text.display()),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{} is not a SQLite database", text.display())),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_directory_is_named_in_the_error_of_migrate_and_check() {
    let dir = scratch_dir("cli-db");
    let missing = dir.join("no-such-dir");
    let url = format!("sqlite:{}/loyalpos.db", missing.display());
    for command in ["migrate", "check"] {
        let (ok, _, stderr) = run(&[command, "--database", &url]);
        assert!(!ok);
        assert!(
            stderr.contains(&format!(
                "the directory {} does not exist",
                missing.display()
            )),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("code: 14"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn postgres_on_a_closed_port_fails_at_once_with_connection_refused_at_host_and_port() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres:s3cret@127.0.0.1:{port}/test");
    for command in ["migrate", "check"] {
        let started = Instant::now();
        let (ok, _, stderr) = run(&[command, "--database", &url]);
        assert!(!ok);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{command} waited {:?}",
            started.elapsed()
        );
        assert!(
            stderr.contains(&format!("connection refused at 127.0.0.1:{port}")),
            "{command}: {stderr}"
        );
        assert!(
            !stderr.contains("s3cret"),
            "the password is never shown: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_postgres_database_without_the_loyalpos_schema_is_refused_until_migrated() {
    let Some(db) = Database::fresh(Backend::Postgres).await else {
        return;
    };
    let dir = scratch_dir("cli-db");
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    for args in refusing_commands(&dir) {
        if args[0] == "backup" {
            continue; // answers with pg_dump (cli_backup.rs)
        }
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--database", &db.url]);
        let (ok, _, stderr) = run(&args);
        assert!(!ok, "{args:?}");
        assert!(
            stderr.contains(&format!(
                "the PostgreSQL database {name} has no loyalpos schema"
            )),
            "{args:?}: {stderr}"
        );
    }
    let (ok, _, stderr) = run(&["migrate", "--database", &db.url]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = run(&["check", "--database", &db.url]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(": 0 violations"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}
