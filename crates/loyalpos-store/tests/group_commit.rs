//! SQLite group commit: units of work share commits, yet each stays atomic on its own.

mod common;

use std::sync::Arc;

use common::{fresh_sqlite_url, merchant};
use loyalpos_store::{ContractRow, Store};

async fn store() -> Arc<dyn Store> {
    let store = loyalpos_store::open(&fresh_sqlite_url()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn a_dropped_unit_leaves_no_trace_while_its_batch_mates_commit() {
    let store = store().await;
    let mut a = store.write().await.unwrap();
    a.insert_merchant(&merchant("MRC_A")).await.unwrap();
    let committed = tokio::spawn(async move { a.commit().await });
    {
        let mut b = store.write().await.unwrap();
        b.insert_merchant(&merchant("MRC_B")).await.unwrap();
        // b is dropped without commit
    }
    committed.await.unwrap().unwrap();
    let mut c = store.write().await.unwrap();
    c.insert_contract(&ContractRow {
        id: "GCR_C".into(),
        merchant_id: "MRC_A".into(),
        created: 0,
    })
    .await
    .unwrap();
    c.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert!(r.merchant("MRC_A").await.unwrap().is_some());
    assert!(
        r.merchant("MRC_B").await.unwrap().is_none(),
        "the dropped unit rolled back"
    );
    assert!(r.contract("GCR_C").await.unwrap().is_some());
}

#[tokio::test]
async fn a_failing_statement_rolls_back_only_its_unit() {
    let store = store().await;
    let mut a = store.write().await.unwrap();
    a.insert_merchant(&merchant("MRC_A")).await.unwrap();
    let duplicate = a.insert_merchant(&merchant("MRC_A")).await;
    assert!(matches!(
        duplicate,
        Err(loyalpos_store::StoreError::Duplicate(_))
    ));
    drop(a);
    let mut b = store.write().await.unwrap();
    b.insert_merchant(&merchant("MRC_B")).await.unwrap();
    b.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert!(r.merchant("MRC_A").await.unwrap().is_none());
    assert!(r.merchant("MRC_B").await.unwrap().is_some());
}

#[tokio::test]
async fn concurrent_units_share_fsyncs_and_all_become_durable() {
    let store = store().await;
    let units = 200;
    let tasks: Vec<_> = (0..units)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.write().await.unwrap();
                tx.insert_merchant(&merchant(&format!("MRC_{i}")))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let stats = store.commit_stats().unwrap();
    assert_eq!(stats.units, units);
    assert!(
        stats.batches < units,
        "group commit batches units: {stats:?}"
    );
    let mut r = store.read().await.unwrap();
    for i in 0..units {
        assert!(r.merchant(&format!("MRC_{i}")).await.unwrap().is_some());
    }
}
