//! A smart transaction's document reads back as written and its fields count in the office's
//! figures, on both backends; on SQLite it is written packed, and a row written before packing
//! (plain JSON text) reads and counts like a packed one. An update writes only the columns its
//! command changes.

mod common;

use common::{each_store, fresh_sqlite_url, merchant};
use loyalpos_domain::status::StxStatus;
use loyalpos_store::{HourOfPayments, Store, StxRow, Tx};

const DOC: &str =
    r#"{"payment_method":"cash","sum":796,"store_id":"STO_1","lines":["Käse, 7 % MwSt"]}"#;

fn paid(id: &str) -> StxRow {
    StxRow {
        status: StxStatus::Ok,
        doc: DOC.into(),
        created: 7_200,
        ..common::stx(id, "MRC_D")
    }
}

/// How SQLite holds a row's document: `blob` (packed) or `text`.
fn stored_form(path: &str, id: &str) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(
        "SELECT typeof(doc) FROM smart_transactions WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

async fn write_two_paid(store: &Store) {
    store
        .write(|tx: &mut dyn Tx| {
            tx.insert_merchant(&merchant("MRC_D"))?;
            tx.insert_stx(&paid("STX_PACKED"))?;
            tx.insert_stx(&paid("STX_PLAIN"))
        })
        .await
        .unwrap();
}

/// Writes the merchant MRC_D and its transaction `row`.
async fn write_with_its_merchant(store: &Store, row: StxRow) {
    store
        .write(move |tx: &mut dyn Tx| {
            tx.insert_merchant(&merchant("MRC_D"))?;
            tx.insert_stx(&row)
        })
        .await
        .unwrap();
}

/// Both documents read back as written, and the office's figures of their hour count both.
async fn assert_both_read_and_count(store: &Store) {
    for id in ["STX_PACKED", "STX_PLAIN"] {
        let row = store.read(move |tx| tx.stx(&id.into())).await.unwrap();
        assert_eq!(row.unwrap().doc, DOC, "{id} on {:?}", store.backend());
    }
    let hours: Vec<HourOfPayments> = store
        .read(|tx| tx.payments_per_hour(&"MRC_D".into(), 0, 86_400))
        .await
        .unwrap();
    assert_eq!(hours.len(), 1, "{hours:?}");
    let hour = &hours[0];
    assert_eq!(
        (
            hour.hour,
            hour.method.as_deref(),
            hour.payments,
            hour.amount
        ),
        (2, Some("cash"), 2, 1_592)
    );
}

#[tokio::test]
async fn a_document_reads_back_as_written_and_counts_in_the_figures() {
    for (store, _db) in each_store().await {
        write_two_paid(&store).await;
        assert_both_read_and_count(&store).await;
    }
}

#[tokio::test]
async fn a_document_written_before_packing_reads_and_counts_like_a_packed_one() {
    let url = fresh_sqlite_url();
    let path = url.strip_prefix("sqlite:").unwrap().to_owned();
    let store = Store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    write_two_paid(&store).await;
    // The older form: the same document as plain text, as loyalpos wrote it before packing.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE smart_transactions SET doc = ?1 WHERE id = 'STX_PLAIN'",
            [DOC],
        )
        .unwrap();
    assert_eq!(stored_form(&path, "STX_PACKED"), "blob");
    assert_eq!(stored_form(&path, "STX_PLAIN"), "text");

    assert_both_read_and_count(&store).await;
}

/// A document as large as a busy basket's (several KB): PostgreSQL compresses it out of line.
fn large_doc() -> String {
    let lines: Vec<String> = (0..60)
        .map(|i| {
            format!(
                r#"{{"id":{i},"desc":"Sandwich Romano {i}","quantity":1,"priceOne":349,"tax":7}}"#
            )
        })
        .collect();
    format!(
        r#"{{"payment_method":"cash","sum":796,"lines":[{}]}}"#,
        lines.join(",")
    )
}

#[tokio::test]
async fn postgres_compresses_a_large_document_with_lz4_and_reads_it_back() {
    let Some(db) = common::fresh_postgres().await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let doc = large_doc();
    let row = StxRow {
        doc: doc.clone(),
        ..paid("STX_LARGE")
    };
    write_with_its_merchant(&store, row).await;

    let read = store.read(|tx| tx.stx(&"STX_LARGE".into())).await.unwrap();
    assert_eq!(read.unwrap().doc, doc);
    let url = db.url.clone();
    let method: Option<String> = tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query_one(
            "SELECT pg_column_compression(doc) FROM smart_transactions WHERE id = 'STX_LARGE'",
            &[],
        )
        .unwrap()
        .get(0)
    })
    .await
    .unwrap();
    assert_eq!(
        method.as_deref(),
        Some("lz4"),
        "{} bytes of document",
        doc.len()
    );
}

#[tokio::test]
async fn an_update_keeps_the_device_and_the_receipt_number_unless_a_start_sets_it() {
    for (store, _db) in each_store().await {
        let created = StxRow {
            device_id: Some("SDV_D".into()),
            status: StxStatus::Created,
            ..paid("STX_D")
        };
        write_with_its_merchant(&store, created).await;
        // The row as a command left it: only its status, TA code and document are written.
        let mut changed = StxRow {
            device_id: None,
            receipt_number: Some(41),
            trans_id: Some("29187330".into()),
            updated: Some(7_300),
            ..paid("STX_D")
        };
        let update = changed.clone();
        store
            .write(move |tx: &mut dyn Tx| tx.update_stx(&update))
            .await
            .unwrap();
        let read = || store.read(|tx| tx.stx(&"STX_D".into()));
        let row = read().await.unwrap().unwrap();
        let backend = store.backend();
        assert_eq!(
            (row.device_id.as_deref(), row.receipt_number),
            (Some("SDV_D"), None),
            "{backend:?}"
        );
        assert_eq!(
            (row.status, row.trans_id.as_deref(), row.updated),
            (StxStatus::Ok, Some("29187330"), Some(7_300)),
            "{backend:?}"
        );
        changed.receipt_number = Some(42);
        store
            .write(move |tx: &mut dyn Tx| tx.set_stx_receipt_number(&changed))
            .await
            .unwrap();
        let row = read().await.unwrap().unwrap();
        assert_eq!(row.receipt_number, Some(42), "{backend:?}");
    }
}
