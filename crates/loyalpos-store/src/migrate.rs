//! Migrations: numbered SQL files per backend (`migrations/{sqlite,postgres}/NNNN_name.sql`), each
//! applied once, in order, in its own transaction; the applied versions are recorded in
//! `schema_migrations`. A database migrated by an earlier loyalpos (which recorded its versions in
//! `_sqlx_migrations`) keeps them.

use crate::driver::{Driver, Q};
use crate::{Result, StoreError};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($backend:literal, $version:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../migrations/", $backend, "/", $file, ".sql")),
        }
    };
}

pub(crate) const SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001_initial"),
    migration!("sqlite", 2, "0002_idempotency"),
    migration!("sqlite", 3, "0003_list_indexes"),
    migration!("sqlite", 4, "0004_idempotency_claim_owner"),
    migration!("sqlite", 6, "0006_revocation"),
    migration!("sqlite", 7, "0007_card_assignment_per_merchant"),
    migration!("sqlite", 8, "0008_stx_ref_columns"),
    migration!("sqlite", 9, "0009_events"),
    migration!("sqlite", 10, "0010_sessions"),
    migration!("sqlite", 11, "0011_office"),
    migration!("sqlite", 12, "0012_office_figures"),
    migration!("sqlite", 13, "0013_office_operator"),
    migration!("sqlite", 14, "0014_office_payment_days"),
    migration!("sqlite", 15, "0015_events_packed"),
    migration!("sqlite", 18, "0018_stx_cardnumber"),
];

pub(crate) const POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_initial"),
    migration!("postgres", 2, "0002_idempotency"),
    migration!("postgres", 3, "0003_list_indexes"),
    migration!("postgres", 4, "0004_idempotency_claim_owner"),
    migration!("postgres", 5, "0005_ta_code_sequence"),
    migration!("postgres", 6, "0006_revocation"),
    migration!("postgres", 7, "0007_card_assignment_per_merchant"),
    migration!("postgres", 8, "0008_stx_ref_columns"),
    migration!("postgres", 9, "0009_events"),
    migration!("postgres", 10, "0010_sessions"),
    migration!("postgres", 11, "0011_office"),
    migration!("postgres", 12, "0012_office_figures"),
    migration!("postgres", 13, "0013_office_operator"),
    migration!("postgres", 14, "0014_office_payment_days"),
    migration!("postgres", 15, "0015_events_packed"),
    migration!("postgres", 16, "0016_lz4_toast"),
    migration!("postgres", 17, "0017_event_numbers"),
    migration!("postgres", 18, "0018_stx_cardnumber"),
];

/// Applies every migration not yet recorded. `exclusive` is the pair of statements that keep other
/// processes from migrating at the same time (PostgreSQL: an advisory lock; SQLite's processes
/// are one writer anyway).
pub(crate) fn run(
    driver: &mut dyn Driver,
    migrations: &[Migration],
    exclusive: Option<(&str, &str)>,
) -> Result<()> {
    if let Some((lock, _)) = exclusive {
        driver.batch(lock)?;
    }
    let done = apply(driver, migrations);
    if let Some((_, unlock)) = exclusive {
        driver.batch(unlock)?;
    }
    done
}

fn apply(driver: &mut dyn Driver, migrations: &[Migration]) -> Result<()> {
    driver.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
         name TEXT NOT NULL)",
    )?;
    adopt_sqlx_history(driver)?;
    for m in migrations {
        let done: Option<i64> = Q::new(
            driver,
            "SELECT version FROM schema_migrations WHERE version = $1",
        )
        .bind(m.version)
        .scalar_optional()?;
        if done.is_some() {
            continue;
        }
        driver.batch("BEGIN")?;
        let applied = driver.batch(m.sql).and_then(|()| {
            Q::new(
                driver,
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            )
            .bind(m.version)
            .bind(m.name)
            .execute()
            .map(drop)
        });
        match applied {
            Ok(()) => driver.batch("COMMIT")?,
            Err(e) => {
                let _ = driver.batch("ROLLBACK");
                return Err(StoreError::Internal(format!(
                    "migration {} failed: {e}",
                    m.name
                )));
            }
        }
    }
    Ok(())
}

/// Records the versions an earlier loyalpos applied through sqlx, once.
fn adopt_sqlx_history(driver: &mut dyn Driver) -> Result<()> {
    let recorded: i64 = Q::new(driver, "SELECT COUNT(*) FROM schema_migrations").scalar()?;
    if recorded > 0 {
        return Ok(());
    }
    // Probing with a query keeps this portable: the table exists only in such databases.
    if driver
        .batch("SELECT 1 FROM _sqlx_migrations WHERE 1 = 0")
        .is_err()
    {
        return Ok(());
    }
    Q::new(
        driver,
        "INSERT INTO schema_migrations (version, name) \
         SELECT version, description FROM _sqlx_migrations WHERE success",
    )
    .execute()
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::SQLITE;

    /// An assignment made before assignments were per merchant stays with the merchant whose user
    /// holds the card; a user of a merchant without a merchant card of it keeps nothing.
    #[test]
    fn card_assignments_move_to_the_merchant_of_the_assigned_user() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for m in SQLITE.iter().filter(|m| m.version < 7) {
            db.execute_batch(m.sql).unwrap();
        }
        // Only the rows the migration reads; their merchants and card groups do not matter here.
        db.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO users (id, merchant_id, username, password_hash, created)
                 VALUES ('ACC_1', 'MRC_1', 'anna', 'x', 0), ('ACC_2', 'MRC_2', 'bert', 'x', 0);
             INSERT INTO cards (id, cardnumber, account_id, created)
                 VALUES ('CRD_1', '9276000000000001', 'ACC_1', 0),
                        ('CRD_2', '9276000000000002', 'ACC_2', 0),
                        ('CRD_3', '9276000000000003', NULL, 0);
             INSERT INTO merchantcards (id, merchant_id, card_id, cardgroup_id,
                 created_for_merchant_id, is_base_card, cash_balance, bonus_balance, points,
                 stock_status, lock_status, created)
             VALUES ('MCD_1', 'MRC_1', 'CRD_1', 'CRG_1', 'MRC_1', 0, 0, 0, 0, 'active', 'unlocked', 0),
                    ('MCD_2', 'MRC_1', 'CRD_2', 'CRG_1', 'MRC_1', 0, 0, 0, 0, 'active', 'unlocked', 0),
                    ('MCD_3', 'MRC_1', 'CRD_3', 'CRG_1', 'MRC_1', 0, 0, 0, 0, 'active', 'unlocked', 0);",
        )
        .unwrap();
        let assignment = SQLITE.iter().find(|m| m.version == 7).unwrap();
        db.execute_batch(assignment.sql).unwrap();
        let mut rows = db
            .prepare("SELECT merchant_id, card_id, account_id FROM card_assignments")
            .unwrap();
        let moved: Vec<(String, String, String)> = rows
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(moved, [("MRC_1".into(), "CRD_1".into(), "ACC_1".into())]);
        let columns: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('cards') WHERE name = 'account_id'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 0, "the per-card column is gone");
    }
}
