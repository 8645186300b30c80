//! Fixtures shared by the store's tests: fresh databases on both backends, rows.
// Each test file uses some of them.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use loyalpos_domain::card::{LockStatus, StockStatus};
use loyalpos_domain::money::Cents;
use loyalpos_domain::status::StxStatus;
use loyalpos_store::{CardRow, CardgroupRow, MerchantRow, MerchantcardRow, Store, StxRow, Tx};

/// A name no other test of any run uses: the process, the time, and a per-process count (tests on
/// parallel threads can read the same clock value: two of them once created one database name).
pub fn unique() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}_{nanos}_{n}", std::process::id())
}

/// The URL of a SQLite file in a new temporary directory.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("loyalpos-store-test-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}/db.sqlite", dir.display())
}

/// Where the test PostgreSQL lives (the server must allow CREATE DATABASE).
fn postgres_admin_url() -> String {
    std::env::var("LOYALPOS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh PostgreSQL database, dropped with the value.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    /// None when PostgreSQL is unreachable outside CI (reported as skipped); a failure under CI.
    pub fn fresh() -> Option<PgDatabase> {
        let admin = postgres_admin_url();
        let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("PostgreSQL unreachable at {admin} under CI: {e}")
            }
            Err(e) => {
                println!("SKIPPED: PostgreSQL variant ({admin} unreachable: {e})");
                return None;
            }
        };
        let name = format!("loyalpos_store_test_{}", unique());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(PgDatabase {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (postgres_admin_url(), self.name.clone());
        // The synchronous client must not run on an async worker thread.
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// A fresh PostgreSQL database ([`PgDatabase::fresh`]), made off the async worker threads.
pub async fn fresh_postgres() -> Option<PgDatabase> {
    tokio::task::spawn_blocking(PgDatabase::fresh)
        .await
        .unwrap()
}

/// A migrated store on each backend that can run here (PostgreSQL's database lives as long as the
/// returned guard).
pub async fn each_store() -> Vec<(Store, Option<PgDatabase>)> {
    let mut stores = Vec::new();
    let sqlite = Store::open(&fresh_sqlite_url()).await.unwrap();
    sqlite.migrate().await.unwrap();
    stores.push((sqlite, None));
    if let Some(db) = fresh_postgres().await {
        let pg = Store::open(&db.url).await.unwrap();
        pg.migrate().await.unwrap();
        stores.push((pg, Some(db)));
    }
    stores
}

pub fn merchant(id: &str) -> MerchantRow {
    MerchantRow {
        id: id.into(),
        id_old: 1,
        companyname: "M".into(),
        user_type: "46".into(),
        project_name: None,
        legal_details: "[]".into(),
        urls: "[]".into(),
        categories: "[]".into(),
        default_store_id: None,
        default_contract_id: None,
        is_demo: false,
        created: 0,
    }
}

/// Card group `id` of `merchant`, earning `rate` per cent of the revenue.
pub fn cardgroup(id: &str, merchant: &str, rate: i64) -> CardgroupRow {
    CardgroupRow {
        id: id.into(),
        merchant_id: merchant.into(),
        display_name: "G".into(),
        picture: None,
        stock_warn_limit: 0,
        description: None,
        cancel_selected: false,
        currency: "EUR".into(),
        bonus_rate: rate,
        bonus_base: "revenue".into(),
        filter_mode: "none".into(),
        filter_codes: "[]".into(),
        bonus_products: "[]".into(),
        overdraft_allowed: false,
        overdraft_limit: Cents::ZERO,
        passcode_policy: 0,
        card_creation_via_stx: false,
        created: 0,
    }
}

/// Card `CRD_{key}` numbered `number`, held by `merchant` in `group` as merchant card `MCD_{key}`:
/// active, unlocked, empty.
pub fn issue(
    tx: &mut dyn Tx,
    merchant: &str,
    group: &str,
    key: &str,
    number: &str,
) -> loyalpos_store::Result<()> {
    tx.insert_card(&CardRow {
        id: format!("CRD_{key}").into(),
        cardnumber: number.into(),
        created: 0,
    })?;
    tx.insert_merchantcard(&MerchantcardRow {
        id: format!("MCD_{key}").into(),
        merchant_id: merchant.into(),
        card_id: format!("CRD_{key}").into(),
        cardgroup_id: group.into(),
        created_for_merchant_id: merchant.into(),
        created_for_store_id: None,
        customer_id: None,
        customer_assignment_date: None,
        is_base_card: false,
        cash_balance: Cents::ZERO,
        bonus_balance: Cents::ZERO,
        points: 0,
        last_usage: None,
        last_charge: None,
        stock_status: StockStatus::Active,
        lock_status: LockStatus::Unlocked,
        lock_reason: None,
        lock_note: None,
        expiry_date: None,
        csc_hash: None,
        passcode_hash: None,
        created: 0,
    })
}

/// A new smart transaction `id` of `merchant_id`, with an empty document and no card.
pub fn stx(id: &str, merchant_id: &str) -> StxRow {
    StxRow {
        id: id.into(),
        merchant_id: merchant_id.into(),
        status: StxStatus::Created,
        device_id: None,
        receipt_number: None,
        trans_id: None,
        merchant_ref: None,
        transaction_ref: None,
        cardnumber: None,
        doc: "{}".into(),
        created: 0,
        updated: None,
    }
}
