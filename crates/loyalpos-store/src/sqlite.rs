//! SQLite: one file, WAL, `synchronous=FULL`. Readers use a pool. Every write unit of work runs on the
//! single writer connection, exclusively for its whole duration, as a SAVEPOINT inside a
//! `BEGIN IMMEDIATE` batch; `commit` returns once the batch's one COMMIT (one fsync for every unit in
//! it) is on stable storage. A unit that fails or is dropped rolls back to its savepoint only.

use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

use crate::deferral::{Deferral, Lent};
use crate::*;

// SQLite has no row locks; the write transaction already excludes every other writer.
macro_rules! for_update {
    () => {
        ""
    };
}

// The single writer already serialises bookings; the counter row is the simplest allocator.
macro_rules! next_ta_code_sql {
    () => {
        "UPDATE counters SET value = value + 1 WHERE name = 'ta_code' RETURNING value"
    };
}
macro_rules! raise_ta_code_sql {
    () => {
        "UPDATE counters SET value = MAX(value, $1) WHERE name = 'ta_code'"
    };
}

include!("sql/columns.rs");

pub struct SqliteStore {
    readers: SqlitePool,
    writer: Arc<Writer>,
    committer: tokio::task::JoinHandle<()>,
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
        let connection = SqliteConnection::connect_with(&options).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let writer = Arc::new(Writer {
            state: Arc::new(Mutex::new(WriterState {
                connection,
                in_batch: false,
                waiting: Vec::new(),
            })),
            units_waiting: Notify::new(),
            units: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        });
        let committer = tokio::spawn(commit_batches(writer.clone()));
        Ok(Self {
            readers,
            writer,
            committer,
        })
    }
}

/// The single writer connection and the batch it is building.
struct Writer {
    state: Arc<Mutex<WriterState>>,
    units: AtomicU64,
    batches: AtomicU64,
    /// Signalled when a unit has released its savepoint and waits for the batch commit.
    units_waiting: Notify,
}

struct WriterState {
    connection: SqliteConnection,
    /// A `BEGIN IMMEDIATE` transaction is open and collecting units.
    in_batch: bool,
    /// Units whose work is in the open batch, each waiting for its COMMIT.
    waiting: Vec<oneshot::Sender<Result<()>>>,
}

impl WriterState {
    async fn exec(&mut self, sql: &str) -> Result<()> {
        sqlx::query(sql).execute(&mut self.connection).await?;
        Ok(())
    }

    /// Gives up the open batch: every waiting unit learns that nothing was committed.
    async fn abandon_batch(&mut self, cause: &str) {
        if self.in_batch {
            let _ = self.exec("ROLLBACK").await;
            self.in_batch = false;
        }
        for unit in self.waiting.drain(..) {
            let _ = unit.send(Err(StoreError::Unavailable(cause.to_owned())));
        }
    }
}

/// Group commit: whenever units wait, take the connection (the mutex is FIFO, so every unit queued
/// before this point joins the batch) and COMMIT them together — one fsync for all of them.
async fn commit_batches(writer: Arc<Writer>) {
    loop {
        writer.units_waiting.notified().await;
        let mut state = writer.state.clone().lock_owned().await;
        if state.waiting.is_empty() {
            continue;
        }
        match state.exec("COMMIT").await {
            Ok(()) => {
                state.in_batch = false;
                writer.batches.fetch_add(1, Ordering::Relaxed);
                writer
                    .units
                    .fetch_add(state.waiting.len() as u64, Ordering::Relaxed);
                for unit in state.waiting.drain(..) {
                    let _ = unit.send(Ok(()));
                }
            }
            Err(e) => {
                state
                    .abandon_batch(&format!("batch commit failed: {e}"))
                    .await
            }
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    /// Runs at start-up, before any batch exists; the migrator takes SQLite's write lock itself.
    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("migrations/sqlite")
            .run(&self.readers)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let q = live_token_query!();
        Ok(sqlx::query_as(q)
            .bind(token_hash)
            .bind(false)
            .fetch_optional(&self.readers)
            .await?)
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        if let Some(parked) = Deferral::lend_active(Lent::Read)? {
            return Ok(parked);
        }
        let tx = self.readers.begin().await?;
        Ok(SqlTx::read_only(Conn::Read(tx)))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        if let Some(parked) = Deferral::lend_active(Lent::Write)? {
            return Ok(parked);
        }
        let mut state = tokio::time::timeout(WRITER_WAIT, self.writer.state.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("the writer is busy".into()))?;
        if !state.in_batch {
            state.exec("BEGIN IMMEDIATE").await?;
            state.in_batch = true;
        }
        if let Err(e) = state.exec("SAVEPOINT unit").await {
            state.abandon_batch(&e.to_string()).await;
            return Err(e);
        }
        let unit = Unit {
            state: Some(state),
            writer: self.writer.clone(),
        };
        Ok(SqlTx::writing(Conn::Write(unit)))
    }

    fn commit_stats(&self) -> Option<CommitStats> {
        Some(CommitStats {
            units: self.writer.units.load(Ordering::Relaxed),
            batches: self.writer.batches.load(Ordering::Relaxed),
        })
    }

    async fn close(&self) {
        self.committer.abort();
        let mut state = self.writer.state.lock().await;
        if state.in_batch && state.waiting.is_empty() {
            let _ = state.exec("ROLLBACK").await;
            state.in_batch = false;
        }
        self.readers.close().await;
    }
}

/// How long a unit of work waits for the writer before answering "unavailable" (503, safe to retry).
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// One write unit of work: a savepoint inside the open batch, holding the writer until it ends.
struct Unit {
    state: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

impl Unit {
    fn connection(&mut self) -> &mut SqliteConnection {
        &mut self
            .state
            .as_mut()
            .expect("a live unit holds the writer")
            .connection
    }

    /// Keeps the unit's work in the batch and waits until the batch is on stable storage.
    async fn commit(mut self) -> Result<()> {
        let mut state = self.state.take().expect("a live unit holds the writer");
        if let Err(e) = state.exec("RELEASE SAVEPOINT unit").await {
            state.abandon_batch(&e.to_string()).await;
            return Err(e);
        }
        let (done, committed) = oneshot::channel();
        state.waiting.push(done);
        drop(state);
        self.writer.units_waiting.notify_one();
        committed
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the committer stopped".into())))
    }
}

impl Drop for Unit {
    /// A unit dropped without commit undoes only its own work; the batch goes on. Drop cannot await,
    /// so the rollback runs on a task that keeps holding the writer until it is done.
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            return;
        };
        tokio::spawn(async move {
            let undone = async {
                state.exec("ROLLBACK TO SAVEPOINT unit").await?;
                state.exec("RELEASE SAVEPOINT unit").await
            }
            .await;
            if let Err(e) = undone {
                state
                    .abandon_batch(&format!("unit rollback failed: {e}"))
                    .await;
            } else if state.waiting.is_empty() {
                // Nothing else is in this batch: end it so the database lock is not held idle.
                let _ = state.exec("ROLLBACK").await;
                state.in_batch = false;
            }
        });
    }
}

enum Conn {
    Read(Transaction<'static, Sqlite>),
    Write(Unit),
    /// Moved out (committed, or handed back to a deferral).
    Gone,
}

impl Conn {
    async fn finish(self) -> Result<()> {
        match self {
            Conn::Read(tx) => Ok(tx.commit().await?),
            Conn::Write(unit) => unit.commit().await,
            Conn::Gone => Err(gone()),
        }
    }
}

impl std::ops::Deref for Conn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Conn::Read(tx) => tx,
            Conn::Write(unit) => {
                &unit
                    .state
                    .as_ref()
                    .expect("a live unit holds the writer")
                    .connection
            }
            Conn::Gone => unreachable!("{}", gone()),
        }
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Conn::Read(tx) => tx,
            Conn::Write(unit) => unit.connection(),
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
