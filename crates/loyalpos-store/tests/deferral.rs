//! Deferred commits (what keyed requests run in): inside a scope, commits park the unit of work;
//! only its owner's commit after the scope makes anything durable. Both backends.

mod common;

use std::sync::Arc;

use common::{fresh_sqlite_url, merchant, unique};
use loyalpos_store::{ContractRow, Deferral, Deferred, Store, StoreError};

/// A migrated store on a fresh database, and what drops that database again (PostgreSQL).
struct Fresh {
    store: Arc<dyn Store>,
    pg_drop: Option<(String, String)>,
}

impl Fresh {
    async fn sqlite() -> Fresh {
        let store = loyalpos_store::open(&fresh_sqlite_url()).await.unwrap();
        store.migrate().await.unwrap();
        Fresh {
            store,
            pg_drop: None,
        }
    }

    /// None when PostgreSQL is unreachable outside CI (the test says so and passes).
    async fn postgres() -> Option<Fresh> {
        use sqlx::Connection;
        let admin = std::env::var("LOYALPOS_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("SKIPPED: PostgreSQL unreachable at {admin}: {e}");
                return None;
            }
            Err(e) => panic!("PostgreSQL unreachable at {admin}: {e}"),
        };
        let name = format!("loyalpos_deferral_{}", unique());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        let store = loyalpos_store::open(&format!("{base}/{name}"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Some(Fresh {
            store,
            pg_drop: Some((admin, name)),
        })
    }

    async fn done(self) {
        use sqlx::Connection;
        self.store.close().await;
        if let Some((admin, name)) = self.pg_drop {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

fn contract(id: &str, merchant_id: &str) -> ContractRow {
    ContractRow {
        id: id.into(),
        merchant_id: merchant_id.into(),
        created: 0,
    }
}

/// Whether a unit of work outside any scope sees the merchant.
async fn visible(store: &Arc<dyn Store>, id: &str) -> bool {
    let mut r = store.read().await.unwrap();
    r.merchant(id).await.unwrap().is_some()
}

/// Inside the scope: writes MRC_A, commits (parked), then reads it back through a read unit.
async fn write_and_commit_in_scope(store: &Arc<dyn Store>, deferral: &Arc<Deferral>) {
    deferral
        .scope(async {
            let mut w = store.write().await.unwrap();
            w.insert_merchant(&merchant("MRC_A")).await.unwrap();
            w.commit().await.unwrap();
            let mut r = store.read().await.unwrap();
            assert!(
                r.merchant("MRC_A").await.unwrap().is_some(),
                "a request sees its own parked writes"
            );
        })
        .await;
}

async fn parked_writes_become_durable_only_with_the_owners_commit(fresh: Fresh) {
    let store = fresh.store.clone();
    let deferral = Deferral::new();
    write_and_commit_in_scope(&store, &deferral).await;
    assert!(!visible(&store, "MRC_A").await, "nothing durable yet");
    let Deferred::Parked(mut tx) = deferral.close() else {
        panic!("the scope's commit is parked");
    };
    tx.insert_contract(&contract("GCR_A", "MRC_A"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(visible(&store, "MRC_A").await);
    let mut r = store.read().await.unwrap();
    assert!(r.contract("GCR_A").await.unwrap().is_some());
    drop(r);
    fresh.done().await;
}

async fn dropping_the_parked_unit_undoes_the_whole_scope(fresh: Fresh) {
    let store = fresh.store.clone();
    let deferral = Deferral::new();
    write_and_commit_in_scope(&store, &deferral).await;
    let Deferred::Parked(tx) = deferral.close() else {
        panic!("the scope's commit is parked");
    };
    drop(tx);
    assert!(!visible(&store, "MRC_A").await);
    // The writer is free again: an ordinary unit commits.
    let mut w = store.write().await.unwrap();
    w.insert_merchant(&merchant("MRC_B")).await.unwrap();
    w.commit().await.unwrap();
    assert!(visible(&store, "MRC_B").await);
    fresh.done().await;
}

async fn a_later_unit_dropped_without_commit_abandons_the_scope(fresh: Fresh) {
    let store = fresh.store.clone();
    let deferral = Deferral::new();
    write_and_commit_in_scope(&store, &deferral).await;
    deferral
        .scope(async {
            let mut w = store.write().await.unwrap();
            w.insert_merchant(&merchant("MRC_HALF")).await.unwrap();
            // dropped without commit: its write may be half of something
        })
        .await;
    assert!(matches!(deferral.close(), Deferred::Abandoned));
    assert!(!visible(&store, "MRC_A").await);
    assert!(!visible(&store, "MRC_HALF").await);
    fresh.done().await;
}

async fn a_second_writer_while_the_parked_unit_is_lent_is_refused(fresh: Fresh) {
    let store = fresh.store.clone();
    let deferral = Deferral::new();
    write_and_commit_in_scope(&store, &deferral).await;
    deferral
        .scope(async {
            let _lent = store.read().await.unwrap();
            let second = store.write().await;
            assert!(matches!(second, Err(StoreError::Internal(_))));
        })
        .await;
    let Deferred::Parked(tx) = deferral.close() else {
        panic!("the lent unit went back to its parking place");
    };
    tx.commit().await.unwrap();
    assert!(visible(&store, "MRC_A").await);
    fresh.done().await;
}

/// A request dropped midway (its client went away) drops its deferral with the parked unit: nothing
/// is committed, and the unit's locks (SQLite's single writer) are free again at once.
async fn a_deferral_dropped_unclosed_rolls_back_and_frees_the_writer(fresh: Fresh) {
    let store = fresh.store.clone();
    let deferral = Deferral::new();
    write_and_commit_in_scope(&store, &deferral).await;
    drop(deferral);
    // The same row again: it waits for the parked unit's locks (the writer on SQLite, the row's
    // unique key on PostgreSQL) and succeeds only if that unit rolled back.
    let again = async {
        let mut w = store.write().await?;
        w.insert_merchant(&merchant("MRC_A")).await?;
        w.commit().await
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), again)
        .await
        .expect("the parked unit's locks are free again")
        .expect("the parked insert rolled back, so inserting the row again succeeds");
    assert!(visible(&store, "MRC_A").await);
    fresh.done().await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Fresh::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(fresh) = super::Fresh::postgres().await {
                        super::$name(fresh).await
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    parked_writes_become_durable_only_with_the_owners_commit,
    dropping_the_parked_unit_undoes_the_whole_scope,
    a_later_unit_dropped_without_commit_abandons_the_scope,
    a_second_writer_while_the_parked_unit_is_lent_is_refused,
    a_deferral_dropped_unclosed_rolls_back_and_frees_the_writer,
);
