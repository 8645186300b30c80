//! Issue 6, crash harness (api.md §7.2 atomic bookings, §7.4 durability): registers run flows while
//! the server is killed with SIGKILL at random moments. After every kill `loyalpos check` passes on
//! the database; after every restart (same database, new port) every flow that got a 200 is in the
//! ledger, every LTX that no client saw acknowledged is explained by a request that got no answer
//! (one LTX per request at most, so their number is ≤ the number of unanswered requests), a smart
//! transaction whose start got no answer is either `ok` with its LTX or has no LTX at all, and the
//! registers' retries of unanswered start/cancel requests (and keyed direct requests) book nothing
//! twice.
//!
//! Sizes: `LOYALPOS_HARNESS_CRASHES` (kills per backend, default 20), `LOYALPOS_HARNESS_CLIENTS`
//! (registers, default 10 here), `LOYALPOS_HARNESS_OPS` (operations per register between two kills at
//! most, default 4), `LOYALPOS_HARNESS_SEED`. See README.md "Harnesses".
mod common;
#[path = "harness_support/mod.rs"]
mod harness_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use harness_support::*;
use rand::Rng;
use serde_json::Value;

/// What one unanswered start left behind must be all or nothing: `ok` with exactly its LTX, or a
/// status before `ok` and no LTX of it in the ledger.
async fn all_or_nothing(
    api: &Api,
    token: &str,
    req: &Request,
    ledger: &[Value],
) -> Result<&'static str, String> {
    let stx_id = req.stx.as_deref().unwrap();
    let stx = api
        .get_ok(&format!("/Smart/Transactions/{stx_id}"), token)
        .await;
    let ltxs: Vec<&Value> = ledger
        .iter()
        .filter(|l| l["smart_transaction"]["id"] == stx_id && l["is_cancelling"] == 0)
        .collect();
    let listed: Vec<&str> = stx["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    match stx["status"].as_str() {
        Some("ok") | Some("cancelled")
            if ltxs.len() == 1 && listed.first().copied() == ltxs[0]["id"].as_str() =>
        {
            let ta = stx["trans_id"].as_str().and_then(|t| t.parse::<i64>().ok());
            if ta == ltxs[0]["trans_id"].as_i64() {
                Ok("booked")
            } else {
                Err(format!("trans_id {ta:?} ≠ LTX {}", ltxs[0]["trans_id"]))
            }
        }
        Some("created") | Some("processing") | Some("failed")
            if ltxs.is_empty() && listed.is_empty() && stx["trans_id"].is_null() =>
        {
            Ok("not booked")
        }
        other => Err(format!(
            "status {other:?}, transactions {listed:?}, {} LTXs in the ledger",
            ltxs.len()
        )),
    }
}

/// Kills land within the first this many answers of a round, so that long runs (large
/// `LOYALPOS_HARNESS_OPS`) crash often instead of growing the ledger between two kills.
const KILL_WINDOW: usize = 600;

async fn crash_loop(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let clients = env_usize("LOYALPOS_HARNESS_CLIENTS", 10).max(1);
    let ops = env_usize("LOYALPOS_HARNESS_OPS", 4).max(1);
    let crashes = env_usize("LOYALPOS_HARNESS_CRASHES", 20);
    let seed = seed(&format!("crash/{backend:?}"));
    let mut rng = rng_for(seed, 0);
    let began = Instant::now();

    let http = http_client();
    let mut server = Server::start(&db.url, &["--demo"]);
    let tokens = Tokens::fetch(&Api::with_client(&http, &server.base)).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let mut registers: Vec<Register> = (0..clients)
        .map(|c| {
            let (token, device) = tokens.pick(c);
            let mut r = Register::new(c, token, device, seed, 0.5);
            r.progress = Some(progress.clone());
            r
        })
        .collect();

    let mut log = Log::default();
    let mut unanswered_total = 0;
    let mut interrupted_rounds = 0;
    let mut booked_unanswered = 0;
    let mut retries = Tally::default();
    let mut stuck_keys: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut violations_total = 0;
    let mut cache = Ledger::default();

    for round in 0..crashes {
        let api = Api::with_client(&http, &server.base);
        // Kill after a random number of answers, plus a random sub-request delay.
        let kill_after = rng.random_range(0..(clients * ops * 3).clamp(1, KILL_WINDOW));
        let jitter = Duration::from_micros(rng.random_range(0..20_000));
        progress.store(0, Ordering::SeqCst);
        let mut tasks = Vec::new();
        for mut r in registers.drain(..) {
            let api = api.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..ops {
                    if let Flow::Dead = r.op(&api).await {
                        break;
                    }
                }
                r
            }));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while progress.load(Ordering::SeqCst) < kill_after
            && !tasks.iter().all(|t| t.is_finished())
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(jitter).await;
        server.kill(); // SIGKILL
        for t in tasks {
            registers.push(t.await.expect("a register panicked"));
        }
        let mut round_log = Log::default();
        for r in &mut registers {
            round_log.merge(std::mem::take(&mut r.log));
        }
        let unanswered = round_log.unanswered.clone();
        unanswered_total += unanswered.len();
        interrupted_rounds += usize::from(!unanswered.is_empty());

        // Read units are one snapshot, so `check` right after a kill sees either all or none of a
        // unit of work that PostgreSQL still commits for the killed process.
        let (ok, violations, out) = check(&db.url);
        violations_total += violations;
        if !ok {
            problems.push(format!(
                "round {round}: loyalpos check after SIGKILL failed:\n{out}"
            ));
        }

        server = Server::start(&db.url, &["--demo"]);
        let api = Api::with_client(&http, &server.base);

        // Unanswered starts are all or nothing.
        if unanswered.iter().any(|r| r.kind == Kind::Start) {
            cache.refresh(&api, &tokens.pinned).await;
        }
        for req in unanswered.iter().filter(|r| r.kind == Kind::Start) {
            match all_or_nothing(&api, &tokens.pinned, req, &cache.ltxs).await {
                Ok("booked") => booked_unanswered += 1,
                Ok(_) => {}
                Err(e) => {
                    problems.push(format!("round {round}: unanswered {}: {e}", req.describe()))
                }
            }
        }

        // A register retries what got no answer: start and cancel (safe by the status rules, and with
        // the same Idempotency-Key if the first attempt had one), direct transactions only with a key.
        for req in unanswered
            .iter()
            .filter(|r| matches!(r.kind, Kind::Start | Kind::Cancel) || r.key.is_some())
        {
            let outcome = api.call(req).await;
            retries.count(&outcome);
            match &outcome {
                Ok(a) if a.status == 200 => round_log.acknowledge(req, a),
                Ok(a) if a.status == 409 && a.code == Some(4102) => stuck_keys.push(format!(
                    "round {round}: {} → 409/4102 after the restart: {}",
                    req.describe(),
                    a.text
                )),
                Ok(a) if (400..500).contains(&a.status) => {}
                Ok(a) => problems.push(format!(
                    "round {round}: retry of {} → {} {}",
                    req.describe(),
                    a.status,
                    a.text
                )),
                Err(e) => problems.push(format!(
                    "round {round}: retry of {} got no answer: {e}",
                    req.describe()
                )),
            }
        }
        log.merge(round_log);

        cache.refresh(&api, &tokens.pinned).await;
        let audit = audit(&api, &tokens.pinned, &cache, &log.acks, &log.unanswered).await;
        eprintln!(
            "[crash/{backend:?}] round {round:>3}: killed after {kill_after:>3} answers, {} unanswered booking requests; {}",
            unanswered.len(),
            audit.report().lines().next().unwrap_or_default()
        );
        if !audit.is_clean() {
            problems.push(format!("round {round}: {}", audit.report()));
        }
        let stop = !problems.is_empty();
        // Fresh tokens for the next round (long runs outlive the 1200 s token lifetime); only now,
        // because a new device-PIN token may revoke the one the retries above used.
        let tokens = Tokens::fetch(&api).await;
        for r in &mut registers {
            r.token = tokens.pick(r.id).0;
        }
        if stop {
            break;
        }
    }
    // The end: the whole ledger read afresh, not the incremental view of the rounds.
    let api = Api::with_client(&http, &server.base);
    let full = Ledger::read(&api, &tokens.pinned).await;
    let audit = audit(&api, &tokens.pinned, &full, &log.acks, &log.unanswered).await;
    if full.ltxs.len() != cache.ltxs.len() {
        problems.push(format!(
            "{} LTXs in the full ledger, {} seen by the incremental reads (an LTX committed with an older TA code?)",
            full.ltxs.len(),
            cache.ltxs.len()
        ));
    }
    if !audit.is_clean() {
        problems.push(format!("final audit: {}", audit.report()));
    }
    eprintln!(
        "[crash/{backend:?}] clients {clients}, processes 1, crashes {crashes} (SIGKILL), ops/client/round ≤ {ops}\n  \
         {}\n  retries after restart: {}\n  unanswered booking requests {unanswered_total} (in {interrupted_rounds} rounds), LTXs booked without an answer {} \
         (of them unanswered starts found booked: {booked_unanswered})\n  {}\n  double spends found {}, invariant violations {}, \
         stuck idempotency keys {}, time {:.1}s",
        log.tally.render(),
        retries.render(),
        audit.explained,
        audit.report(),
        audit.double_spends(),
        violations_total + audit.mismatches.len(),
        stuck_keys.len(),
        began.elapsed().as_secs_f64()
    );

    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        log.anomalies.is_empty(),
        "answers that break the contract:\n{}",
        log.anomalies.join("\n")
    );
    assert_eq!(
        log.tally.forbidden_server_errors(),
        0,
        "no 5xx except 503/1002: {}",
        log.tally.render()
    );
    assert!(
        audit.explained <= unanswered_total,
        "LTXs without an answer ≤ requests without an answer"
    );
    // The kills must have hit something: a run whose kills all landed between requests proves
    // nothing about interrupted bookings.
    assert!(
        crashes == 0 || interrupted_rounds > 0,
        "no kill interrupted a booking request in flight ({crashes} kills)"
    );
    // A key whose request was killed must answer the retry: replayed if the request committed
    // (claim, effect and answer commit together), executed afresh if it did not.
    assert!(
        stuck_keys.is_empty(),
        "keys of killed requests answer 409/4102 after the restart:\n{}",
        stuck_keys.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_acknowledged_booking_on_sqlite() {
    crash_loop(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_acknowledged_booking_on_postgres() {
    crash_loop(Backend::Postgres).await
}
