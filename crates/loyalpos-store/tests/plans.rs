//! PostgreSQL plans that do not depend on statistics: a pooled connection keeps the plan it made
//! while the tables were nearly empty, and nothing analyses the tables while autovacuum is off.

mod common;

use common::merchant;
use loyalpos_store::{Store, StxRow, Tx};

const MERCHANT: &str = "MRC_PLAN";
const CARDS_LATER: usize = 300;
const LOOKUPS: usize = 20;
const STX: &str = "STX_PLAN";

fn cardnumber(n: usize) -> String {
    format!("9276{n:012}")
}

/// Card `n` of the merchant, with its merchant card.
fn issue(tx: &mut dyn Tx, n: usize) -> loyalpos_store::Result<()> {
    common::issue(
        tx,
        MERCHANT,
        "CRG_PLAN",
        &format!("PLAN{n}"),
        &cardnumber(n),
    )
}

/// The lookups of a card by number (the merchant card alone, and with its card and customer), and
/// through a smart transaction's row (a start's, locked): each probes `cards` once by number.
async fn look_up_first_card(store: &Store) {
    let (alone, full) = store
        .read(|tx| {
            let merchant = MERCHANT.into();
            let alone = tx.merchantcard_by_number(&merchant, &cardnumber(0))?;
            let full = tx.full_merchantcard_by_number(&merchant, &cardnumber(0))?;
            Ok::<_, loyalpos_store::StoreError>((alone, full))
        })
        .await
        .unwrap();
    assert!(alone.is_some() && full.is_some());
    let locked = store
        .write(|tx| tx.lock_stx_with_card(&STX.into(), true))
        .await
        .unwrap();
    assert!(locked.and_then(|l| l.card).is_some());
}

/// Index entries of `merchantcards` and rows of `cards` read by sequential scans so far, once the
/// lookups' backends have reported their `lookups` searches of a card by number (a backend reports
/// its counts when it ends, at the latest).
fn rows_read(url: &str, lookups: i64) -> (i64, i64) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut sum = |view: &str, column: &str, filter: &str| -> i64 {
        let q = format!("SELECT COALESCE(SUM({column}), 0)::bigint FROM {view} WHERE {filter}");
        client.query_one(&q, &[]).unwrap().get(0)
    };
    for _ in 0..100 {
        // Each lookup finds its card either through the number's key or by scanning `cards`.
        let scans = sum(
            "pg_stat_user_indexes",
            "idx_scan",
            "indexrelname = 'cards_cardnumber_key'",
        ) + sum("pg_stat_user_tables", "seq_scan", "relname = 'cards'");
        if scans >= lookups {
            return (
                sum(
                    "pg_stat_user_indexes",
                    "idx_tup_read",
                    "relname = 'merchantcards'",
                ),
                sum("pg_stat_user_tables", "seq_tup_read", "relname = 'cards'"),
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the lookups' statistics never arrived");
}

#[tokio::test]
async fn a_card_lookup_probes_its_key_with_a_plan_made_while_the_tables_were_empty() {
    let Some(db) = common::fresh_postgres().await else {
        return;
    };
    // Every connection keeps the plan of its first execution of a statement.
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = \
                 force_generic_plan', current_database()); END $$",
            )
            .unwrap();
    })
    .await
    .unwrap();
    let store = Store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    store
        .write(|tx| {
            tx.insert_merchant(&merchant(MERCHANT))?;
            tx.insert_cardgroup(&common::cardgroup("CRG_PLAN", MERCHANT, 10))?;
            issue(tx, 0)?;
            tx.insert_stx(&StxRow {
                cardnumber: Some(cardnumber(0)),
                ..common::stx(STX, MERCHANT)
            })
        })
        .await
        .unwrap();
    // Planned now, with one card: the jobs run one after another on the pool's one connection.
    look_up_first_card(&store).await;
    store
        .write(|tx| (1..=CARDS_LATER).try_for_each(|n| issue(tx, n)))
        .await
        .unwrap();
    for _ in 0..LOOKUPS {
        look_up_first_card(&store).await;
    }
    drop(store);

    let url = db.url.clone();
    let lookups = 3 * (LOOKUPS as i64 + 1);
    let (indexed, scanned) = tokio::task::spawn_blocking(move || rows_read(&url, lookups))
        .await
        .unwrap();
    // One entry per lookup through the key; a scan of the merchant's cards reads all of them.
    assert!(
        indexed <= 2 * lookups,
        "{indexed} index entries of merchantcards read for {lookups} lookups"
    );
    // A plan that scans `cards` reads every card on each lookup once they are there.
    assert!(
        scanned <= lookups,
        "{scanned} rows of cards read by sequential scans for {lookups} lookups"
    );
}
