//! The CLI never loses output: a reader that closes stdout early (`loyalpos cards issue | head -2`)
//! stops the command cleanly (exit 141, a message, no panic), and every issued card's CSC is kept
//! in `--out FILE` or a recovery file.
mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::*;
use serde_json::json;

const BONUS10: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
/// Enough lines (about 55 bytes each) to overflow a 64 KiB pipe, so the command is still writing
/// when the reader goes away.
const CARDS: usize = 3000;

fn scratch_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("loyalpos-cli-output-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `args` with stdout into a pipe that is closed after two lines; returns (the two lines,
/// exit code, stderr).
fn run_into_closed_pipe(
    db: &str,
    args: &[&str],
    cwd: &std::path::Path,
) -> (Vec<String>, Option<i32>, String) {
    let mut child = Command::new(binary())
        .args(args)
        .args(["--database", db])
        .current_dir(cwd)
        .env("LOYALPOS_LOG", "warn")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
    }
    drop(reader);
    let out = child.wait_with_output().unwrap();
    (
        lines,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn cards_in_group(app: &TestApp, token: &str) -> i64 {
    let r = app
        .get(
            &format!("/Loyalty/MerchantCards?q=cardgroup.id:{BONUS10}&count=1"),
            token,
        )
        .await;
    r.ok()["count"].as_i64().unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every line of `text` is a card the server knows, with that CSC (checked on a sample: first,
/// middle, last).
async fn assert_cards_with_cscs(app: &TestApp, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), CARDS);
    let mut numbers: Vec<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), CARDS, "every card once");
    for line in [lines[0], lines[CARDS / 2], lines[CARDS - 1]] {
        let [number, csc, mcd]: [&str; 3] = line.split(' ').collect::<Vec<_>>().try_into().unwrap();
        let check = app
            .post(
                &format!("/Loyalty/MerchantCards/{mcd}/checkCsc"),
                PINNED,
                json!({"cardnumber": number, "csc": csc}),
            )
            .await;
        assert_eq!(check.ok(), &json!({"result": true}), "{line}");
    }
}

on_both_backends! {
    async fn cards_issue_into_a_closed_pipe_keeps_every_csc_in_out_file(app: TestApp) {
        let token = app.merchant_token().await;
        let before = cards_in_group(&app, &token).await;
        let dir = scratch_dir();
        let out = dir.join("cards.txt");
        let count = CARDS.to_string();
        let (read, code, stderr) = run_into_closed_pipe(
            &app.db.url,
            &["cards", "issue", "--cardgroup", BONUS10, "--count", &count, "--out", out.to_str().unwrap()],
            &dir,
        );
        assert_eq!(code, Some(141), "{stderr}");
        assert!(stderr.contains("broken pipe"), "{stderr}");
        assert!(stderr.contains(&format!("every issued card and its CSC is in {}", out.display())), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(mode(&out), 0o600);
        let saved = std::fs::read_to_string(&out).unwrap();
        assert_eq!(saved.lines().take(2).collect::<Vec<_>>(), read, "stdout got the file's lines");
        assert_eq!(cards_in_group(&app, &token).await, before + CARDS as i64);
        assert_cards_with_cscs(&app, &saved).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn cards_issue_without_out_into_a_closed_pipe_writes_every_csc_to_a_recovery_file(app: TestApp) {
        let dir = scratch_dir();
        let count = CARDS.to_string();
        let (read, code, stderr) =
            run_into_closed_pipe(&app.db.url, &["cards", "issue", "--cardgroup", BONUS10, "--count", &count], &dir);
        assert_eq!(code, Some(141), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let recovery = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
        assert_eq!(recovery.len(), 1, "one recovery file in the working directory: {recovery:?}");
        let recovery = std::fs::canonicalize(&recovery[0]).unwrap();
        assert!(stderr.contains(&format!("written to {} (mode 0600)", recovery.display())), "{stderr}");
        assert_eq!(mode(&recovery), 0o600);
        let saved = std::fs::read_to_string(&recovery).unwrap();
        assert_eq!(saved.lines().take(2).collect::<Vec<_>>(), read);
        assert_cards_with_cscs(&app, &saved).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn cards_issue_read_to_the_end_leaves_no_recovery_file_and_shows_plain_progress(app: TestApp) {
        let dir = scratch_dir();
        let run = Command::new(binary())
            .args(["cards", "issue", "--cardgroup", BONUS10, "--count", "1000", "--database", &app.db.url])
            .current_dir(&dir)
            .env("LOYALPOS_LOG", "warn")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        assert_eq!(String::from_utf8(run.stdout).unwrap().lines().count(), 1000);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the recovery file is gone");
        // stderr is not a terminal: plain progress lines, no terminal codes
        assert!(stderr.contains("issuing 1000 cards …") && stderr.contains("issued 1000 cards ("), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn cards_issue_refuses_an_existing_out_file_and_issues_nothing(app: TestApp) {
        let token = app.merchant_token().await;
        let before = cards_in_group(&app, &token).await;
        let dir = scratch_dir();
        let out = dir.join("cards.txt");
        std::fs::write(&out, "earlier cards\n").unwrap();
        let run = Command::new(binary())
            .args(["cards", "issue", "--cardgroup", BONUS10, "--count", "2", "--out", out.to_str().unwrap()])
            .args(["--database", &app.db.url])
            .output()
            .unwrap();
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(&format!("cannot create {}", out.display())), "{stderr}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier cards\n");
        assert_eq!(cards_in_group(&app, &token).await, before);
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn cardgroup_update_into_a_closed_pipe_stops_cleanly_after_committing(app: TestApp) {
        let mut child = Command::new(binary())
            .args(["cardgroup", "update", BONUS10, "--name", "Bonus zehn", "--database", &app.db.url])
            .env("LOYALPOS_LOG", "warn")
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the command prints anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{stderr}");
        assert!(stderr.contains("broken pipe"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let g = app.get(&format!("/Loyalty/Cardgroups/{BONUS10}"), PINNED).await;
        assert_eq!(g.ok()["display_name"], "Bonus zehn");
    }

    async fn a_println_elsewhere_into_a_closed_pipe_is_a_clean_stop_too(app: TestApp) {
        let mut child = Command::new(binary())
            .args(["merchant", "create", "--name", "Kiosk", "--database", &app.db.url])
            .env("LOYALPOS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{stderr}");
        assert!(stderr.contains("broken pipe") && !stderr.contains("panicked"), "{stderr}");
    }
}
