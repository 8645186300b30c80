//! PostgreSQL: a connection pool, default (durable) commits, row locks (`SELECT … FOR UPDATE`) on
//! the merchant card and the smart transaction, so several loyalpos processes can share one database.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::deferral::{Deferral, Lent};
use crate::*;

macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
}

// A sequence: nextval takes no row lock, so bookings of different cards never queue on a counter row.
macro_rules! next_ta_code_sql {
    () => {
        "SELECT nextval('ta_code_seq')"
    };
}
macro_rules! raise_ta_code_sql {
    () => {
        "SELECT setval('ta_code_seq', GREATEST($1, (SELECT last_value FROM ta_code_seq)))"
    };
}

include!("sql/columns.rs");

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let q = live_token_query!();
        Ok(sqlx::query_as(q)
            .bind(token_hash)
            .bind(false)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// One snapshot for the whole read unit (READ COMMITTED would give each statement its own, and a
    /// reader such as `loyalpos check` could see a booking's LTX without its balance update).
    async fn read(&self) -> Result<Box<dyn Tx>> {
        if let Some(parked) = Deferral::lend_active(Lent::Read)? {
            return Ok(parked);
        }
        let tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        Ok(SqlTx::read_only(Conn::Read(tx)))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        if let Some(parked) = Deferral::lend_active(Lent::Write)? {
            return Ok(parked);
        }
        let tx = self.pool.begin().await?;
        Ok(SqlTx::writing(Conn::Write(tx)))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// A transaction; dropping it rolls back.
enum Conn {
    Read(Transaction<'static, Postgres>),
    Write(Transaction<'static, Postgres>),
    /// Moved out (committed, or handed back to a deferral).
    Gone,
}

impl Conn {
    async fn finish(self) -> Result<()> {
        match self {
            Conn::Read(tx) | Conn::Write(tx) => Ok(tx.commit().await?),
            Conn::Gone => Err(gone()),
        }
    }
}

impl std::ops::Deref for Conn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        match self {
            Conn::Read(tx) | Conn::Write(tx) => tx,
            Conn::Gone => unreachable!("{}", gone()),
        }
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Conn::Read(tx) | Conn::Write(tx) => tx,
            Conn::Gone => unreachable!("{}", gone()),
        }
    }
}

include!("unit.rs");

include!("sql/tenancy.rs");
include!("sql/auth.rs");
include!("sql/loyalty.rs");
include!("sql/smart.rs");
include!("sql/audit.rs");
include!("sql/idempotency.rs");
include!("sql/lists.rs");
