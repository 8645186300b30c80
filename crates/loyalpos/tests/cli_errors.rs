//! Operator errors say what is wrong: a taken username, a blank name, a device user code typed in
//! upper case; help texts describe every argument, and `bench` has no `--database`.
mod common;

use std::process::Command;

use common::*;
use serde_json::json;

const BONUS10: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";

/// Runs an operator command against the app's database; returns (success, stdout, stderr).
fn operator(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    run(&[args, &["--database", &app.db.url]].concat())
}

fn help(args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

on_both_backends! {
    async fn a_duplicate_username_is_refused_with_a_clear_message_not_the_unique_error(app: TestApp) {
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "anna", "--password", "geheim"]);
        let (ok, stdout, stderr) = operator(&app, &["user", "create", "--merchant", MERCHANT, "--username", "anna", "--password", "anders"]);
        assert!(!ok, "{stdout}");
        assert!(stderr.contains("username anna is already taken"), "{stderr}");
        for raw in ["UNIQUE", "duplicate key", "constraint"] {
            assert!(!stderr.contains(raw), "{stderr}");
        }
    }

    async fn blank_names_are_refused_and_nothing_is_created(app: TestApp) {
        let token = app.merchant_token().await;
        let groups = app.get("/Loyalty/Cardgroups", &token).await.ok()["count"].clone();
        let stores = app.get("/General/Stores", &token).await.ok()["count"].clone();
        for args in [
            vec!["merchant", "create", "--name", ""],
            vec!["merchant", "create", "--name", "   "],
            vec!["store", "create", "--merchant", MERCHANT, "--name", " "],
            vec!["cardgroup", "create", "--merchant", MERCHANT, "--name", "\t"],
            vec!["cardgroup", "update", BONUS10, "--name", ""],
        ] {
            let (ok, stdout, stderr) = operator(&app, &args);
            assert!(!ok, "{args:?} must fail: {stdout}");
            assert!(stderr.contains("--name must not be empty"), "{args:?}: {stderr}");
        }
        let (ok, _, stderr) = operator(&app, &["user", "create", "--merchant", MERCHANT, "--username", " ", "--password", "x"]);
        assert!(!ok && stderr.contains("--username must not be empty"), "{stderr}");
        assert_eq!(app.get("/Loyalty/Cardgroups", &token).await.ok()["count"], groups);
        assert_eq!(app.get("/General/Stores", &token).await.ok()["count"], stores);
        assert_eq!(app.get(&format!("/Loyalty/Cardgroups/{BONUS10}"), &token).await.ok()["display_name"], "Bonus 10 %");
    }

    async fn a_device_user_code_typed_in_upper_case_confirms_the_registration(app: TestApp) {
        let step_a = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "uuid": "/vendor/acme/cashier/12"})).await;
        let a = step_a.ok().clone();
        let user_code = a["user_code"].as_str().unwrap();
        let typed = format!(" {} ", user_code.to_ascii_uppercase());
        assert_ne!(typed.trim(), user_code, "the code has letters");
        let out = app.cli(&["device", "confirm", &typed, "--merchant", MERCHANT]);
        assert!(out.starts_with("confirmed: device SDV_"), "{out}");
        let poll = json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "code": a["device_code"]});
        assert!(app.token_request(poll).await.ok()["access_token"].is_string());
    }
}

#[test]
fn bench_lists_no_database_and_refuses_one() {
    let bench = help(&["bench"]);
    assert!(
        !bench.contains("--database") && !bench.contains("--timezone"),
        "{bench}"
    );
    for command in [
        &["check"][..],
        &["cards", "issue"],
        &["import"],
        &["backup"],
        &["serve"],
    ] {
        assert!(help(command).contains("--database <URL>"), "{command:?}");
    }
    let out = Command::new(binary())
        .args(["bench", "--database", "sqlite:x.db", "--duration", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bench drives running servers over HTTP (--target) and uses no --database"),
        "{stderr}"
    );
    // The environment variable is for the commands that use a database; bench just ignores it.
    let out = Command::new(binary())
        .args(["bench", "--help"])
        .env("LOYALPOS_DATABASE_URL", "sqlite:x.db")
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// Every option and positional argument in `--help` has a description after its name.
#[test]
fn every_argument_of_the_cli_commands_has_a_help_text() {
    let commands: [&[&str]; 9] = [
        &["cards", "issue"],
        &["cardgroup", "create"],
        &["cardgroup", "update"],
        &["import"],
        &["backup"],
        &["restore"],
        &["bench"],
        &["check"],
        &["migrate"],
    ];
    // The check itself finds an argument without text.
    let sample = "Usage: x\n\nArguments:\n  <FILE>  The file\n\nOptions:\n      --name <NAME>  \n      --merchant <M>\n          The merchant\n  -h, --help  Print help\n";
    assert_eq!(undescribed(sample), ["--name <NAME>"]);
    for command in commands {
        let text = help(command);
        assert!(text.contains("Options:"), "{command:?}: {text}");
        assert_eq!(
            undescribed(&text),
            Vec::<String>::new(),
            "{command:?}\n{text}"
        );
    }
}

/// The options and positional arguments listed in a `--help` text without a description.
fn undescribed(text: &str) -> Vec<String> {
    let mut section = "";
    let mut entries: Vec<(String, bool)> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line;
            continue;
        }
        if !(section.starts_with("Options") || section.starts_with("Arguments")) {
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent <= 6 && trimmed.starts_with(['-', '<', '[']) {
            // `  --name <NAME>  What it is` or `  --name <NAME>` with the text on the next line
            let described = trimmed
                .split_once("  ")
                .is_some_and(|(_, d)| !d.trim().is_empty());
            entries.push((trimmed.to_owned(), described));
        } else if let Some(last) = entries.last_mut()
            && !trimmed.is_empty()
        {
            last.1 = true;
        }
    }
    entries
        .into_iter()
        .filter(|(_, described)| !described)
        .map(|(entry, _)| entry.trim().to_owned())
        .collect()
}
