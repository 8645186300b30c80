//! PostgreSQL: a pool of connections, one transaction per job (default, durable commits), row locks
//! (`SELECT … FOR UPDATE`) on the merchant card and the smart transaction, so several loyalpos
//! processes can share one database. Jobs run on blocking threads; each connection is a
//! tokio-postgres client on a runtime of its own and keeps its prepared statements. Statements
//! whose answers a job does not need (BEGIN, the writes of [`Driver::execute_later`]) are held back
//! and pipelined with the next statement that needs one, so a checkout's writes and its COMMIT
//! cost one round trip instead of one each.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ::postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use ::postgres::{NoTls, Statement};
use futures_util::future::{join, join_all};

use crate::cache::{Cache, Dirty, Kind};
use crate::driver::{Arg, Driver, FromRecord, Q, Record, Val, first};
use crate::*;

macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
}

// Locks the merchant card of a join (PostgreSQL cannot lock the nullable side of an outer join).
macro_rules! lock_merchantcard_row {
    () => {
        " FOR UPDATE OF mc"
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

// Autovacuum both analyses the tables (the planner's statistics) and removes dead rows; it needs
// the statistics collector's counts to know when.
macro_rules! maintenance_off_sql {
    () => {
        "SELECT current_setting('autovacuum') <> 'on' OR current_setting('track_counts') <> 'on'"
    };
}

// Rows are numbered by the relay after commit, so that writers share no counter.
macro_rules! events_numbered_at_insert {
    () => {
        false
    };
}
// One numbering relay at a time across processes: a relay waits for the one numbering (then numbers
// what that one did not see, its own process's rows included); the lock ends with the unit.
macro_rules! relay_lock_sql {
    () => {
        "SELECT pg_advisory_xact_lock(7126002)"
    };
}
// The relay's numbers for its rows, bound as three array literals of one order: each queued row
// leaves `event_queue` and gets its numbers in `event_numbers` (migration `0017_event_numbers`).
macro_rules! number_rows_sql {
    () => {
        "WITH v AS (SELECT * FROM unnest($1::text::bigint[], $2::text::bigint[], $3::text::bigint[]) \
         AS v(pos, relay_pos, seq)), \
         numbered AS (DELETE FROM event_queue AS q USING v WHERE q.pos = v.pos \
         RETURNING q.pos, q.merchant_id, v.relay_pos, v.seq) \
         INSERT INTO event_numbers (pos, merchant_id, relay_pos, seq) \
         SELECT pos, merchant_id, relay_pos, seq FROM numbered"
    };
}
// Numbered events: a page of numbers, each joined to its event row by `pos`. `OFFSET 0` keeps the
// event's subquery from being merged into a join that PostgreSQL may plan as a scan of all events (a
// pooled connection keeps the plan it made while the outbox was small); this way every event is one
// primary-key lookup, whatever the outbox's size.
macro_rules! events_after_sql {
    () => {
        concat!(
            numbered_event_cols!(),
            " FROM (SELECT pos, relay_pos, seq FROM event_numbers WHERE relay_pos > $1 \
             ORDER BY relay_pos LIMIT $2) AS n ",
            event_of_number!(),
            " ORDER BY n.relay_pos"
        )
    };
}
macro_rules! merchant_events_after_sql {
    () => {
        concat!(
            numbered_event_cols!(),
            " FROM (SELECT pos, relay_pos, seq FROM event_numbers WHERE merchant_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3) AS n ",
            event_of_number!(),
            " ORDER BY n.seq"
        )
    };
}
macro_rules! numbered_event_cols {
    () => {
        "SELECT n.relay_pos, n.seq, e.id, e.merchant_id, e.device_id, e.target, e.kind, \
         e.object_id, e.created, e.data, e.packed"
    };
}
macro_rules! event_of_number {
    () => {
        "CROSS JOIN LATERAL (SELECT * FROM events WHERE events.pos = n.pos OFFSET 0) AS e"
    };
}
macro_rules! event_numbers {
    () => {
        "event_numbers"
    };
}
// Keeps each merchant's newest event (as SQLite, which numbers on from it); the numbers go with
// their events.
macro_rules! purge_events_sql {
    () => {
        "WITH gone AS (DELETE FROM events WHERE created < $1 \
         AND pos IN (SELECT pos FROM event_numbers) \
         AND pos NOT IN (SELECT MAX(pos) FROM events GROUP BY merchant_id) RETURNING pos) \
         DELETE FROM event_numbers WHERE pos IN (SELECT pos FROM gone)"
    };
}
// Sent by the numbering unit (and by a writer without a relay of its own), not by each server
// writer: a NOTIFY makes PostgreSQL serialise the commits of the transactions that send it, which
// would keep concurrent writers from sharing a WAL flush.
macro_rules! notify_events_sql {
    () => {
        "NOTIFY loyalpos_events"
    };
}

// The document stays text: PostgreSQL compresses it itself (TOAST) and its SQL reads fields of it.
macro_rules! stx_doc_packed {
    () => {
        false
    };
}

include!("sql/columns.rs");

const MAX_CONNECTIONS: usize = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (list queries vary; the hot path's are few).
const STATEMENT_CACHE: usize = 512;

pub struct PgEngine {
    inner: Arc<Pool>,
    counters: Arc<Counters>,
    cache: Arc<Cache>,
}

struct Pool {
    url: String,
    idle: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    connections: Vec<PgConnection>,
    open: usize,
}

struct PgConnection {
    /// Runs the client's connection task while a statement waits for its answer.
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    statements: HashMap<String, Statement>,
}

impl PgEngine {
    pub fn connect(url: &str) -> Result<Self> {
        let pool = Pool {
            url: url.to_owned(),
            idle: Mutex::new(PoolState {
                connections: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        // Fail at start-up, with the cause, when the database cannot be reached.
        let first = pool.connect()?;
        pool.give_back(first);
        Ok(PgEngine {
            inner: Arc::new(pool),
            counters: Arc::new(Counters::default()),
            cache: Arc::new(Cache::new()),
        })
    }
}

impl PgEngine {
    /// Refuses a database without the loyalpos schema (no migration ever ran there).
    pub fn require_schema(&self) -> Result<()> {
        let mut connection = self.inner.acquire()?;
        let mut driver = PgDriver::new(&mut connection, &self.counters);
        let tables: i64 = Q::new(
            &mut driver,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name IN ('schema_migrations', '_sqlx_migrations')",
        )
        .scalar()?;
        let database = Q::new(&mut driver, "SELECT current_database()::text").scalar::<String>();
        self.inner.give_back(connection);
        if tables == 0 {
            return Err(StoreError::Config(format!(
                "the PostgreSQL database {} has no loyalpos schema (`loyalpos migrate` creates it)",
                database?
            )));
        }
        Ok(())
    }
}

/// Says why the first connection failed and where it tried: "connection refused at HOST:PORT"
/// rather than the client's bare "error connecting to server".
fn connect_error(config: &tokio_postgres::Config, err: ::postgres::Error) -> StoreError {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let at = format!("{}:{port}", hosts.join(","));
    if let Some(db) = err.as_db_error() {
        return StoreError::Config(format!("PostgreSQL at {at}: {}", db.message()));
    }
    let mut cause: Option<&(dyn Error + 'static)> = err.source();
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            let what = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                std::io::ErrorKind::TimedOut => "connection timed out".to_owned(),
                _ => io.to_string(),
            };
            return StoreError::Unavailable(format!(
                "cannot connect to PostgreSQL: {what} at {at}"
            ));
        }
        cause = e.source();
    }
    StoreError::Unavailable(format!("cannot connect to PostgreSQL at {at}: {err}"))
}

/// Listens until the connection fails, waking the relay for each notification.
fn listen_once(url: &str, wake: &tokio::sync::Notify) -> Result<()> {
    use ::postgres::fallible_iterator::FallibleIterator;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
    config.connect_timeout(ACQUIRE_TIMEOUT);
    let mut client = ::postgres::Config::from(config.clone())
        .connect(NoTls)
        .map_err(|e| connect_error(&config, e))?;
    client
        .batch_execute("LISTEN loyalpos_events")
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    // Whatever was committed while nobody listened is found by the relay's next read.
    wake.notify_one();
    let mut notifications = client.notifications();
    let mut arrivals = notifications.blocking_iter();
    loop {
        match arrivals.next() {
            Ok(Some(_)) => wake.notify_one(),
            Ok(None) => return Err(StoreError::Unavailable("the connection closed".into())),
            Err(e) => return Err(StoreError::Unavailable(e.to_string())),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    fn connect(&self) -> Result<PgConnection> {
        let mut config: tokio_postgres::Config = self
            .url
            .parse()
            .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
        config.connect_timeout(ACQUIRE_TIMEOUT);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Internal(format!("cannot start a PostgreSQL runtime: {e}")))?;
        let (client, connection) = runtime
            .block_on(config.connect(NoTls))
            .map_err(|e| connect_error(&config, e))?;
        runtime.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a PostgreSQL connection ended");
            }
        });
        lock(&self.idle).open += 1;
        Ok(PgConnection {
            runtime,
            client,
            statements: HashMap::new(),
        })
    }

    /// An idle connection, a new one while fewer than the maximum are open, else waits.
    fn acquire(&self) -> Result<PgConnection> {
        let mut state = lock(&self.idle);
        loop {
            if let Some(c) = state.connections.pop() {
                return Ok(c);
            }
            if state.open < MAX_CONNECTIONS {
                drop(state);
                return self.connect();
            }
            let (next, waited) = self
                .returned
                .wait_timeout(state, ACQUIRE_TIMEOUT)
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            if waited.timed_out() && state.connections.is_empty() {
                return Err(StoreError::Unavailable(
                    "no PostgreSQL connection became free".into(),
                ));
            }
        }
    }

    fn give_back(&self, connection: PgConnection) {
        let mut state = lock(&self.idle);
        if connection.client.is_closed() {
            state.open -= 1;
        } else {
            state.connections.push(connection);
        }
        drop(state);
        self.returned.notify_one();
    }

    /// Runs a job in a transaction begun with `begin`; commits if the job keeps its work.
    fn run(&self, counters: &Counters, cache: &Cache, begin: &str, job: ErasedJob) {
        let waiting = std::time::Instant::now();
        let acquired = self.acquire();
        counters.wait_micros.record_since(waiting);
        let mut connection = match acquired {
            Ok(c) => c,
            Err(e) => return (job(None).notify)(Err(e)),
        };
        let mut driver = PgDriver::new(&mut connection, counters);
        // Goes out with the job's first statement.
        driver.held.push(Held::Batch(begin.to_owned()));
        let mut tx = SqlTx::new(&mut driver, cache);
        let settle = run_job(job, &mut tx);
        let (dirty, relay) = (tx.dirty, tx.relay);
        let ended = if settle.keep {
            driver.batch("COMMIT")
        } else {
            driver.roll_back()
        };
        let (count, counter) = if relay {
            (driver.trips, &counters.relay_round_trips)
        } else {
            (driver.prepared, &counters.prepares)
        };
        counter.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
        drop(driver);
        cache.forget(&dirty);
        if ended.is_ok() {
            counters
                .units
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            counters
                .batches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            counters.units_per_commit.record(1);
        }
        self.give_back(connection);
        (settle.notify)(ended);
    }
}

impl Drop for Pool {
    /// Closing a synchronous client blocks on its own runtime, which must not happen on an async
    /// worker thread (where the last handle of a store may be dropped): close them on a thread.
    fn drop(&mut self) {
        let connections = std::mem::take(&mut lock(&self.idle).connections);
        if !connections.is_empty() {
            let _ = std::thread::spawn(move || drop(connections)).join();
        }
    }
}

impl Engine for PgEngine {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    /// A connection of its own, outside the pool, waits for `NOTIFY loyalpos_events` (sent by a
    /// relay's numbering unit, or by a writer without a relay, at commit) on a thread of its own;
    /// it reconnects after a loss.
    fn listen(&self, wake: Arc<tokio::sync::Notify>) {
        let url = self.inner.url.clone();
        let spawned = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || {
                loop {
                    if let Err(e) = listen_once(&url, &wake) {
                        tracing::warn!(error = %e, "LISTEN loyalpos_events lost; reconnecting");
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the LISTEN thread; events of other processes arrive by polling");
        }
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn cache(&self) -> &Cache {
        &self.cache
    }

    /// One snapshot for the whole read job (READ COMMITTED would give each statement its own, and a
    /// reader such as `loyalpos check` could see a booking's LTX without its balance update).
    fn submit_read(&self, job: ErasedJob) {
        let (pool, counters, cache) = (
            self.inner.clone(),
            self.counters.clone(),
            self.cache.clone(),
        );
        tokio::task::spawn_blocking(move || {
            pool.run(
                &counters,
                &cache,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                job,
            )
        });
    }

    fn submit_write(&self, job: ErasedJob) {
        let (pool, counters, cache) = (
            self.inner.clone(),
            self.counters.clone(),
            self.cache.clone(),
        );
        tokio::task::spawn_blocking(move || pool.run(&counters, &cache, "BEGIN", job));
    }

    fn migrate(&self) -> Result<()> {
        let mut connection = self.inner.acquire()?;
        let mut driver = PgDriver::new(&mut connection, &self.counters);
        let done = crate::migrate::run(
            &mut driver,
            crate::migrate::POSTGRES,
            Some((
                "SELECT pg_advisory_lock(7126001)",
                "SELECT pg_advisory_unlock(7126001)",
            )),
        );
        self.inner.give_back(connection);
        done
    }

    fn close(&self) {
        let mut state = lock(&self.inner.idle);
        let closed = std::mem::take(&mut state.connections);
        state.open -= closed.len();
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(v) => match *ty {
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Arg::Text(s) => s.to_sql(ty, out),
            Arg::Bool(b) => b.to_sql(ty, out),
            Arg::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each value checks its type in `to_sql`.
        true
    }

    to_sql_checked!();
}

struct PgDriver<'c> {
    connection: &'c mut PgConnection,
    counters: &'c Counters,
    /// Held back until a statement needs an answer (or the unit ends), then sent ahead of it.
    held: Vec<Held>,
    /// Whether anything reached the server yet.
    sent: bool,
    /// Times this unit waited for the server's answers…
    trips: u64,
    /// …of them to prepare a statement (this connection's first use of its SQL).
    prepared: u64,
}

/// A statement held back, with its arguments owned.
enum Held {
    Batch(String),
    Execute(Statement, Vec<OwnedArg>),
}

/// An [`Arg`] that outlives the caller's borrow.
enum OwnedArg {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl OwnedArg {
    fn of(arg: &Arg<'_>) -> OwnedArg {
        match *arg {
            Arg::Null => OwnedArg::Null,
            Arg::Int(v) => OwnedArg::Int(v),
            Arg::Text(s) => OwnedArg::Text(s.to_owned()),
            Arg::Bool(b) => OwnedArg::Bool(b),
            Arg::Bytes(b) => OwnedArg::Bytes(b.to_vec()),
        }
    }

    fn as_arg(&self) -> Arg<'_> {
        match self {
            OwnedArg::Null => Arg::Null,
            OwnedArg::Int(v) => Arg::Int(*v),
            OwnedArg::Text(s) => Arg::Text(s),
            OwnedArg::Bool(b) => Arg::Bool(*b),
            OwnedArg::Bytes(b) => Arg::Bytes(b),
        }
    }
}

impl<'c> PgDriver<'c> {
    fn new(connection: &'c mut PgConnection, counters: &'c Counters) -> Self {
        PgDriver {
            connection,
            counters,
            held: Vec::new(),
            sent: false,
            trips: 0,
            prepared: 0,
        }
    }

    /// What was held back would be undone, so it need not go out; nor does a ROLLBACK when
    /// nothing of the unit, not even its BEGIN, reached the server.
    fn roll_back(&mut self) -> Result<()> {
        self.held.clear();
        if self.sent {
            self.batch("ROLLBACK")
        } else {
            Ok(())
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.connection.statements.get(sql) {
            return Ok(s.clone());
        }
        let statement = self.pipelined(|client| client.prepare(sql))?;
        self.prepared += 1;
        if self.connection.statements.len() >= STATEMENT_CACHE {
            self.connection.statements.clear();
        }
        self.connection
            .statements
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn params<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
        args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
    }

    /// Sends the held statements and then `last` in one go (the client pipelines requests polled
    /// together, in the order they are first polled) and waits for all their answers. The first
    /// failure in that order is the result: after it PostgreSQL refuses the rest of the unit.
    fn pipelined<'s, T, F>(
        &'s mut self,
        last: impl FnOnce(&'s tokio_postgres::Client) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = std::result::Result<T, ::postgres::Error>> + 's,
    {
        let held = std::mem::take(&mut self.held);
        self.sent = true;
        let connection = &*self.connection;
        let client = &connection.client;
        let args: Vec<Vec<Arg<'_>>> = held
            .iter()
            .map(|h| match h {
                Held::Execute(_, args) => args.iter().map(OwnedArg::as_arg).collect(),
                Held::Batch(_) => Vec::new(),
            })
            .collect();
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = args.iter().map(|a| Self::params(a)).collect();
        let earlier = join_all(held.iter().zip(&params).map(|(h, p)| async move {
            match h {
                Held::Batch(sql) => client.batch_execute(sql).await,
                Held::Execute(statement, _) => client.execute(statement, p).await.map(drop),
            }
        }));
        let (earlier, last) = connection.runtime.block_on(join(earlier, last(client)));
        self.trips += 1;
        self.counters
            .round_trips
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        earlier
            .into_iter()
            .collect::<std::result::Result<Vec<()>, _>>()
            .and(last)
            .map_err(pg_error)
    }
}

impl Driver for PgDriver<'_> {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        self.counters
            .statements
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let statement = self.statement(sql)?;
        let params = Self::params(args);
        self.pipelined(|client| client.execute(&statement, &params))
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Record>> {
        self.counters
            .statements
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let statement = self.statement(sql)?;
        let params = Self::params(args);
        let rows = self.pipelined(|client| client.query(&statement, &params))?;
        records(&statement, &rows)
    }

    fn query_pair(
        &mut self,
        first: (&str, &[Arg<'_>]),
        second: (&str, &[Arg<'_>]),
    ) -> Result<(Vec<Record>, Vec<Record>)> {
        self.counters
            .statements
            .fetch_add(2, std::sync::atomic::Ordering::Relaxed);
        let (one, two) = (self.statement(first.0)?, self.statement(second.0)?);
        let (p1, p2) = (Self::params(first.1), Self::params(second.1));
        let (rows1, rows2) = self.pipelined(|client| async {
            // Polled together, the two go out in this order; the first failure is the answer.
            let (rows1, rows2) = join(client.query(&one, &p1), client.query(&two, &p2)).await;
            Ok((rows1?, rows2?))
        })?;
        Ok((records(&one, &rows1)?, records(&two, &rows2)?))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.pipelined(|client| client.batch_execute(sql))
    }

    fn execute_later(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<()> {
        self.counters
            .statements
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let statement = self.statement(sql)?;
        let args = args.iter().map(OwnedArg::of).collect();
        self.held.push(Held::Execute(statement, args));
        Ok(())
    }

    fn batch_later(&mut self, sql: &str) -> Result<()> {
        self.held.push(Held::Batch(sql.to_owned()));
        Ok(())
    }
}

/// A statement's rows as plain values, named by its columns.
fn records(statement: &Statement, rows: &[::postgres::Row]) -> Result<Vec<Record>> {
    let names: Arc<[String]> = statement
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    rows.iter()
        .map(|row| {
            let vals = (0..row.len())
                .map(|i| value(row, i))
                .collect::<Result<Vec<Val>>>()?;
            Ok(Record {
                names: names.clone(),
                vals,
            })
        })
        .collect()
}

fn value(row: &::postgres::Row, i: usize) -> Result<Val> {
    let ty = row.columns()[i].type_().clone();
    let decoded = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Val::Int)),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|n| Val::Int(i64::from(n)))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|n| Val::Int(i64::from(n)))),
        Type::BOOL => row.try_get::<_, Option<bool>>(i).map(|v| v.map(Val::Bool)),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map(|v| v.map(Val::Bytes)),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map(|v| v.map(Val::Text)),
    };
    decoded
        .map(|v| v.unwrap_or(Val::Null))
        .map_err(|e| StoreError::Internal(format!("column {i} ({ty}): {e}")))
}

fn pg_error(err: ::postgres::Error) -> StoreError {
    if let Some(db) = err.as_db_error() {
        let code = db.code().code();
        return match code {
            "23505" => StoreError::Duplicate(db.message().to_owned()),
            // serialization failure, deadlock, lock not available, admin shutdown
            "40001" | "40P01" | "55P03" | "57P01" => {
                StoreError::Unavailable(db.message().to_owned())
            }
            _ => StoreError::Internal(format!("{code}: {}", db.message())),
        };
    }
    if err.is_closed() {
        return StoreError::Unavailable(format!("PostgreSQL connection closed: {err}"));
    }
    StoreError::Internal(err.to_string())
}

include!("unit.rs");

include!("sql/tenancy.rs");
include!("sql/auth.rs");
include!("sql/loyalty.rs");
include!("sql/smart.rs");
include!("sql/audit.rs");
include!("sql/idempotency.rs");
include!("sql/lists.rs");
include!("sql/admin.rs");
include!("sql/events.rs");
include!("sql/office.rs");
