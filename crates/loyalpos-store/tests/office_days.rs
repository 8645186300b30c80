//! The end-of-day report's kept days: kept once summed, forgotten by a change to a payment of that
//! day, and never kept from sums that a change overtook. On both backends.

mod common;

use common::{each_store, merchant};
use loyalpos_store::{DayPaymentsRow, MerchantId, PaymentDay, Store};

const ZONE: &str = "Europe/Berlin";

fn day() -> PaymentDay {
    PaymentDay {
        day: "2026-11-30".into(),
        start: 1_000,
        end: 87_400,
    }
}

fn payments() -> DayPaymentsRow {
    DayPaymentsRow {
        day: "2026-11-30".into(),
        device_id: "SDV_REGISTER".into(),
        method: "cash".into(),
        payments: 2,
        amount: 1592,
    }
}

fn mrc() -> MerchantId {
    "MRC_EOD".into()
}

async fn generation(store: &Store) -> i64 {
    store
        .read(|tx| tx.payment_generation(&mrc()))
        .await
        .unwrap()
}

async fn keep(store: &Store, generation: i64) -> bool {
    store
        .write(move |tx| tx.keep_payment_days(&mrc(), ZONE, generation, &[day()], &[payments()]))
        .await
        .unwrap()
}

async fn kept(store: &Store) -> (Vec<String>, Vec<DayPaymentsRow>) {
    store
        .read(|tx| tx.kept_payment_days(&mrc(), ZONE, "2026-11-01", "2026-12-31"))
        .await
        .unwrap()
}

async fn forget_at(store: &Store, at: i64) {
    store
        .write(move |tx| tx.forget_payment_day(&mrc(), at))
        .await
        .unwrap();
}

#[tokio::test]
async fn sums_read_before_a_change_to_that_days_payments_are_not_kept() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| tx.insert_merchant(&merchant("MRC_EOD")))
            .await
            .unwrap();
        let read_before = generation(&store).await;
        assert_eq!(read_before, 0);
        // A transaction of the day changes between the report's read and its keep.
        forget_at(&store, 5_000).await;
        assert!(!keep(&store, read_before).await, "{:?}", store.backend());
        assert_eq!(kept(&store).await, (vec![], vec![]));

        let read_after = generation(&store).await;
        assert!(keep(&store, read_after).await);
        assert_eq!(
            kept(&store).await,
            (vec!["2026-11-30".to_owned()], vec![payments()])
        );
    }
}

#[tokio::test]
async fn a_change_forgets_only_the_kept_day_it_was_created_in() {
    for (store, _db) in each_store().await {
        assert!(keep(&store, 0).await);
        forget_at(&store, 87_400).await; // the next day's first second
        assert_eq!(kept(&store).await.0, vec!["2026-11-30".to_owned()]);
        forget_at(&store, 1_000).await; // the day's first second
        assert_eq!(kept(&store).await, (vec![], vec![]));
    }
}
