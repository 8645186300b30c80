//! The crate layout's rule (issue 16): the command line depends on the application layer, never on
//! the HTTP edge. Read from `cargo metadata`, so a dependency added to `crates/loyalpos-cli` — or to a
//! workspace crate it depends on — fails here, not only in review.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The HTTP edge and the HTTP server stack beneath it.
const HTTP: [&str; 3] = ["loyalpos-http", "axum", "hyper"];

#[test]
fn the_cli_depends_on_the_application_layer_and_never_on_the_http_crate_axum_or_hyper() {
    let reached = dependencies_reached_from("loyalpos-cli");
    assert!(
        reached.contains_key("loyalpos-app"),
        "the CLI calls the application layer: {reached:?}"
    );
    for name in HTTP {
        assert!(
            !reached.contains_key(name),
            "loyalpos-cli reaches {name} through {}",
            reached[name]
        );
    }
}

#[test]
fn the_back_office_uses_the_application_layer_and_neither_the_http_crate_nor_the_cli() {
    let reached = dependencies_reached_from("loyalpos-office");
    assert!(reached.contains_key("loyalpos-app"), "{reached:?}");
    for name in ["loyalpos-http", "loyalpos-cli"] {
        assert!(
            !reached.contains_key(name),
            "loyalpos-office reaches {name} through {}",
            reached[name]
        );
    }
}

#[test]
fn the_binary_composes_the_cli_and_the_http_crate() {
    let reached = dependencies_reached_from("loyalpos");
    assert!(reached.contains_key("loyalpos-cli"), "{reached:?}");
    assert!(reached.contains_key("loyalpos-http"), "{reached:?}");
}

/// Every dependency of the workspace crate `root`, and of the workspace crates it depends on, with
/// the workspace crate that declares it. Dev-dependencies count only for `root` itself (they never
/// reach another crate's build).
fn dependencies_reached_from(root: &str) -> BTreeMap<String, String> {
    let members = workspace_dependencies();
    let mut reached = BTreeMap::new();
    let mut walked = BTreeSet::from([root.to_owned()]);
    let mut pending = vec![root.to_owned()];
    while let Some(krate) = pending.pop() {
        let dependencies = members
            .get(&krate)
            .unwrap_or_else(|| panic!("{krate} is not a workspace crate"));
        for (name, dev) in dependencies {
            if *dev && krate != root {
                continue;
            }
            if !dev && members.contains_key(name) && walked.insert(name.clone()) {
                pending.push(name.clone());
            }
            reached.entry(name.clone()).or_insert_with(|| krate.clone());
        }
    }
    reached
}

/// Each workspace crate's direct dependencies: (package name, is a dev-dependency).
fn workspace_dependencies() -> BTreeMap<String, Vec<(String, bool)>> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .args(["--manifest-path", manifest])
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    packages
        .iter()
        .map(|package| {
            let dependencies = package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|dependency| {
                    let name = dependency["name"].as_str().expect("a dependency's name");
                    (name.to_owned(), dependency["kind"] == "dev")
                })
                .collect();
            let name = package["name"].as_str().expect("a package's name");
            (name.to_owned(), dependencies)
        })
        .collect()
}
