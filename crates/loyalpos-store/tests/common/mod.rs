//! Fixtures shared by the store's tests.

use std::time::{SystemTime, UNIX_EPOCH};

use loyalpos_store::MerchantRow;

/// Unique within this machine: process id and the clock's nanoseconds.
pub fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
}

/// The URL of a SQLite file in a new temporary directory.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("loyalpos-store-test-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}/db.sqlite", dir.display())
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
