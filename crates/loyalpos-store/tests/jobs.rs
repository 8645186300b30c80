//! Jobs: a write job is atomic and durable on its own, whatever else shares its commit; a read job
//! sees one snapshot. On both backends.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{each_store, fresh_sqlite_url, merchant, stx};
use loyalpos_store::{Backend, Store, StoreError, StxRow, Tx};

async fn exists(store: &Store, id: &'static str) -> bool {
    store
        .read(move |tx| tx.merchant(&id.into()))
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_failing_job_leaves_no_trace_and_its_neighbours_commit() {
    for (store, _db) in each_store().await {
        let failing = store.write(|tx| {
            tx.insert_merchant(&merchant("MRC_FAILS"))?;
            Err::<(), _>(StoreError::Internal("the command refused".into()))
        });
        let fine = store.write(|tx| tx.insert_merchant(&merchant("MRC_FINE")));
        let (failing, fine) = tokio::join!(failing, fine);
        assert!(failing.is_err());
        fine.unwrap();
        assert!(!exists(&store, "MRC_FAILS").await, "{:?}", store.backend());
        assert!(exists(&store, "MRC_FINE").await);
    }
}

#[tokio::test]
async fn a_duplicate_key_is_reported_and_rolls_back_the_whole_job() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| tx.insert_merchant(&merchant("MRC_A")))
            .await
            .unwrap();
        let again = store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_B"))?;
                tx.insert_merchant(&merchant("MRC_A"))
            })
            .await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
        assert!(!exists(&store, "MRC_B").await);
    }
}

#[tokio::test]
async fn a_rolled_back_savepoint_keeps_the_rest_of_the_job() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_KEPT"))?;
                tx.savepoint()?;
                tx.insert_merchant(&merchant("MRC_UNDONE"))?;
                tx.rollback_savepoint()?;
                tx.savepoint()?;
                tx.insert_merchant(&merchant("MRC_RELEASED"))?;
                tx.release_savepoint()
            })
            .await
            .unwrap();
        assert!(exists(&store, "MRC_KEPT").await);
        assert!(!exists(&store, "MRC_UNDONE").await);
        assert!(exists(&store, "MRC_RELEASED").await);
    }
}

#[tokio::test]
async fn a_panicking_job_is_an_internal_error_and_the_store_goes_on() {
    for (store, _db) in each_store().await {
        let panicked = store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_PANIC"))?;
                if tx.merchant(&"MRC_PANIC".into())?.is_some() {
                    panic!("a bug in a command");
                }
                Ok::<(), StoreError>(())
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Internal(_))));
        store
            .write(|tx| tx.insert_merchant(&merchant("MRC_AFTER")))
            .await
            .unwrap();
        assert!(!exists(&store, "MRC_PANIC").await);
        assert!(exists(&store, "MRC_AFTER").await);
    }
}

#[tokio::test]
async fn a_job_counts_every_statement_it_runs() {
    for (store, _db) in each_store().await {
        let before = store.stats().statements;
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_S"))?;
                tx.merchant(&"MRC_S".into()).map(drop)
            })
            .await
            .unwrap();
        assert_eq!(store.stats().statements - before, 2);
    }
}

/// `serve` warns when PostgreSQL maintains nothing by itself; SQLite has nothing to switch off.
#[tokio::test]
async fn a_database_without_autovacuum_is_reported_as_unmaintained() {
    for (store, db) in each_store().await {
        let reported = store.read(|tx| tx.maintenance_off()).await.unwrap();
        let expected = match db.as_ref().map(|db| db.url.clone()) {
            None => false,
            Some(url) => tokio::task::spawn_blocking(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let mut setting = |name: &str| -> String {
                    client
                        .query_one(&format!("SHOW {name}"), &[])
                        .unwrap()
                        .get(0)
                };
                setting("autovacuum") != "on" || setting("track_counts") != "on"
            })
            .await
            .unwrap(),
        };
        assert_eq!(reported, expected, "{:?}", store.backend());
    }
}

/// On PostgreSQL the inserts of smart transactions are held back and go out with the COMMIT: a
/// failure among them is reported by the COMMIT and fails the whole unit, as it does at once on
/// SQLite.
#[tokio::test]
async fn a_held_back_write_that_fails_fails_its_whole_unit() {
    for (store, _db) in each_store().await {
        let again = store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_H"))?;
                tx.insert_stx(&stx("STX_H", "MRC_H"))?;
                tx.insert_stx(&stx("STX_H", "MRC_H"))
            })
            .await;
        assert!(
            matches!(again, Err(StoreError::Duplicate(_))),
            "{:?}: {again:?}",
            store.backend()
        );
        assert!(!exists(&store, "MRC_H").await, "{:?}", store.backend());
    }
}

/// A unit that reads once and then writes waits for PostgreSQL twice: BEGIN goes with the read,
/// the writes with the COMMIT (once its connection has prepared the statements: one job after
/// another get the same idle connection). SQLite runs in the process and counts none.
#[tokio::test]
async fn a_units_writes_go_out_with_its_commit() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| tx.insert_merchant(&merchant("MRC_W")))
            .await
            .unwrap();
        let read_then_write = |first: &'static str, second: &'static str| {
            move |tx: &mut dyn Tx| {
                tx.stx(&"STX_NONE".into())?;
                tx.insert_stx(&stx(first, "MRC_W"))?;
                tx.insert_stx(&stx(second, "MRC_W"))?;
                tx.update_stx(&stx(first, "MRC_W"))
            }
        };
        store
            .write(read_then_write("STX_W1", "STX_W2"))
            .await
            .unwrap();
        let before = store.stats();
        store
            .write(read_then_write("STX_W3", "STX_W4"))
            .await
            .unwrap();
        let after = store.stats();
        assert_eq!(after.statements - before.statements, 4);
        let expected = match store.backend() {
            Backend::Postgres => 2,
            Backend::Sqlite => 0,
        };
        assert_eq!(after.round_trips - before.round_trips, expected);
        let stored = store.read(|tx| tx.stx(&"STX_W4".into())).await.unwrap();
        assert!(stored.is_some(), "{:?}", store.backend());
    }
}

/// A start locks its card and its transaction in one round trip on PostgreSQL: the card is found
/// through the transaction's `cardnumber` at the transaction's merchant, and locked. A row without a
/// number, with the number of a card nobody holds, or of a merchant that holds no such card, comes
/// without a card.
#[tokio::test]
async fn a_transaction_is_locked_with_its_card_in_one_round_trip() {
    const NUMBER: &str = "9276000000000011";
    for (store, db) in each_store().await {
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_L"))?;
                tx.insert_merchant(&merchant("MRC_O"))?;
                tx.insert_cardgroup(&common::cardgroup("CRG_L", "MRC_L", 10))?;
                common::issue(tx, "MRC_L", "CRG_L", "L1", NUMBER)?;
                tx.insert_stx(&with_card(stx("STX_L1", "MRC_L"), NUMBER))?;
                tx.insert_stx(&with_card(stx("STX_L2", "MRC_L"), "9276000000000099"))?;
                tx.insert_stx(&stx("STX_L3", "MRC_L"))?;
                tx.insert_stx(&with_card(stx("STX_L4", "MRC_O"), NUMBER))
            })
            .await
            .unwrap();
        let locked =
            |id: &'static str| move |tx: &mut dyn Tx| tx.lock_stx_with_card(&id.into(), true);
        // Prepares the statements on the pool's connection and caches the card group.
        store.write(locked("STX_L1")).await.unwrap();

        let before = store.stats();
        let url = db.as_ref().map(|db| db.url.clone());
        let (found, held_elsewhere) = store
            .write(move |tx| {
                let found = tx.lock_stx_with_card(&"STX_L1".into(), true)?;
                Ok::<_, StoreError>((found, url.map(|url| card_lock_is_taken(url, "MCD_L1"))))
            })
            .await
            .unwrap();
        let after = store.stats();
        let found = found.expect("the transaction");
        assert_eq!(found.stx.id, "STX_L1");
        let card = found.card.expect("its card");
        assert_eq!(card.merchantcard.id, "MCD_L1");
        assert_eq!(
            (card.card.cardnumber.as_str(), card.group.id.as_str()),
            (NUMBER, "CRG_L")
        );
        assert_eq!(after.statements - before.statements, 2);
        // The pair, then the COMMIT.
        let expected = match store.backend() {
            Backend::Postgres => 2,
            Backend::Sqlite => 0,
        };
        assert_eq!(after.round_trips - before.round_trips, expected);
        assert_ne!(held_elsewhere, Some(false), "the card was not locked");

        for id in ["STX_L2", "STX_L3", "STX_L4"] {
            let found = store
                .write(locked(id))
                .await
                .unwrap()
                .expect("the transaction");
            assert_eq!(found.card, None, "{id} on {:?}", store.backend());
        }
        assert_eq!(store.write(locked("STX_NONE")).await.unwrap(), None);
    }
}

fn with_card(row: StxRow, number: &str) -> StxRow {
    StxRow {
        cardnumber: Some(number.into()),
        ..row
    }
}

/// Whether another connection finds the merchant card's row lock taken (PostgreSQL).
fn card_lock_is_taken(url: String, id: &'static str) -> bool {
    std::thread::spawn(move || {
        let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let sql = format!("SELECT 1 FROM merchantcards WHERE id = '{id}' FOR UPDATE NOWAIT");
        match other.batch_execute(&sql) {
            Ok(()) => false,
            Err(e) => e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE),
        }
    })
    .join()
    .unwrap()
}

/// The writer is held by a job that waits until the test lets it go; every job queued meanwhile
/// must share the next commit (one fsync), and each must still be durable.
#[tokio::test]
async fn jobs_queued_while_the_writer_is_busy_share_one_commit() {
    let store = Store::open(&fresh_sqlite_url()).await.unwrap();
    store.migrate().await.unwrap();
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (running, started) = tokio::sync::oneshot::channel::<()>();
    let first = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(move |tx| {
                    running.send(()).ok();
                    wait.recv().ok();
                    tx.insert_merchant(&merchant("MRC_FIRST"))
                })
                .await
        }
    });
    started.await.unwrap();
    let before = store.stats();
    let queued = Arc::new(AtomicUsize::new(0));
    let jobs = 50;
    let tasks: Vec<_> = (0..jobs)
        .map(|i| {
            let (store, queued) = (store.clone(), queued.clone());
            tokio::spawn(async move {
                // The job is handed to the writer in this first poll, before any await inside.
                queued.fetch_add(1, Ordering::SeqCst);
                let id = format!("MRC_{i}");
                store
                    .write(move |tx| tx.insert_merchant(&merchant(&id)))
                    .await
            })
        })
        .collect();
    // This test runs on one thread: once every task has counted itself, each has queued its job.
    while queued.load(Ordering::SeqCst) < jobs {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let after = store.stats();
    assert_eq!(after.units - before.units, jobs as u64 + 1);
    assert_eq!(
        after.batches - before.batches,
        2,
        "the running job's batch, then all jobs queued meanwhile in one commit"
    );
    let found = store
        .read(move |tx| {
            (0..jobs)
                .map(|i| tx.merchant(&format!("MRC_{i}").into()).map(|m| m.is_some()))
                .collect::<Result<Vec<bool>, StoreError>>()
        })
        .await
        .unwrap();
    assert!(found.into_iter().all(|f| f));
}

#[tokio::test]
async fn a_job_whose_caller_gave_up_before_it_ran_does_nothing() {
    let store = Store::open(&fresh_sqlite_url()).await.unwrap();
    store.migrate().await.unwrap();
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let blocker = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(move |_| wait.recv().map_err(|e| StoreError::Internal(e.to_string())))
                .await
        }
    });
    tokio::task::yield_now().await;
    let abandoned = store.write(|tx| tx.insert_merchant(&merchant("MRC_GONE")));
    // Poll once (the job is queued behind the blocker), then give up on it.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(50), abandoned)
            .await
            .is_err()
    );
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();
    assert!(!exists(&store, "MRC_GONE").await);
}

#[tokio::test]
async fn an_abandoned_gate_keeps_its_job_from_running_and_a_started_job_cannot_be_abandoned() {
    use loyalpos_store::Gate;
    use std::sync::Arc;
    let store = Store::open(&fresh_sqlite_url()).await.unwrap();
    store.migrate().await.unwrap();
    let abandoned = Arc::new(Gate::default());
    assert!(abandoned.abandon());
    let refused = store
        .write_gated(Some(abandoned), |tx| {
            tx.insert_merchant(&merchant("MRC_NEVER"))
        })
        .await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(!exists(&store, "MRC_NEVER").await);

    let gate = Arc::new(Gate::default());
    let seen = gate.clone();
    store
        .write_gated(Some(gate), move |tx| {
            assert!(!seen.abandon(), "a running job's gate cannot be abandoned");
            tx.insert_merchant(&merchant("MRC_RAN"))
        })
        .await
        .unwrap();
    assert!(exists(&store, "MRC_RAN").await);
}

fn noted(merchant: &str, object: usize) -> loyalpos_store::NewEvent {
    loyalpos_store::NewEvent {
        id: format!("EAC_{merchant}_{object}"),
        merchant_id: merchant.into(),
        device_id: None,
        target: "smart.transactions",
        kind: "added",
        object_id: format!("STX_{object}"),
        created: 1_700_000_000,
        data: Some(format!("{{\"object\":{object}}}")),
        object: None,
    }
}

/// Numbers the committed events (PostgreSQL's relay does this after the commit; SQLite numbers
/// them as it writes them).
async fn number_all(store: &Store) {
    while store.write(|tx| tx.number_events()).await.unwrap() > 0 {}
}

#[tokio::test]
async fn concurrent_jobs_events_are_numbered_per_merchant_without_holes_and_failed_jobs_leave_none()
{
    for (store, _db) in each_store().await {
        let jobs: Vec<_> = (0..60)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let merchant = ["MRC_ONE", "MRC_TWO"][i % 2];
                    store
                        .write(move |tx| {
                            tx.record_event(noted(merchant, i));
                            tx.record_event(noted(merchant, 1000 + i));
                            match i % 7 {
                                3 => Err(StoreError::Internal("the command refused".into())),
                                _ => Ok(()),
                            }
                        })
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut kept = Vec::new();
        for job in jobs {
            kept.push(job.await.unwrap());
        }
        number_all(&store).await;
        for (m, merchant) in ["MRC_ONE", "MRC_TWO"].into_iter().enumerate() {
            let events = store
                .read(move |tx| tx.merchant_events_after(&merchant.into(), 0, 1000))
                .await
                .unwrap();
            let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
            assert_eq!(
                seqs,
                (1..=events.len() as i64).collect::<Vec<_>>(),
                "{:?}",
                store.backend()
            );
            let mut objects: Vec<String> = events.iter().map(|e| e.object_id.clone()).collect();
            objects.sort();
            let mut expected: Vec<String> = (0..60)
                .filter(|i| i % 2 == m && kept[*i])
                .flat_map(|i| [format!("STX_{i}"), format!("STX_{}", 1000 + i)])
                .collect();
            expected.sort();
            assert_eq!(objects, expected, "{:?}", store.backend());
            for e in &events {
                let object = e.object_id.trim_start_matches("STX_");
                assert_eq!(e.data, format!("{{\"object\":{object}}}"));
            }
        }
        assert_eq!(kept.iter().filter(|k| !**k).count(), 60 / 7 + 1);
        let all = store.read(|tx| tx.events_after(0, 1000)).await.unwrap();
        let positions: Vec<i64> = all.iter().map(|e| e.relay_pos).collect();
        assert_eq!(positions, (1..=all.len() as i64).collect::<Vec<_>>());
    }
}

/// Writes one event of `merchant` per object, created at `created`, each in a unit of its own.
async fn write_events_at(store: &Store, merchant: &'static str, objects: &[usize], created: i64) {
    for &object in objects {
        store
            .write(move |tx| {
                let mut event = noted(merchant, object);
                event.created = created;
                tx.record_event(event);
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn retention_deletes_old_numbered_events_keeps_each_merchants_newest_and_numbering_goes_on() {
    for (store, _db) in each_store().await {
        let backend = store.backend();
        write_events_at(&store, "MRC_ONE", &[1, 2, 3], 100).await;
        write_events_at(&store, "MRC_TWO", &[4], 100).await;
        write_events_at(&store, "MRC_ONE", &[5], 300).await;
        number_all(&store).await;
        let purged = store.write(|tx| tx.purge_events(200)).await.unwrap();
        // MRC_ONE's three old events go; MRC_TWO's only one is its newest and stays.
        assert_eq!(purged, 3, "{backend:?}");
        let kept: Vec<(String, i64)> = store
            .read(|tx| tx.events_after(0, 100))
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.object_id, e.seq))
            .collect();
        assert_eq!(
            kept,
            [("STX_4".into(), 1), ("STX_5".into(), 4)],
            "{backend:?}"
        );
        let first = store
            .read(|tx| tx.first_event_seq(&"MRC_ONE".into()))
            .await
            .unwrap();
        assert_eq!(first, Some(4), "{backend:?}");

        write_events_at(&store, "MRC_ONE", &[6], 400).await;
        number_all(&store).await;
        let after = store
            .read(|tx| tx.merchant_events_after(&"MRC_ONE".into(), 4, 100))
            .await
            .unwrap();
        let next: Vec<(String, i64, i64)> = after
            .into_iter()
            .map(|e| (e.object_id, e.seq, e.relay_pos))
            .collect();
        assert_eq!(next, [("STX_6".into(), 5, 6)], "{backend:?}");
        let last = store.read(|tx| tx.last_relay_pos()).await.unwrap();
        assert_eq!(last, 6, "{backend:?}");
    }
}

/// The PostgreSQL migration files numbered below `version`, in order: (version, name, SQL).
fn postgres_migrations_before(version: i64) -> Vec<(i64, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<(i64, String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let number = name[..4].parse().unwrap();
            (number, name, std::fs::read_to_string(&path).unwrap())
        })
        .filter(|(number, _, _)| *number < version)
        .collect();
    files.sort();
    files
}

/// A database as loyalpos left it before migration 0017: the relay's numbers in the event rows,
/// one event numbered and one not numbered yet.
fn outbox_before_event_numbers(url: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .unwrap();
    for (version, name, sql) in postgres_migrations_before(17) {
        c.batch_execute(&sql).unwrap();
        c.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, &name],
        )
        .unwrap();
    }
    c.batch_execute(
        "INSERT INTO events (relay_pos, seq, id, merchant_id, target, kind, object_id, created, data) \
         VALUES (1, 1, 'EAC_1', 'MRC_ONE', 'smart.transactions', 'added', 'STX_1', 100, '{\"object\":1}'), \
         (NULL, NULL, 'EAC_2', 'MRC_ONE', 'smart.transactions', 'added', 'STX_2', 200, '{\"object\":2}'); \
         INSERT INTO event_counters (merchant_id, last_seq) VALUES ('MRC_ONE', 1), ('*', 1);",
    )
    .unwrap();
}

#[tokio::test]
async fn postgres_events_keep_their_numbers_and_the_unnumbered_are_numbered_after_the_upgrade() {
    let Some(db) = common::fresh_postgres().await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || outbox_before_event_numbers(&url))
        .await
        .unwrap();
    let store = Store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();

    let numbered = store.read(|tx| tx.events_after(0, 10)).await.unwrap();
    let seen: Vec<(&str, i64, i64)> = numbered
        .iter()
        .map(|e| (e.object_id.as_str(), e.seq, e.relay_pos))
        .collect();
    assert_eq!(seen, [("STX_1", 1, 1)]);
    assert_eq!(numbered[0].data, "{\"object\":1}");

    let count = store
        .write(|tx| tx.number_events())
        .await
        .unwrap_or_else(|e: StoreError| panic!("{e}"));
    assert_eq!(count, 1);
    let after = store
        .read(|tx| tx.merchant_events_after(&"MRC_ONE".into(), 1, 10))
        .await
        .unwrap();
    let next: Vec<(&str, i64, i64)> = after
        .iter()
        .map(|e| (e.object_id.as_str(), e.seq, e.relay_pos))
        .collect();
    assert_eq!(next, [("STX_2", 2, 2)]);
}

/// An operator command on PostgreSQL has no relay of its own: its commit wakes the servers'
/// relays, which number its rows and hand them on at once, not at their next poll.
#[tokio::test]
async fn events_of_a_writer_without_a_relay_reach_a_servers_subscribers_at_once_on_postgres() {
    for (command, db) in each_store().await {
        let Some(db) = db else { continue };
        let server = Store::open(&db.url).await.unwrap();
        let mut feed = server.subscribe_events();
        server.start_event_relay(std::time::Duration::from_secs(120));
        // The relay's listener connects and makes its first pass (which would find anything).
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        command
            .write(|tx| {
                tx.record_event(noted("MRC_ONE", 7));
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
        let relayed = tokio::time::timeout(std::time::Duration::from_secs(10), feed.recv())
            .await
            .expect("handed on long before the relay's 120 s poll")
            .unwrap();
        assert_eq!(relayed.row.object_id, "STX_7");
        assert_eq!(relayed.row.seq, 1);
    }
}

/// The nice values of this process's threads named `name` (Linux's `/proc`, field 19 of `stat`).
#[cfg(target_os = "linux")]
fn nice_values_of_threads(name: &str) -> Vec<i64> {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .filter_map(|task| {
            let path = task.ok()?.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            if comm.trim_end() != name {
                return None;
            }
            let stat = std::fs::read_to_string(path.join("stat")).ok()?;
            // The fields after the command name start with the state, field 3.
            let after_name = stat.rsplit_once(')')?.1;
            after_name.split_whitespace().nth(19 - 3)?.parse().ok()
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_sqlite_checkpointer_yields_the_cpu_to_the_writer() {
    let store = Store::open(&fresh_sqlite_url()).await.unwrap();
    // A checkpointer lowers its priority once it runs; the other tests of this binary start theirs
    // at any time, so the snapshot is taken again until every one has.
    let mut checkpointers = Vec::new();
    for _ in 0..100 {
        checkpointers = nice_values_of_threads("loyalpos-ckpt");
        if !checkpointers.is_empty() && checkpointers.iter().all(|&nice| nice == 10) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!checkpointers.is_empty(), "no checkpointer thread found");
    assert!(
        checkpointers.iter().all(|&nice| nice == 10),
        "{checkpointers:?}"
    );
    let writers = nice_values_of_threads("loyalpos-sqlite");
    assert!(writers.iter().all(|&nice| nice == 0), "{writers:?}");
    drop(store);
}
