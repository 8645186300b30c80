//! Storage for loyalpos.
//!
//! A [`Store`] runs *jobs*: a job is a whole command, a synchronous function over one unit of work
//! ([`Tx`]). [`Store::write`] runs it as one atomic, durable unit (SQLite: on the single writer
//! thread, one savepoint per job and one COMMIT — one fsync — per batch of jobs; PostgreSQL: one
//! transaction on a pooled connection). [`Store::read`] runs it in a consistent read-only snapshot,
//! off the async worker threads. The SQL is written once (`sql/*.rs`) over a small driver interface
//! (`driver.rs`) that both engines implement.

mod admin;
mod cache;
mod coalesce;
mod driver;
mod error;
mod events;
mod filter;
mod migrate;
mod office;
mod packing;
mod postgres;
mod rows;
mod sqlite;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use admin::{AdminTx, ClientEntry, DeviceEntry, Owner, UserEntry};
pub use error::StoreError;
pub use events::{EventRenderer, PendingEvents, Relayed};
pub use filter::{Field, Filter, ListQuery, Listed, Page, Scalar};
pub use loyalpos_domain::ids::{
    CardId, CardgroupId, ContractId, CustomerId, DeviceId, LtxId, MerchantId, MerchantcardId,
    StoreId, StxId,
};
pub use office::{
    AuditRow, CardSearch, DayFiguresRow, DayPaymentsRow, HourOfBookings, HourOfPayments,
    HourOfTransactions, OfficeMerchantRow, OfficeSessionRow, OfficeTx, OfficeUserListRow,
    OfficeUserRow, PaymentDay,
};
pub use rows::*;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database engine is behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Counters of the work a store did: `units / batches` is how many units of work shared one commit
/// (one fsync on SQLite); `statements` counts every SQL statement a job executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub units: u64,
    pub batches: u64,
    pub statements: u64,
    /// The part of `statements` the event relay ran (numbering and handing on the outbox).
    pub relay_statements: u64,
    /// Times a job waited for the database server's answers (PostgreSQL; statements held back go
    /// out with the next one, so this is less than `statements`). 0 on SQLite, which runs in the
    /// process.
    pub round_trips: u64,
    /// The part of `round_trips` the event relay's units made.
    pub relay_round_trips: u64,
    /// The part of `round_trips` the other units spent preparing statements (a pooled
    /// connection's first use of a SQL text; none once every connection has prepared its hot set).
    pub prepares: u64,
    /// Reads of cached rows (tokens, merchants, stores, card groups, devices) answered from the cache…
    pub cache_hits: u64,
    /// …and read from the database.
    pub cache_misses: u64,
    /// Units of work per commit (always 1 on PostgreSQL, a batch on SQLite).
    pub units_per_commit: Histogram,
    /// Microseconds a job waited for the database: for a pooled connection (PostgreSQL), for the
    /// writer or a reader thread (SQLite).
    pub wait_micros: Histogram,
}

/// Bounds of [`Stats::units_per_commit`] (a SQLite batch holds at most 256 units).
pub const UNITS_PER_COMMIT_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256];
/// Bounds of [`Stats::wait_micros`]: 50 µs to 10 s (the pool's acquisition timeout).
pub const WAIT_MICROS_BOUNDS: &[u64] = &[
    50, 250, 1_000, 5_000, 25_000, 100_000, 500_000, 2_500_000, 10_000_000,
];
/// Most bounds a [`Histogram`] has.
pub const MAX_BUCKETS: usize = 10;

/// A snapshot of a fixed-bucket histogram, counted as Prometheus counts: `cumulative[i]` is the
/// number of observations `<= bounds[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Histogram {
    pub bounds: &'static [u64],
    pub cumulative: [u64; MAX_BUCKETS],
    pub count: u64,
    pub sum: u64,
}

/// A histogram over fixed bounds, one atomic per bucket: recording takes no lock.
pub(crate) struct Buckets {
    bounds: &'static [u64],
    counts: [AtomicU64; MAX_BUCKETS],
    count: AtomicU64,
    sum: AtomicU64,
}

impl Buckets {
    fn new(bounds: &'static [u64]) -> Buckets {
        debug_assert!(bounds.len() <= MAX_BUCKETS && bounds.is_sorted());
        Buckets {
            bounds,
            counts: [const { AtomicU64::new(0) }; MAX_BUCKETS],
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    pub(crate) fn record(&self, value: u64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// Records a duration in microseconds.
    pub(crate) fn record_since(&self, since: std::time::Instant) {
        self.record(u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX));
    }

    fn snapshot(&self) -> Histogram {
        let mut cumulative = [0; MAX_BUCKETS];
        let mut running = 0;
        for (i, count) in self.counts.iter().enumerate().take(self.bounds.len()) {
            running += count.load(Ordering::Relaxed);
            cumulative[i] = running;
        }
        Histogram {
            bounds: self.bounds,
            cumulative,
            // Read last, and never below a bucket (the +Inf bucket is the count).
            count: self.count.load(Ordering::Relaxed).max(running),
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

pub(crate) struct Counters {
    pub units: AtomicU64,
    pub batches: AtomicU64,
    pub statements: AtomicU64,
    pub round_trips: AtomicU64,
    pub relay_round_trips: AtomicU64,
    pub prepares: AtomicU64,
    pub units_per_commit: Buckets,
    pub wait_micros: Buckets,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            units: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            statements: AtomicU64::new(0),
            round_trips: AtomicU64::new(0),
            relay_round_trips: AtomicU64::new(0),
            prepares: AtomicU64::new(0),
            units_per_commit: Buckets::new(UNITS_PER_COMMIT_BOUNDS),
            wait_micros: Buckets::new(WAIT_MICROS_BOUNDS),
        }
    }
}

impl Counters {
    fn snapshot(&self, cache: &cache::Cache) -> Stats {
        Stats {
            units: self.units.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            statements: self.statements.load(Ordering::Relaxed),
            relay_statements: 0,
            round_trips: self.round_trips.load(Ordering::Relaxed),
            relay_round_trips: self.relay_round_trips.load(Ordering::Relaxed),
            prepares: self.prepares.load(Ordering::Relaxed),
            cache_hits: cache.hits.load(Ordering::Relaxed),
            cache_misses: cache.misses.load(Ordering::Relaxed),
            units_per_commit: self.units_per_commit.snapshot(),
            wait_micros: self.wait_micros.snapshot(),
        }
    }
}

/// What a finished job hands back to its engine: whether to keep its work, and how to tell its
/// caller once the work is durable (or why it is not).
pub(crate) struct Settle {
    pub keep: bool,
    pub notify: Box<dyn FnOnce(Result<()>) + Send>,
}

/// A job with its result type erased, as the engines run it. `None` means the engine could not run
/// it (the database is unavailable); the job then reports the error given to its `notify`.
pub(crate) type ErasedJob = Box<dyn FnOnce(Option<&mut dyn Tx>) -> Settle + Send>;

/// Runs a job on a unit of work; a panic inside the job drops the job's reply (its caller gets an
/// internal error) and its work is rolled back, while the engine's thread goes on.
pub(crate) fn run_job(job: ErasedJob, tx: &mut dyn Tx) -> Settle {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(tx)))) {
        Ok(settle) => settle,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %text, "a store job panicked; its work was rolled back");
            Settle {
                keep: false,
                notify: Box::new(|_| {}),
            }
        }
    }
}

/// A database engine: runs erased jobs (see [`Store`]).
pub(crate) trait Engine: Send + Sync {
    fn backend(&self) -> Backend;
    fn counters(&self) -> &Counters;
    fn cache(&self) -> &cache::Cache;
    /// Queues a read job; the engine runs it in one snapshot, off the async worker threads.
    fn submit_read(&self, job: ErasedJob);
    /// Queues a write job; the engine runs it and calls its `notify` after the commit.
    fn submit_write(&self, job: ErasedJob);
    /// Blocking: applies the migrations of this backend.
    fn migrate(&self) -> Result<()>;
    /// Blocking: stops the writer (if any) after the queued jobs.
    fn close(&self);
    /// Wakes `wake` whenever another process wrote events (PostgreSQL `LISTEN`); SQLite is served
    /// by one process and has nothing to listen to.
    fn listen(&self, _wake: Arc<tokio::sync::Notify>) {}
}

/// Decides once whether a caller's write job runs, between the job and a caller that may give up
/// (a request timeout): the job claims the gate when it starts, a caller that gives up first
/// abandons it and the job never runs. A caller that cannot abandon (the job started) must wait for
/// the job's result — the job commits whatever the caller does — so that "gave up" always means
/// "not executed".
#[derive(Debug, Default)]
pub struct Gate(std::sync::atomic::AtomicU8);

const GATE_OPEN: u8 = 0;
const GATE_STARTED: u8 = 1;
const GATE_ABANDONED: u8 = 2;

impl Gate {
    /// True when the job will never run (abandoned now or before); false once it has started.
    pub fn abandon(&self) -> bool {
        match self.0.compare_exchange(
            GATE_OPEN,
            GATE_ABANDONED,
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => true,
            Err(state) => state == GATE_ABANDONED,
        }
    }

    /// The job starts, unless its caller abandoned it first.
    fn start(&self) -> bool {
        self.0
            .compare_exchange(GATE_OPEN, GATE_STARTED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

/// The database: runs whole commands as jobs (module docs).
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
    hub: Arc<events::Hub>,
}

impl Store {
    /// Opens the store named by a database URL: `sqlite:PATH` or `postgres://…`; a SQLite file
    /// that does not exist yet is created (`serve`, `migrate`).
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with(url, false).await
    }

    /// Opens an existing loyalpos database: refuses, without creating anything, a SQLite file that
    /// does not exist and a database without the loyalpos schema (every operator command).
    pub async fn open_existing(url: &str) -> Result<Store> {
        Store::open_with(url, true).await
    }

    async fn open_with(url: &str, existing: bool) -> Result<Store> {
        let url = url.to_owned();
        blocking(move || {
            let engine: Arc<dyn Engine> = if is_postgres(&url) {
                let engine = postgres::PgEngine::connect(&url)?;
                if existing {
                    engine.require_schema()?;
                }
                Arc::new(engine)
            } else if let Some(path) = sqlite_path(&url) {
                if existing {
                    sqlite::probe(path)?;
                }
                Arc::new(sqlite::SqliteEngine::open(path)?)
            } else {
                return Err(StoreError::Config(format!(
                    "unsupported database URL (expected sqlite:PATH or postgres://…): {url}"
                )));
            };
            Ok(Store {
                engine,
                hub: Arc::default(),
            })
        })
        .await
    }

    pub fn backend(&self) -> Backend {
        self.engine.backend()
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        let engine = self.engine.clone();
        blocking(move || engine.migrate()).await
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.read(|tx| tx.ping()).await
    }

    /// Runs `job` in one consistent read-only snapshot, on a blocking thread. It never blocks writers.
    pub async fn read<T, E, F>(&self, job: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (job, answer) = erase(job);
        self.engine.submit_read(job);
        receive(answer).await
    }

    /// Runs `job` as one unit of work. `Ok` means its work is committed and on stable storage; on
    /// `Err` nothing of it remains. A caller that stops waiting before the job ran (or before it
    /// finished) has its work rolled back instead of committed.
    pub async fn write<T, E, F>(&self, job: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.write_gated(None, job).await
    }

    /// [`Store::write`] under a [`Gate`]: the job runs only if it claims the gate first.
    pub async fn write_gated<T, E, F>(
        &self,
        gate: Option<Arc<Gate>>,
        job: F,
    ) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (hub, wrote_events) = (self.hub.clone(), Arc::new(AtomicBool::new(false)));
        let wrote = wrote_events.clone();
        let job = move |tx: &mut dyn Tx| match &gate {
            Some(gate) if !gate.start() => Err(E::from(StoreError::Unavailable(
                "the request gave up before its job ran".into(),
            ))),
            _ => {
                let value = job(tx)?;
                // The events of the unit's changes, in the unit (the transactional outbox).
                wrote.store(hub.flush(tx)?, Ordering::Relaxed);
                Ok(value)
            }
        };
        let (job, answer) = erase(job);
        self.engine.submit_write(job);
        let answer = receive(answer).await;
        if answer.is_ok() && wrote_events.load(Ordering::Relaxed) {
            self.hub.wake.notify_one();
        }
        answer
    }

    /// A live access token from this process's cache, without touching the database; `None` when
    /// it is not cached (a job's `live_token` reads it and caches it).
    pub fn cached_token(&self, token_hash: &str) -> Option<TokenRow> {
        self.engine.cache().peek(token_hash)
    }

    pub fn stats(&self) -> Stats {
        Stats {
            relay_statements: self.hub.relay_statements.load(Ordering::Relaxed),
            ..self.engine.counters().snapshot(self.engine.cache())
        }
    }

    /// Finishes the queued writes and stops the writer.
    pub async fn close(&self) {
        let engine = self.engine.clone();
        let _ = tokio::task::spawn_blocking(move || engine.close()).await;
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file behind a `sqlite:PATH` URL; `None` for any other URL.
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite:")
        .map(|p| p.trim_start_matches("//"))
}

/// Backups of SQLite databases (PostgreSQL has `pg_dump`). Each function blocks on a thread of
/// its own and uses connections of its own, beside any server that is using the database.
pub mod backup {
    use std::path::{Path, PathBuf};

    use crate::{Result, StoreError, blocking, sqlite, sqlite_path};

    fn path_of(url: &str) -> Result<String> {
        sqlite_path(url).map(str::to_owned).ok_or_else(|| {
            StoreError::Config(format!("{url} is not a SQLite database URL (sqlite:PATH)"))
        })
    }

    /// Copies the live database at `url` into the new file `to` (mode 0600) in one consistent
    /// snapshot (SQLite's online backup API); refuses an existing `to`.
    pub async fn copy(url: &str, to: &Path) -> Result<()> {
        let (from, to) = (path_of(url)?, to.to_path_buf());
        blocking(move || sqlite::backup(&from, &to)).await
    }

    /// `PRAGMA integrity_check` of a SQLite file, read-only: what it found wrong (nothing: empty).
    pub async fn integrity_check(file: &Path) -> Result<Vec<String>> {
        let file = file.display().to_string();
        blocking(move || sqlite::integrity_check(&file)).await
    }

    /// Makes a checked copy one self-contained file (no WAL beside it), synced to disk.
    pub async fn seal(file: &Path) -> Result<()> {
        let file = file.display().to_string();
        blocking(move || sqlite::seal(&file)).await
    }

    /// Replaces the content of the database at `url` (created if missing) by that of `from`;
    /// refused while anyone else has it open.
    pub async fn restore(from: &Path, url: &str) -> Result<()> {
        let (from, to): (PathBuf, String) = (from.to_path_buf(), path_of(url)?);
        blocking(move || sqlite::restore(&from, &to)).await
    }
}

type Answer<T, E> = tokio::sync::oneshot::Receiver<std::result::Result<T, E>>;

/// Wraps a typed job for the engines: the result goes to the caller only after the engine settled
/// the unit (so an `Ok` is never seen before it is durable).
fn erase<T, E, F>(job: F) -> (ErasedJob, Answer<T, E>)
where
    F: FnOnce(&mut dyn Tx) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    let erased: ErasedJob = Box::new(move |tx: Option<&mut dyn Tx>| {
        // Nobody waits any more (timeout, client gone), or the engine cannot run it: do nothing.
        let Some(tx) = tx.filter(|_| !reply.is_closed()) else {
            return Settle {
                keep: false,
                notify: Box::new(move |settled: Result<()>| {
                    let cause = settled
                        .err()
                        .unwrap_or_else(|| StoreError::Unavailable("the job was not run".into()));
                    let _ = reply.send(Err(E::from(cause)));
                }),
            };
        };
        let result = job(tx);
        let keep = result.is_ok() && !reply.is_closed();
        Settle {
            keep,
            notify: Box::new(move |settled: Result<()>| {
                let result = match (result, settled) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(result);
            }),
        }
    });
    (erased, answer)
}

async fn receive<T, E: From<StoreError>>(answer: Answer<T, E>) -> std::result::Result<T, E> {
    answer
        .await
        .unwrap_or_else(|_| Err(E::from(StoreError::Internal("the job panicked".into()))))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Internal(format!("blocking task failed: {e}")))?
}

/// One unit of work. Every data method lives in one of the per-area traits below.
pub trait Tx:
    TenancyTx
    + AuthTx
    + LoyaltyTx
    + SmartTx
    + AuditTx
    + IdempotencyTx
    + ListTx
    + AdminTx
    + EventTx
    + OfficeTx
{
    /// Checks that the connection answers.
    fn ping(&mut self) -> Result<()>;
    /// Whether the database leaves its planner statistics and dead rows to nobody: PostgreSQL with
    /// autovacuum (or the statistics it needs) off. A pooled connection then keeps plans made for
    /// tables without statistics (README "Storage and durability").
    fn maintenance_off(&mut self) -> Result<bool>;
    /// How many statements this unit of work ran so far.
    fn statements_run(&self) -> u64;
    /// Counts this unit's round trips, its COMMIT's included, as the event relay's.
    fn count_as_relay(&mut self);
    /// Starts a nested savepoint inside the unit of work (one level: `inner`).
    fn savepoint(&mut self) -> Result<()>;
    /// Keeps what was done since [`Tx::savepoint`] as part of the unit.
    fn release_savepoint(&mut self) -> Result<()>;
    /// Undoes what was done since [`Tx::savepoint`]; the rest of the unit stays.
    fn rollback_savepoint(&mut self) -> Result<()>;
}

pub trait TenancyTx {
    fn insert_merchant(&mut self, row: &MerchantRow) -> Result<()>;
    fn merchant(&mut self, id: &MerchantId) -> Result<Option<MerchantRow>>;
    fn update_merchant(&mut self, row: &MerchantRow) -> Result<()>;
    fn demo_merchant_exists(&mut self) -> Result<bool>;

    fn insert_contract(&mut self, row: &ContractRow) -> Result<()>;
    fn contract(&mut self, id: &ContractId) -> Result<Option<ContractRow>>;

    fn insert_store(&mut self, row: &StoreRow) -> Result<()>;
    fn store(&mut self, id: &StoreId) -> Result<Option<StoreRow>>;
    fn stores(&mut self, merchant_id: &MerchantId) -> Result<Vec<StoreRow>>;
    fn update_store(&mut self, row: &StoreRow) -> Result<()>;

    fn insert_device(&mut self, row: &DeviceRow) -> Result<()>;
    fn device(&mut self, id: &DeviceId) -> Result<Option<DeviceRow>>;
    fn devices(&mut self, merchant_id: &MerchantId) -> Result<Vec<DeviceRow>>;
    fn device_by_vendor_uid(
        &mut self,
        merchant_id: Option<&MerchantId>,
        vendor_uid: &str,
    ) -> Result<Vec<DeviceRow>>;
    fn update_device(&mut self, row: &DeviceRow) -> Result<()>;
    /// Locks the device row for the rest of the unit of work (receipt numbers, end of day).
    fn lock_device(&mut self, id: &DeviceId) -> Result<Option<DeviceRow>>;
}

pub trait AuthTx {
    fn insert_client(&mut self, row: &ClientRow) -> Result<()>;
    /// An unrevoked client (a revoked one is unknown to every grant).
    fn client(&mut self, client_id: &str) -> Result<Option<ClientRow>>;

    fn insert_user(&mut self, row: &UserRow) -> Result<()>;
    /// A user who may sign in (not disabled).
    fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>>;
    fn user(&mut self, id: &str) -> Result<Option<UserRow>>;
    fn merchant_has_user(&mut self, merchant_id: &MerchantId) -> Result<bool>;
    /// Replaces a user's password hash (a stronger hash of the same password, after a sign-in).
    fn update_user_password(&mut self, id: &str, password_hash: &str) -> Result<()>;

    fn insert_authorization(&mut self, row: &AuthorizationRow) -> Result<()>;
    fn authorization(&mut self, id: &str) -> Result<Option<AuthorizationRow>>;
    fn authorization_by_refresh(&mut self, refresh_hash: &str) -> Result<Option<AuthorizationRow>>;

    fn insert_token(&mut self, row: &TokenRow) -> Result<()>;
    /// An unrevoked access token by its hash (every authenticated request asks this first).
    fn live_token(&mut self, token_hash: &str) -> Result<Option<TokenRow>>;
    /// Revokes every live token of an authorisation (one live token per device session).
    fn revoke_tokens_of(&mut self, authorization_id: &str) -> Result<()>;
    /// True while the device has an unexpired, unrevoked access token.
    fn device_token_live(&mut self, device_id: &DeviceId, now: i64) -> Result<bool>;
    /// Until when the device's STOMP sessions keep it online (the latest `online_until` of its
    /// sessions, ended ones included); `None` when it has none.
    fn device_sessions_until(&mut self, device_id: &DeviceId) -> Result<Option<i64>>;
    /// Sets session `session` of the device online until `until` (a refresh).
    fn refresh_device_session(
        &mut self,
        session: &str,
        device_id: &DeviceId,
        until: i64,
    ) -> Result<()>;
    /// Ends session `session` at `now` (its connection closed or its refresh lapsed); true when it
    /// had not ended before.
    fn end_device_session(&mut self, session: &str, now: i64) -> Result<bool>;
    /// Deletes sessions that ended or lapsed before `before`; returns how many.
    fn purge_device_sessions(&mut self, before: i64) -> Result<u64>;

    fn insert_registration(&mut self, row: &RegistrationRow) -> Result<()>;
    fn registration(&mut self, device_code_hash: &str) -> Result<Option<RegistrationRow>>;
    fn registration_by_user_code(&mut self, user_code: &str) -> Result<Option<RegistrationRow>>;
    fn update_registration(&mut self, row: &RegistrationRow) -> Result<()>;
}

/// A merchant card with the rows shown with it: its card, group and customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullMerchantcard {
    pub merchantcard: MerchantcardRow,
    pub card: CardRow,
    pub group: CardgroupRow,
    pub customer: Option<CustomerRow>,
}

/// A smart transaction locked by [`SmartTx::lock_stx_with_card`], with the merchant card of its
/// `cardnumber` at its merchant: `None` when the row has no number or that merchant holds no card
/// of it. The card is read before the row is locked, so a command that changed the row's number in
/// between leaves the card of the number before: callers check the card's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedStx {
    pub stx: StxRow,
    pub card: Option<FullMerchantcard>,
}

pub trait LoyaltyTx {
    fn insert_cardgroup(&mut self, row: &CardgroupRow) -> Result<()>;
    fn cardgroup(&mut self, id: &CardgroupId) -> Result<Option<CardgroupRow>>;
    fn cardgroups(&mut self, merchant_id: &MerchantId) -> Result<Vec<CardgroupRow>>;
    fn update_cardgroup(&mut self, row: &CardgroupRow) -> Result<()>;
    fn cardgroup_has_cards(&mut self, id: &CardgroupId) -> Result<bool>;

    fn insert_card(&mut self, row: &CardRow) -> Result<()>;
    fn card(&mut self, id: &CardId) -> Result<Option<CardRow>>;
    fn card_by_number(&mut self, cardnumber: &str) -> Result<Option<CardRow>>;
    /// Cards that have a merchant card at this merchant.
    fn cards_of_merchant(&mut self, merchant_id: &MerchantId) -> Result<Vec<CardRow>>;
    /// The merchant's assignment of the card to one of its user accounts.
    fn card_account(
        &mut self,
        merchant_id: &MerchantId,
        card_id: &CardId,
    ) -> Result<Option<String>>;
    /// Sets (`Some`) or removes (`None`) the merchant's assignment of the card.
    fn set_card_account(
        &mut self,
        merchant_id: &MerchantId,
        card_id: &CardId,
        account_id: Option<&str>,
    ) -> Result<()>;

    fn insert_customer(&mut self, row: &CustomerRow) -> Result<()>;
    fn customer(&mut self, id: &CustomerId) -> Result<Option<CustomerRow>>;
    fn customers(&mut self, merchant_id: &MerchantId) -> Result<Vec<CustomerRow>>;
    fn update_customer(&mut self, row: &CustomerRow) -> Result<()>;

    fn insert_merchantcard(&mut self, row: &MerchantcardRow) -> Result<()>;
    fn merchantcard(&mut self, id: &MerchantcardId) -> Result<Option<MerchantcardRow>>;
    fn merchantcard_by_card(
        &mut self,
        merchant_id: &MerchantId,
        card_id: &CardId,
    ) -> Result<Option<MerchantcardRow>>;
    /// The merchant's card with this card number, in one statement (every request with a card
    /// ident asks this).
    fn merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<MerchantcardRow>>;
    fn merchantcards(&mut self, merchant_id: &MerchantId) -> Result<Vec<MerchantcardRow>>;
    /// Reads the merchant card and locks it until the unit of work ends: balance changes of one
    /// card are serialised through this lock.
    fn lock_merchantcard(&mut self, id: &MerchantcardId) -> Result<Option<MerchantcardRow>>;
    /// Writes the card's non-ledger fields and its balance cache. Only call after `lock_merchantcard`.
    fn update_merchantcard(&mut self, row: &MerchantcardRow) -> Result<()>;
    /// Writes only the balance cache and the usage times (a booking): no index of the table changes,
    /// so a booking costs no index writes on merchant cards. Only call after `lock_merchantcard`.
    fn update_merchantcard_balances(&mut self, row: &MerchantcardRow) -> Result<()>;
    /// The merchant's card with this card number and its card, group and customer (every smart
    /// transaction with a card ident shows them), in one statement plus the cached group.
    fn full_merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<FullMerchantcard>>;
    /// [`LoyaltyTx::full_merchantcard_by_number`] with the merchant card locked as by
    /// [`LoyaltyTx::lock_merchantcard`] (a start books on it).
    fn lock_full_merchantcard_by_number(
        &mut self,
        merchant_id: &MerchantId,
        cardnumber: &str,
    ) -> Result<Option<FullMerchantcard>>;

    /// Allocates the next TA code inside this unit of work (a rollback leaves a gap, never a reuse).
    /// Callers hold the card's lock, so one card's codes follow its booking order.
    fn next_ta_code(&mut self) -> Result<i64>;
    /// Makes the next TA code larger than `at_least` (imports that keep their codes).
    fn raise_ta_code(&mut self, at_least: i64) -> Result<()>;
    fn insert_ltx(&mut self, row: &LtxRow, bookings: &[BookingRow]) -> Result<()>;
    fn ltx(&mut self, id: &LtxId) -> Result<Option<LtxRow>>;
    fn ltxs(&mut self, merchant_id: &MerchantId) -> Result<Vec<LtxRow>>;
    fn ltxs_of_card(&mut self, merchantcard_id: &MerchantcardId) -> Result<Vec<LtxRow>>;
    /// Marks an LTX cancelled by `child_id` (the LTX row is not a booking; bookings stay untouched).
    fn mark_ltx_cancelled(&mut self, id: &LtxId, child_id: &LtxId, at: i64) -> Result<()>;
    fn bookings_of(&mut self, ltx_id: &LtxId) -> Result<Vec<BookingRow>>;
    fn bookings_of_card(&mut self, merchantcard_id: &MerchantcardId) -> Result<Vec<BookingRow>>;
    /// The bookings of these loyalty transactions (one page of a list), by transaction and position.
    fn bookings_of_ltxs(&mut self, ltx_ids: &[LtxId]) -> Result<Vec<BookingRow>>;
}

pub trait SmartTx {
    fn insert_stx(&mut self, row: &StxRow) -> Result<()>;
    fn stx(&mut self, id: &StxId) -> Result<Option<StxRow>>;
    /// Reads and locks the smart transaction: transitions of one transaction are serialised.
    fn lock_stx(&mut self, id: &StxId) -> Result<Option<StxRow>>;
    /// The merchant card of the row's `cardnumber` as [`LoyaltyTx::full_merchantcard_by_number`]
    /// finds it, locked when `lock_card` (a start books on it), then [`SmartTx::lock_stx`]: card
    /// before transaction, the order of the paths that lock a booked transaction. One round trip on
    /// PostgreSQL: the card's statement reads the number from the row in SQL, and both go out
    /// together.
    fn lock_stx_with_card(&mut self, id: &StxId, lock_card: bool) -> Result<Option<LockedStx>>;
    fn stxs(&mut self, merchant_id: &MerchantId) -> Result<Vec<StxRow>>;
    /// Finds (does not lock) the transaction of a device's receipt number.
    fn stx_by_receipt_number(
        &mut self,
        device_id: &DeviceId,
        receipt_number: i64,
    ) -> Result<Option<StxRow>>;
    /// Writes the status, TA code, document and update time. Not the device (fixed at creation),
    /// nor the keys only one command changes (`set_stx_receipt_number`, `update_stx_keys`): an
    /// UPDATE that names an indexed column rewrites its index entries even when the value stays.
    fn update_stx(&mut self, row: &StxRow) -> Result<()>;
    /// Writes the receipt number (only a cashless start takes one from its terminal).
    fn set_stx_receipt_number(&mut self, row: &StxRow) -> Result<()>;
    /// Writes `merchant_ref`, `transaction_ref` and `cardnumber` (a PUT changes them, and a start
    /// that issues the card of a `create_card` ident).
    fn update_stx_keys(&mut self, row: &StxRow) -> Result<()>;
    fn stxs_of_device_after_receipt(
        &mut self,
        device_id: &DeviceId,
        after: i64,
    ) -> Result<Vec<StxRow>>;
    fn insert_reserved_ltx_id(&mut self, stx_id: &StxId, ltx_id: &LtxId) -> Result<()>;
    /// Takes (and removes) the demo's reserved LTX id for this smart transaction, if any.
    fn take_reserved_ltx_id(&mut self, stx_id: &StxId) -> Result<Option<LtxId>>;
}

/// Installation-wide reads for the invariant checker (`loyalpos check`); never used by the API.
pub trait AuditTx {
    fn all_merchantcards(&mut self) -> Result<Vec<MerchantcardRow>>;
    fn all_cardgroups(&mut self) -> Result<Vec<CardgroupRow>>;
    fn all_ltxs(&mut self) -> Result<Vec<LtxRow>>;
    fn all_bookings(&mut self) -> Result<Vec<BookingRow>>;
    fn all_stxs(&mut self) -> Result<Vec<StxRow>>;
}

pub trait IdempotencyTx {
    fn idempotency_record(&mut self, client_id: &str, key: &str) -> Result<Option<IdempotencyRow>>;
    /// Claims a key: true when this unit now holds it, false when another request's record exists.
    /// On PostgreSQL the insert waits for a unit that holds the key uncommitted (a request still
    /// running, or one whose server died mid-commit), so `false` means that record is committed
    /// and can be read in this same unit.
    fn claim_idempotency_key(&mut self, row: &IdempotencyRow) -> Result<bool>;
    /// Records the answer: inserts it, or completes the row this same claim (`claim_id`) wrote;
    /// never touches another request's row.
    fn record_idempotent_response(&mut self, row: &IdempotencyRow) -> Result<()>;
    /// Deletes records created before `before`; returns how many.
    fn purge_idempotency_keys(&mut self, before: i64) -> Result<u64>;
}

/// The transactional outbox (push.md §1): commands note their changes, the unit writes them as
/// events when it ends, the relay numbers and tails them.
pub trait EventTx {
    /// Notes a change to publish when this unit of work commits (a rolled-back unit forgets it).
    fn record_event(&mut self, event: NewEvent);
    /// True when a noted change of this object still waits for the object itself.
    fn carries_event_object(&self, target: &str, object_id: &str) -> bool;
    /// Hands the object, as the command shows it, to the noted changes of it: their data is
    /// rendered from it instead of read again.
    fn carry_event_object(&mut self, target: &str, object_id: &str, object: Carried);
    /// The changes noted so far, handed over once.
    fn take_pending_events(&mut self) -> Vec<NewEvent>;
    /// Writes the unit's events to the outbox before the unit commits: at once (PostgreSQL), or,
    /// in a job of the SQLite writer, after their data was rendered and packed off the writer's
    /// thread, at the end of the job's batch.
    fn write_events(&mut self, events: PendingEvents) -> Result<()>;
    /// Writes outbox rows with their packed data in one statement (numbered on SQLite, unnumbered
    /// on PostgreSQL, where this process's relay is woken after the commit).
    fn insert_events(&mut self, events: &[(NewEvent, Vec<u8>)]) -> Result<()>;
    /// Numbers committed rows in the order they were written, after any other relay numbering
    /// at the time (PostgreSQL), and wakes the other processes' relays; returns how many.
    fn number_events(&mut self) -> Result<u64>;
    /// Wakes every process's relay at commit (PostgreSQL), for a writer that has no relay of its
    /// own to wake (an operator command).
    fn wake_relays_at_commit(&mut self) -> Result<()>;
    /// Numbered events after this relay position, in delivery order.
    fn events_after(&mut self, relay_pos: i64, limit: i64) -> Result<Vec<EventRow>>;
    /// The merchant's numbered events after `seq`, by `seq`.
    fn merchant_events_after(
        &mut self,
        merchant_id: &MerchantId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>>;
    /// The merchant's oldest kept event number (`None`: no event kept).
    fn first_event_seq(&mut self, merchant_id: &MerchantId) -> Result<Option<i64>>;
    /// The merchant's last event number (0: none yet).
    fn last_event_seq(&mut self, merchant_id: &MerchantId) -> Result<i64>;
    /// The newest relay position (0: none yet).
    fn last_relay_pos(&mut self) -> Result<i64>;
    /// Deletes numbered events created before `before` (retention); returns how many.
    fn purge_events(&mut self, before: i64) -> Result<u64>;
    /// The newest event a STOMP session of the merchant acknowledged (`x-resume-session`);
    /// `None` when the merchant has no such session.
    fn stomp_session_acked(
        &mut self,
        session: &str,
        merchant_id: &MerchantId,
    ) -> Result<Option<i64>>;
    /// Records the newest event the session acknowledged.
    fn save_stomp_session(
        &mut self,
        session: &str,
        merchant_id: &MerchantId,
        acked_seq: i64,
        now: i64,
    ) -> Result<()>;
    /// Deletes sessions last saved before `before`; returns how many.
    fn purge_stomp_sessions(&mut self, before: i64) -> Result<u64>;
}

/// The lists of the API (api.md §5): the merchant's rows that satisfy a pushed-down filter, in the
/// default order (newest first, ties by id; loyalty transactions by TA code), all of them or one
/// page with the total.
pub trait ListTx {
    fn list_stxs(&mut self, merchant_id: &MerchantId, q: ListQuery<'_>) -> Result<Listed<StxRow>>;
    fn list_merchantcards(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<MerchantcardRow>>;
    /// Cards that have a merchant card at this merchant.
    fn list_cards(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<AssignedCardRow>>;
    fn list_cardgroups(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<CardgroupRow>>;
    fn list_customers(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<CustomerRow>>;
    fn list_ltxs(&mut self, merchant_id: &MerchantId, q: ListQuery<'_>) -> Result<Listed<LtxRow>>;
    fn list_stores(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<StoreRow>>;
    fn list_devices(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<DeviceRow>>;
}
