//! Issue 6, concurrency harness (api.md §7, examples.md V13 d): many registers on several server
//! processes hammer the same few cards with preTransaction/start/cancel, loads, discharges and direct
//! charges, discharges and `cancel_last`. Afterwards the set of TA codes of the cards' loyalty
//! transactions equals exactly the set of TA codes acknowledged with a 200 (no lost and no phantom
//! booking), no request booked twice, every balance equals its opening plus the LTX amounts, and
//! `loyalpos check` passes.
//!
//! Sizes: `LOYALPOS_HARNESS_CLIENTS` (default 50), `LOYALPOS_HARNESS_OPS` (operations per client,
//! default 6), `LOYALPOS_HARNESS_PROCESSES` (PostgreSQL processes, default 3),
//! `LOYALPOS_HARNESS_SEED`. See README.md "Harnesses".
mod common;
#[path = "harness_support/mod.rs"]
mod harness_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use common::*;
use harness_support::*;

async fn hammer(backend: Backend, processes: usize) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let clients = env_usize("LOYALPOS_HARNESS_CLIENTS", 50).max(1);
    let ops = env_usize("LOYALPOS_HARNESS_OPS", 6);
    let seed = seed(&format!("concurrency/{backend:?}"));
    let began = Instant::now();

    // One after the other: the first seeds the demo tenant, the others find it (all serve with
    // --demo so that the pinned token works on each).
    let servers: Vec<Server> = (0..processes)
        .map(|_| Server::start(&db.url, &["--demo"]))
        .collect();
    let http = http_client();
    let apis: Vec<Api> = servers
        .iter()
        .map(|s| Api::with_client(&http, &s.base))
        .collect();
    let tokens = Tokens::fetch(&apis[0]).await;

    let barrier = Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let api = apis[c % processes].clone();
        let (token, device) = tokens.pick(c);
        let mut register = Register::new(c, token, device, seed, 0.3);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            for _ in 0..ops {
                register.op(&api).await;
            }
            register.log
        }));
    }
    let mut log = Log::default();
    for t in tasks {
        log.merge(t.await.expect("a register panicked"));
    }
    let load_time = began.elapsed();

    let ledger = Ledger::read(&apis[0], &tokens.pinned).await;
    let audit = audit(&apis[0], &tokens.pinned, &ledger, &log.acks, &[]).await;
    let (check_ok, violations, check_out) = check(&db.url);
    let t = &log.tally;
    eprintln!(
        "[concurrency/{backend:?}] clients {clients}, processes {processes}, ops/client {ops}, {}\n  \
         load {:.1}s, total {:.1}s; {}\n  double spends found {}, invariant violations {} (check: {})",
        t.render(),
        load_time.as_secs_f64(),
        began.elapsed().as_secs_f64(),
        audit.report(),
        audit.double_spends(),
        violations + audit.mismatches.len(),
        check_out.lines().last().unwrap_or_default(),
    );

    assert!(
        log.anomalies.is_empty(),
        "answers that break the contract:\n{}",
        log.anomalies.join("\n")
    );
    assert_eq!(t.no_answer, 0, "every request must get an answer");
    assert_eq!(
        t.forbidden_server_errors(),
        0,
        "no 5xx except 503/1002: {}",
        t.render()
    );
    assert!(t.ok > 0, "nothing succeeded: {}", t.render());
    assert!(audit.is_clean(), "{}", audit.report());
    assert_eq!(audit.explained, 0);
    assert_eq!(
        audit.ltxs, audit.acknowledged,
        "the LTX TA codes equal the acknowledged TA codes"
    );
    assert!(check_ok && violations == 0, "loyalpos check: {check_out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_registers_on_one_sqlite_process_never_double_spend() {
    hammer(Backend::Sqlite, 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_registers_on_three_postgres_processes_never_double_spend() {
    hammer(
        Backend::Postgres,
        env_usize("LOYALPOS_HARNESS_PROCESSES", 3).max(1),
    )
    .await
}

/// `loyalpos check` again and again while registers book: the invariant holds in every committed
/// state, so every run must pass.
async fn check_while_booking(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    const CHECKS: usize = 40;
    let seed = seed(&format!("check-under-load/{backend:?}"));
    let server = Server::start(&db.url, &["--demo"]);
    let api = Api::new(&server.base);
    let tokens = Tokens::fetch(&api).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..10 {
        let (token, device) = tokens.pick(c);
        let mut register = Register::new(c, token, device, seed, 0.0);
        let (api, stop) = (api.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..100_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                register.op(&api).await;
            }
            register.log
        }));
    }
    let mut failed = Vec::new();
    for _ in 0..CHECKS {
        let url = db.url.clone();
        let (ok, _, out) = tokio::task::spawn_blocking(move || check(&url))
            .await
            .unwrap();
        if !ok {
            failed.push(out);
        }
    }
    stop.store(true, Ordering::SeqCst);
    let mut log = Log::default();
    for t in tasks {
        log.merge(t.await.expect("a register panicked"));
    }
    let (ok, _, out) = check(&db.url);
    eprintln!(
        "[check-under-load/{backend:?}] {CHECKS} runs of loyalpos check during {}: {} failed",
        log.tally.render(),
        failed.len()
    );
    assert!(ok, "check on the quiet database: {out}");
    // The registers' own answers obey the contract, as in the main concurrency harness.
    assert!(
        log.anomalies.is_empty(),
        "answers that break the contract:\n{}",
        log.anomalies.join("\n")
    );
    assert_eq!(log.tally.no_answer, 0, "every request must get an answer");
    assert_eq!(
        log.tally.forbidden_server_errors(),
        0,
        "no 5xx except 503/1002: {}",
        log.tally.render()
    );
    assert!(
        log.tally.ok > 0,
        "nothing succeeded: {}",
        log.tally.render()
    );
    assert!(
        failed.is_empty(),
        "loyalpos check must see one snapshot; {} of {CHECKS} runs failed, e.g.:\n{}",
        failed.len(),
        failed[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_at_every_moment_while_registers_book_on_sqlite() {
    check_while_booking(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_at_every_moment_while_registers_book_on_postgres() {
    check_while_booking(Backend::Postgres).await
}
