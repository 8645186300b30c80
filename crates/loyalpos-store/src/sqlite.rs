//! SQLite: one file, WAL, `synchronous=FULL`. Readers use a pool; every write unit of work runs on
//! the single writer connection inside `BEGIN IMMEDIATE`, so writers never deadlock on lock
//! upgrades and a unit of work is exclusive for its whole duration.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::*;

// SQLite has no row locks; the write transaction already excludes every other writer.
macro_rules! for_update {
    () => {
        ""
    };
}

include!("sql/columns.rs");

pub struct SqliteStore {
    readers: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    pub async fn open(path: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
            .map_err(|e| StoreError::Config(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(false))
            .await?;
        Ok(Self { readers, writer })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("migrations/sqlite")
            .run(&self.writer)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        let tx = self.readers.begin().await?;
        Ok(Box::new(SqlTx { tx }))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqlTx { tx }))
    }

    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}

pub struct SqlTx {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait]
impl Tx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

include!("sql/tenancy.rs");
include!("sql/auth.rs");
include!("sql/loyalty.rs");
include!("sql/smart.rs");
