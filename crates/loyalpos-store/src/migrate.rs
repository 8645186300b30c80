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
];

pub(crate) const POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_initial"),
    migration!("postgres", 2, "0002_idempotency"),
    migration!("postgres", 3, "0003_list_indexes"),
    migration!("postgres", 4, "0004_idempotency_claim_owner"),
    migration!("postgres", 5, "0005_ta_code_sequence"),
    migration!("postgres", 6, "0006_revocation"),
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
