//! SQLite: one file, WAL, `synchronous=FULL`. Every write job runs on one writer thread that owns
//! the only writing connection: it takes the jobs queued so far as a batch, runs each inside its
//! own SAVEPOINT of one `BEGIN IMMEDIATE` transaction, and COMMITs the batch once — one fsync for
//! all of them — before any job's caller learns its result. Read jobs run on blocking threads with
//! connections of their own (WAL readers never block the writer).

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use crate::cache::{Cache, Dirty, Kind};
use crate::driver::{Arg, Driver, FromRecord, Q, Record, Val, first};
use crate::*;

// SQLite has no row locks; the write transaction already excludes every other writer.
macro_rules! for_update {
    () => {
        ""
    };
}

macro_rules! lock_merchantcard_row {
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

// SQLite has no background maintenance that could be switched off.
macro_rules! maintenance_off_sql {
    () => {
        "SELECT 0"
    };
}

// One writer: an outbox row is numbered as it is inserted (write order is commit order), so the
// relay only hands rows on and no numbered row is ever rewritten.
macro_rules! events_numbered_at_insert {
    () => {
        true
    };
}
// One writer, one relay: nothing to lock.
macro_rules! relay_lock_sql {
    () => {
        ""
    };
}
// SQLite numbers rows as it inserts them: the relay never numbers there.
macro_rules! number_rows_sql {
    () => {
        ""
    };
}
macro_rules! notify_events_sql {
    () => {
        ""
    };
}
// The numbers are columns of the event row itself.
macro_rules! events_after_sql {
    () => {
        "SELECT relay_pos, seq, id, merchant_id, device_id, target, kind, object_id, created, data, \
         packed FROM events WHERE relay_pos > $1 ORDER BY relay_pos LIMIT $2"
    };
}
macro_rules! merchant_events_after_sql {
    () => {
        "SELECT relay_pos, seq, id, merchant_id, device_id, target, kind, object_id, created, data, \
         packed FROM events WHERE merchant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    };
}
macro_rules! event_numbers {
    () => {
        "events"
    };
}
// Keeps each merchant's newest event, whatever its age: numbering goes on from it.
macro_rules! purge_events_sql {
    () => {
        "DELETE FROM events WHERE created < $1 AND relay_pos IS NOT NULL \
         AND pos NOT IN (SELECT MAX(pos) FROM events GROUP BY merchant_id)"
    };
}

// A smart transaction's document is kept as an LZ4 block (`packing`): an eighth of the JSON's
// bytes or less, so a checkout's row and the pages the writer commits are smaller. The SQL that
// reads a field of it unpacks it with `stx_doc(doc)` (registered on every connection).
macro_rules! stx_doc_packed {
    () => {
        true
    };
}

include!("sql/columns.rs");

/// How many jobs at most share one commit.
const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer; beyond this a write is refused as unavailable (503, safe to retry).
const QUEUE_CAPACITY: usize = 4096;
/// Reader threads, each with its own connection (WAL readers run beside the writer).
const READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// WAL frames (pages) after which the writer checkpoints itself, so that the WAL can start over.
const WRITER_CHECKPOINT_FRAMES: u32 = 8000;
/// Bytes the WAL file keeps when it starts over.
const WAL_SIZE_LIMIT: u64 = 64 << 20;

pub struct SqliteEngine {
    path: String,
    queue: Mutex<Option<SyncSender<ErasedJob>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Readers,
    checkpointer: Mutex<Option<Checkpointer>>,
    counters: Arc<Counters>,
    cache: Arc<Cache>,
}

/// A connection and what it learned about the statements it ran: each shared SQL text's SQLite
/// spelling and its result's column names, so neither is rebuilt per call.
struct Conn {
    connection: Connection,
    shapes: std::cell::RefCell<std::collections::HashMap<String, Arc<Shape>>>,
}

struct Shape {
    sql: String,
    names: Arc<[String]>,
}

/// Shapes kept per connection (list queries vary with their filters; the hot path's are few).
const SHAPES: usize = 512;

impl Conn {
    fn new(connection: Connection) -> Conn {
        Conn {
            connection,
            shapes: Default::default(),
        }
    }

    fn shape(&self, sql: &str) -> Result<Arc<Shape>> {
        if let Some(shape) = self.shapes.borrow().get(sql) {
            return Ok(shape.clone());
        }
        let numbered = numbered(sql).into_owned();
        let names: Arc<[String]> = self
            .connection
            .prepare_cached(&numbered)
            .map_err(sqlite_error)?
            .column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let shape = Arc::new(Shape {
            sql: numbered,
            names,
        });
        let mut shapes = self.shapes.borrow_mut();
        if shapes.len() >= SHAPES {
            shapes.clear();
        }
        shapes.insert(sql.to_owned(), shape.clone());
        Ok(shape)
    }
}

impl SqliteEngine {
    pub fn open(path: &str) -> Result<Self> {
        let connection = connect_writer(path)?;
        // The checkpointer thread (below) copies the WAL back as it grows. SQLite starts the WAL over
        // only when a writer begins while every frame is copied back, which under steady load the
        // writer's own checkpoint ensures: without one the WAL grows by every commit, and each commit
        // pays the file system for new blocks. By then only the last milliseconds' frames are left
        // to copy. A WAL grown in a burst is cut back to `journal_size_limit` when it starts over.
        connection
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_FRAMES}; \
                 PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"
            ))
            .map_err(sqlite_error)?;
        let checkpointer = Checkpointer::start(path)?;
        let counters = Arc::new(Counters::default());
        let cache = Arc::new(Cache::new());
        let (queue, jobs) = mpsc::sync_channel(QUEUE_CAPACITY);
        let (writer_counters, writer_cache) = (counters.clone(), cache.clone());
        let packer = Packer::start()?;
        let writer = std::thread::Builder::new()
            .name("loyalpos-sqlite-writer".into())
            .spawn(move || {
                let connection = Conn::new(connection);
                write_batches(&connection, jobs, packer, &writer_counters, &writer_cache)
            })
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteEngine {
            path: path.to_owned(),
            queue: Mutex::new(Some(queue)),
            writer: Mutex::new(Some(writer)),
            readers: Readers::start(path, READERS, counters.clone(), cache.clone())?,
            checkpointer: Mutex::new(Some(checkpointer)),
            counters,
            cache,
        })
    }
}

/// The reader threads: each owns a connection and takes read jobs from one shared queue.
struct Readers {
    queue: Mutex<Option<SyncSender<ErasedJob>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Readers {
    fn start(
        path: &str,
        count: usize,
        counters: Arc<Counters>,
        cache: Arc<Cache>,
    ) -> Result<Readers> {
        let (queue, jobs) = mpsc::sync_channel::<ErasedJob>(QUEUE_CAPACITY);
        let jobs = Arc::new(Mutex::new(jobs));
        let mut threads = Vec::with_capacity(count);
        for i in 0..count {
            let conn = Conn::new(connect(path, false)?);
            let (jobs, counters, cache) = (jobs.clone(), counters.clone(), cache.clone());
            let thread = std::thread::Builder::new()
                .name(format!("loyalpos-sqlite-reader-{i}"))
                .spawn(move || read_jobs(conn, &jobs, &counters, &cache))
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
            threads.push(thread);
        }
        Ok(Readers {
            queue: Mutex::new(Some(queue)),
            threads: Mutex::new(threads),
        })
    }

    fn stop(&self) {
        lock(&self.queue).take();
        for thread in lock(&self.threads).drain(..) {
            let _ = thread.join();
        }
    }
}

fn read_jobs(conn: Conn, jobs: &Mutex<Receiver<ErasedJob>>, counters: &Counters, cache: &Cache) {
    loop {
        let job = match lock(jobs).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let mut driver = SqliteDriver {
            conn: &conn,
            counters,
        };
        // A deferred transaction: one snapshot from the first read to the end of the job.
        if let Err(e) = driver.batch("BEGIN") {
            (job(None).notify)(Err(e));
            continue;
        }
        let settle = run_job(job, &mut SqlTx::new(&mut driver, cache));
        let ended = driver.batch("COMMIT");
        if !conn.connection.is_autocommit() {
            let _ = driver.batch("ROLLBACK");
        }
        (settle.notify)(ended);
    }
}

/// Counts the time a job waits in its queue until a thread runs it (`Stats::wait_micros`).
fn timed(job: ErasedJob, counters: Arc<Counters>) -> ErasedJob {
    let queued = std::time::Instant::now();
    Box::new(move |tx: Option<&mut dyn Tx>| {
        if tx.is_some() {
            counters.wait_micros.record_since(queued);
        }
        job(tx)
    })
}

/// Hands a job to a queue; a full or closed queue answers the job "unavailable" (503, retry).
fn submit(queue: &Mutex<Option<SyncSender<ErasedJob>>>, job: ErasedJob, full: &str) {
    let refused = match lock(queue).as_ref() {
        Some(queue) => match queue.try_send(job) {
            Ok(()) => return,
            Err(TrySendError::Full(job)) => (job, full.to_owned()),
            Err(TrySendError::Disconnected(job)) => (job, "the store has stopped".to_owned()),
        },
        None => (job, "the store is closed".to_owned()),
    };
    let (job, cause) = refused;
    (job(None).notify)(Err(StoreError::Unavailable(cause)));
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn connect(path: &str, create: bool) -> Result<Connection> {
    connect_through(path, create, None)
}

/// The writer's connection: its WAL appends reach the file in a few large writes per commit
/// (`coalesce`).
fn connect_writer(path: &str) -> Result<Connection> {
    crate::coalesce::register().map_err(StoreError::Internal)?;
    connect_through(path, true, Some(crate::coalesce::VFS_NAME))
}

fn connect_through(path: &str, create: bool, vfs: Option<&str>) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let c = match vfs {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs),
        None => Connection::open_with_flags(path, flags),
    }
    .map_err(|e| cannot_open(path, e))?;
    c.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_error)?;
    // The savepoints' sub-journals live in memory: a job's rollback never needs them on disk.
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(sqlite_error)?;
    c.set_prepared_statement_cache_capacity(256);
    register_stx_doc(&c)?;
    Ok(c)
}

/// `stx_doc(doc)`: a smart transaction's document as JSON text, whether it is stored packed or
/// (written before packing) plain.
fn register_stx_doc(c: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    c.create_scalar_function(
        "stx_doc",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| match ctx.get_raw(0) {
            ValueRef::Blob(packed) => crate::packing::unpack_text(packed)
                .map(Some)
                .map_err(|e| rusqlite::Error::UserFunctionError(e.to_string().into())),
            ValueRef::Text(text) => Ok(Some(String::from_utf8_lossy(text).into_owned())),
            _ => Ok(None),
        },
    )
    .map_err(sqlite_error)
}

/// Why a database file could not be opened, naming the file (and a missing directory).
fn cannot_open(path: &str, err: rusqlite::Error) -> StoreError {
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    match dir {
        Some(dir) if !dir.is_dir() => StoreError::Config(format!(
            "cannot open the SQLite database {path}: the directory {} does not exist",
            dir.display()
        )),
        _ => StoreError::Config(format!("cannot open the SQLite database {path}: {err}")),
    }
}

/// A plain file path (not `:memory:` or a `file:` URI), whose existence can be checked.
fn plain_file(path: &str) -> Option<&std::path::Path> {
    (!path.starts_with("file:") && !path.starts_with(':')).then(|| std::path::Path::new(path))
}

/// Refuses, without creating or changing anything, a database file that does not exist, is not a
/// SQLite database, or has no loyalpos schema.
pub fn probe(path: &str) -> Result<()> {
    if let Some(file) = plain_file(path)
        && !file.is_file()
    {
        return Err(match file.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) if !dir.is_dir() => StoreError::Config(format!(
                "the SQLite database {path} does not exist: the directory {} does not exist",
                dir.display()
            )),
            _ => StoreError::Config(format!(
                "the SQLite database {path} does not exist (`loyalpos migrate` creates a new one)"
            )),
        });
    }
    let c = open_read_only(path)?;
    let tables: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('schema_migrations', '_sqlx_migrations')",
            [],
            |row| row.get(0),
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => {
                StoreError::Config(format!("{path} is not a SQLite database"))
            }
            _ => cannot_open(path, e),
        })?;
    if tables == 0 {
        return Err(StoreError::Config(format!(
            "{path} has no loyalpos schema (`loyalpos migrate` creates it)"
        )));
    }
    Ok(())
}

/// A read-only connection that creates nothing (no SQLITE_OPEN_CREATE).
fn open_read_only(path: &str) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let c = Connection::open_with_flags(path, flags).map_err(|e| cannot_open(path, e))?;
    c.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_error)?;
    Ok(c)
}

/// `PRAGMA integrity_check` of a database file, read-only: the problems it found (none: empty).
pub fn integrity_check(path: &str) -> Result<Vec<String>> {
    probe(path)?;
    let c = open_read_only(path)?;
    let mut statement = c.prepare("PRAGMA integrity_check").map_err(sqlite_error)?;
    let found = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(sqlite_error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sqlite_error)?;
    Ok(found.into_iter().filter(|line| line != "ok").collect())
}

/// Copies the live database `from` into the new file `to` (mode 0600) with SQLite's online backup
/// API, from a connection of its own. One step copies every page inside one read transaction: a
/// WAL reader never blocks the server's writer, and a copy in several steps would start over each
/// time the server commits.
pub fn backup(from: &str, to: &std::path::Path) -> Result<()> {
    probe(from)?;
    let source = open_read_only(from)?;
    create_private(to)?;
    let copied = copy_into(&source, to);
    if copied.is_err() {
        let _ = std::fs::remove_file(to);
    }
    copied
}

/// Turns a checked copy into one self-contained file: rollback journal instead of WAL (a later
/// read-only open leaves no `-wal`/`-shm` files beside it), synced to disk.
pub fn seal(path: &str) -> Result<()> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| cannot_open(path, e))?;
    c.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_error)?;
    c.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .map_err(sqlite_error)?;
    drop(c);
    sync_file(std::path::Path::new(path))
}

/// Creates `path` empty, readable by its owner only (a database holds hashes and personal data).
fn create_private(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", path.display())))
}

fn copy_into(source: &Connection, to: &std::path::Path) -> Result<()> {
    let mut target = Connection::open(to).map_err(|e| cannot_open(&to.display().to_string(), e))?;
    {
        let backup = rusqlite::backup::Backup::new(source, &mut target).map_err(sqlite_error)?;
        step_all(&backup)?;
    }
    drop(target);
    sync_file(to)
}

fn step_all(backup: &rusqlite::backup::Backup<'_, '_>) -> Result<()> {
    use rusqlite::backup::StepResult;
    const PAUSE: Duration = Duration::from_millis(50);
    let started = std::time::Instant::now();
    while started.elapsed() < BUSY_TIMEOUT {
        match backup.step(-1).map_err(sqlite_error)? {
            StepResult::Done => return Ok(()),
            // Busy or locked: another connection is in the way for a moment.
            _ => std::thread::sleep(PAUSE),
        }
    }
    Err(StoreError::Unavailable(format!(
        "the database stayed busy for {} s; nothing was copied",
        BUSY_TIMEOUT.as_secs()
    )))
}

fn sync_file(path: &std::path::Path) -> Result<()> {
    let synced = std::fs::File::open(path).and_then(|f| f.sync_all());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    synced.map_err(|e| StoreError::Internal(format!("cannot sync {}: {e}", path.display())))
}

/// Replaces the content of the database `to` (created if missing) by that of the file `from`, with
/// the online backup API under an exclusive lock, so SQLite itself deals with `to`'s WAL. Refused
/// while another connection (a server, another command) has `to` open.
pub fn restore(from: &std::path::Path, to: &str) -> Result<()> {
    let from_text = from.display().to_string();
    probe(&from_text)?;
    let source = open_read_only(&from_text)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut target = Connection::open_with_flags(to, flags).map_err(|e| cannot_open(to, e))?;
    // A connection in WAL mode holds a shared lock on the file for as long as it is open: an
    // exclusive lock is only granted when nobody else has the database open.
    target
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Config(format!(
                    "{to} is in use (a server or another command has it open): stop it first"
                ))
            }
            _ => cannot_open(to, e),
        })?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut target).map_err(sqlite_error)?;
        step_all(&backup)?;
    }
    drop(target);
    sync_file(std::path::Path::new(to))
}

impl Engine for SqliteEngine {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn cache(&self) -> &Cache {
        &self.cache
    }

    fn submit_read(&self, job: ErasedJob) {
        let job = timed(job, self.counters.clone());
        submit(&self.readers.queue, job, "the readers' queue is full");
    }

    fn submit_write(&self, job: ErasedJob) {
        let job = timed(job, self.counters.clone());
        submit(&self.queue, job, "the writer's queue is full");
    }

    fn migrate(&self) -> Result<()> {
        let connection = Conn::new(connect(&self.path, true)?);
        let mut driver = SqliteDriver {
            conn: &connection,
            counters: &self.counters,
        };
        crate::migrate::run(&mut driver, crate::migrate::SQLITE, None)
    }

    fn close(&self) {
        lock(&self.queue).take();
        if let Some(writer) = lock(&self.writer).take() {
            let _ = writer.join();
        }
        self.readers.stop();
        if let Some(checkpointer) = lock(&self.checkpointer).take() {
            checkpointer.stop();
        }
    }
}

/// Copies the WAL back into the database file on a thread of its own, so that the writer's commits
/// seldom wait for a checkpoint's writes and fsync. PASSIVE: it never blocks the writer or readers.
struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

/// The checkpointer's pause after a pass that found frames to copy (it keeps up with the writer)…
const CHECKPOINT_BUSY_PAUSE: Duration = Duration::from_millis(5);
/// …and after one that found the WAL unchanged.
const CHECKPOINT_IDLE_PAUSE: Duration = Duration::from_millis(200);

impl Checkpointer {
    fn start(path: &str) -> Result<Checkpointer> {
        let connection = connect(path, false)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(CHECKPOINTER_THREAD.into())
            .spawn(move || {
                yield_to_the_writer();
                let mut pause = CHECKPOINT_IDLE_PAUSE;
                let mut last = None;
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(pause) {
                    let now = checkpoint_passive(&connection);
                    pause = if now.is_some() && now != last {
                        CHECKPOINT_BUSY_PAUSE
                    } else {
                        CHECKPOINT_IDLE_PAUSE
                    };
                    last = now;
                }
                // A last one on the way out, PASSIVE like the others: a short-lived process (an
                // operator command) must not wait for a busy server to let go of the file.
                let _ = connection.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
            })
            .map_err(|e| StoreError::Internal(format!("cannot start the checkpointer: {e}")))?;
        Ok(Checkpointer { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// The checkpointer's thread name (as the OS shows it: at most 15 bytes).
const CHECKPOINTER_THREAD: &str = "loyalpos-ckpt";

/// The checkpointer's nice value: it gets about a tenth of the CPU time of a thread at 0 when both
/// want a core. Under load the two cores are shared by the writer, the tokio workers, the event
/// packer and this thread, and the writer, which every commit waits for, was preempted 779 times a
/// second; the checkpointer's copying waits for nobody (if it falls behind, the writer's own
/// checkpoint at `WRITER_CHECKPOINT_FRAMES` catches up). BENCHMARKS.md, "The checkpointer yields".
#[cfg(target_os = "linux")]
const CHECKPOINTER_NICE: libc::c_int = 10;

/// Lowers the calling thread's priority to [`CHECKPOINTER_NICE`]. On Linux a thread has a nice value
/// of its own; elsewhere `setpriority` would lower the whole process, so it is left alone.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take plain integers and touch no memory of ours.
        let failed = unsafe {
            libc::setpriority(
                libc::PRIO_PROCESS,
                libc::gettid() as libc::id_t,
                CHECKPOINTER_NICE,
            ) != 0
        };
        if failed {
            let e = std::io::Error::last_os_error();
            tracing::debug!(error = %e, "the checkpointer keeps its priority");
        }
    }
}

/// One PASSIVE checkpoint (it never blocks the writer or readers): the WAL's frames and how many of
/// them are copied back, or `None` when it failed.
fn checkpoint_passive(connection: &Connection) -> Option<(i64, i64)> {
    let frames = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    });
    match frames {
        Ok(frames) => Some(frames),
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            None
        }
    }
}

/// The writer thread: batches of jobs, one savepoint each, one COMMIT per batch.
fn write_batches(
    connection: &Conn,
    jobs: Receiver<ErasedJob>,
    mut packer: Packer,
    counters: &Counters,
    cache: &Cache,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut driver = SqliteDriver {
            conn: connection,
            counters,
        };
        run_batch(&mut driver, batch, &mut packer, counters, cache);
    }
    packer.stop();
}

fn run_batch(
    driver: &mut SqliteDriver<'_>,
    batch: Vec<ErasedJob>,
    packer: &mut Packer,
    counters: &Counters,
    cache: &Cache,
) {
    let units = batch.len() as u64;
    if let Err(e) = driver.batch("BEGIN IMMEDIATE") {
        for job in batch {
            (job(None).notify)(Err(StoreError::Unavailable(e.to_string())));
        }
        return;
    }
    let mut settled = Vec::with_capacity(batch.len());
    let mut dirty = Dirty::default();
    let mut failure = None;
    for job in batch {
        if failure.is_some() {
            settled.push(job(None));
            continue;
        }
        match run_in_savepoint(driver, cache, job) {
            Ok((settle, wrote, events)) => {
                settled.push(settle);
                dirty.absorb(wrote);
                events.into_iter().for_each(|events| packer.pack(events));
            }
            Err((settle, e)) => {
                settled.push(settle);
                failure = Some(e);
            }
        }
    }
    // The kept jobs' events, packed meanwhile, go in before the COMMIT: with their changes.
    let events = packer.collect();
    let outcome = match failure {
        Some(e) => Err(e),
        None => events
            .and_then(|rows| insert_packed_events(driver, cache, &rows))
            .and_then(|()| driver.batch("COMMIT")),
    };
    // Also after a failed commit: a job of the batch may have read a batch mate's write.
    cache.forget(&dirty);
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "a batch of write jobs was rolled back");
        let _ = driver.batch("ROLLBACK");
    } else {
        counters
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        counters
            .units
            .fetch_add(units, std::sync::atomic::Ordering::Relaxed);
        counters.units_per_commit.record(units);
    }
    for settle in settled {
        let result = match &outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Unavailable(format!(
                "the batch commit failed: {e}"
            ))),
        };
        (settle.notify)(result);
    }
}

fn insert_packed_events(
    driver: &mut SqliteDriver<'_>,
    cache: &Cache,
    rows: &[(NewEvent, Vec<u8>)],
) -> Result<()> {
    let mut tx = SqlTx::new(driver, cache);
    rows.chunks(OUTBOX_INSERT_TEXTS)
        .try_for_each(|chunk| tx.insert_events(chunk))
}

/// A job's work kept, the cached rows it wrote, and the events it left for the end of the batch.
type Kept = (Settle, Dirty, Vec<PendingEvents>);

/// Runs one job inside its savepoint: released when the job keeps its work, else rolled back. A
/// failing savepoint statement spoils the whole batch (returned as the error).
fn run_in_savepoint(
    driver: &mut SqliteDriver<'_>,
    cache: &Cache,
    job: ErasedJob,
) -> std::result::Result<Kept, (Settle, StoreError)> {
    if let Err(e) = driver.batch("SAVEPOINT job") {
        let settle = job(None);
        return Err((settle, e));
    }
    let mut tx = SqlTx::deferring_events(driver, cache);
    let settle = run_job(job, &mut tx);
    let (dirty, events) = tx.into_parts();
    let end = if settle.keep {
        "RELEASE SAVEPOINT job"
    } else {
        "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job"
    };
    match driver.batch(end) {
        Ok(()) if settle.keep => Ok((settle, dirty, events)),
        Ok(()) => Ok((settle, Dirty::default(), Vec::new())),
        Err(e) => Err((settle, e)),
    }
}

impl<'c> SqlTx<'c> {
    /// A writer job's unit: its events are left to the batch ([`SqlTx::into_parts`]).
    fn deferring_events(driver: &'c mut dyn Driver, cache: &'c Cache) -> Self {
        SqlTx {
            deferred_events: Some(Vec::new()),
            ..SqlTx::new(driver, cache)
        }
    }

    /// The rows the unit wrote to the cache, and the events it left to the batch.
    fn into_parts(self) -> (Dirty, Vec<PendingEvents>) {
        (self.dirty, self.deferred_events.unwrap_or_default())
    }
}

type Packed = Result<Vec<(NewEvent, Vec<u8>)>>;

/// The writer's helper thread that renders and packs the kept jobs' events while the writer runs
/// the next jobs of its batch: the writer's thread is what bounds the register flow, and the
/// views' JSON and their LZ4 are a fifth of its instructions (BENCHMARKS.md). At the end of the
/// batch the writer packs what the helper has not started itself, so it never waits for more
/// than the one the helper is packing (the helper shares a core with the HTTP workers).
struct Packer {
    shared: Arc<(Mutex<Packing>, std::sync::Condvar)>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Packing {
    /// Sent and not started, each with its place in the batch.
    waiting: std::collections::VecDeque<(usize, PendingEvents)>,
    /// Being packed by the helper.
    busy: usize,
    /// Packed by the helper, each with its place.
    done: Vec<(usize, Packed)>,
    /// Places given out in this batch.
    sent: usize,
    stop: bool,
    /// Who waits on the condition variable: only they are woken (a wake-up is a system call).
    helper_asleep: bool,
    writer_waiting: bool,
}

impl Packer {
    fn start() -> Result<Packer> {
        let shared = Arc::new((Mutex::new(Packing::default()), std::sync::Condvar::new()));
        let helper = shared.clone();
        let thread = std::thread::Builder::new()
            .name("loyalpos-sqlite-pack".into())
            .spawn(move || Packer::help(&helper))
            .map_err(|e| StoreError::Internal(format!("cannot start the event packer: {e}")))?;
        Ok(Packer {
            shared,
            thread: Some(thread),
        })
    }

    fn help(shared: &(Mutex<Packing>, std::sync::Condvar)) {
        let (state, wake) = shared;
        let mut packing = lock(state);
        loop {
            let Some((place, pending)) = packing.waiting.pop_front() else {
                if packing.stop {
                    return;
                }
                packing.helper_asleep = true;
                packing = wake.wait(packing).unwrap_or_else(|p| p.into_inner());
                packing.helper_asleep = false;
                continue;
            };
            packing.busy += 1;
            drop(packing);
            let packed = pack_guarded(pending);
            packing = lock(state);
            packing.busy -= 1;
            packing.done.push((place, packed));
            if packing.writer_waiting {
                wake.notify_all();
            }
        }
    }

    fn pack(&mut self, pending: PendingEvents) {
        let (state, wake) = &*self.shared;
        let mut packing = lock(state);
        let place = packing.sent;
        packing.sent += 1;
        packing.waiting.push_back((place, pending));
        if packing.helper_asleep {
            wake.notify_all();
        }
    }

    /// Every row sent since the last call, in the order sent; an error when any could not be
    /// packed.
    fn collect(&mut self) -> Packed {
        let (state, wake) = &*self.shared;
        let mut packing = lock(state);
        let mine: Vec<_> = packing.waiting.drain(..).collect();
        drop(packing);
        let mut results: Vec<(usize, Packed)> = mine
            .into_iter()
            .map(|(place, pending)| (place, pack_guarded(pending)))
            .collect();
        packing = lock(state);
        while packing.busy > 0 {
            packing.writer_waiting = true;
            packing = wake.wait(packing).unwrap_or_else(|p| p.into_inner());
            packing.writer_waiting = false;
        }
        results.append(&mut packing.done);
        packing.sent = 0;
        drop(packing);
        results.sort_unstable_by_key(|(place, _)| *place);
        let mut rows = Vec::new();
        for (_, packed) in results {
            rows.extend(packed?);
        }
        Ok(rows)
    }

    fn stop(&mut self) {
        let (state, wake) = &*self.shared;
        lock(state).stop = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A job's events packed; a panic while rendering them is an error of the batch.
fn pack_guarded(pending: PendingEvents) -> Packed {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pending.pack()))
        .unwrap_or_else(|_| Err(StoreError::Internal("packing events panicked".into())))
}

/// A TEXT value as a `String`; SQLite does not check what it is given, so bytes that are not UTF-8
/// are replaced (U+FFFD). The strict check first: it is the common case and much cheaper than
/// the lossy walk (≈ 1 % of the writer's instructions in the register flow).
fn owned_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

struct SqliteDriver<'c> {
    conn: &'c Conn,
    counters: &'c Counters,
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Arg::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(v)),
            Arg::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(b))),
            Arg::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// The shared SQL numbers its parameters `$1`, `$2` …; SQLite reads `$1` as a *named* parameter
/// (numbered by first appearance), so they are rewritten to `?1`, `?2` …, which keep their number.
fn numbered(sql: &str) -> std::borrow::Cow<'_, str> {
    let bytes = sql.as_bytes();
    if !bytes
        .windows(2)
        .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
    {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|(_, n)| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl<'c> SqliteDriver<'c> {
    /// Counts the statement and hands out its prepared form and shape.
    fn prepared(&self, sql: &str) -> Result<(rusqlite::CachedStatement<'c>, Arc<Shape>)> {
        self.counters
            .statements
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let shape = self.conn.shape(sql)?;
        let statement = self
            .conn
            .connection
            .prepare_cached(&shape.sql)
            .map_err(sqlite_error)?;
        Ok((statement, shape))
    }
}

impl Driver for SqliteDriver<'_> {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let (mut statement, _) = self.prepared(sql)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(args.iter()))
            .map_err(sqlite_error)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Record>> {
        let (mut statement, shape) = self.prepared(sql)?;
        let names = shape.names.clone();
        let width = names.len();
        let mut rows = statement
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(sqlite_error)?;
        let mut records = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let mut vals = Vec::with_capacity(width);
            for i in 0..width {
                vals.push(match row.get_ref(i).map_err(sqlite_error)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Text(t) => Val::Text(owned_text(t)),
                    ValueRef::Real(r) => {
                        return Err(StoreError::Internal(format!("unexpected REAL value {r}")));
                    }
                    ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
                });
            }
            records.push(Record {
                names: names.clone(),
                vals,
            });
        }
        Ok(records)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        // Transaction control runs often: a single statement is prepared once and kept.
        if sql.contains(';') {
            return self
                .conn
                .connection
                .execute_batch(sql)
                .map_err(sqlite_error);
        }
        self.conn
            .connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map(drop)
            .map_err(sqlite_error)
    }
}

fn sqlite_error(err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &err {
        rusqlite::Error::SqliteFailure(e, message) => {
            let text = message.clone().unwrap_or_else(|| e.to_string());
            match e.code {
                ErrorCode::ConstraintViolation if matches!(e.extended_code, 1555 | 2067) => {
                    StoreError::Duplicate(text)
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    StoreError::Unavailable(text)
                }
                ErrorCode::CannotOpen => StoreError::Config(text),
                _ => StoreError::Internal(err.to_string()),
            }
        }
        _ => StoreError::Internal(err.to_string()),
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
include!("sql/admin.rs");
include!("sql/events.rs");
include!("sql/office.rs");

#[cfg(test)]
mod tests {
    use super::{Packer, numbered, owned_text};
    use crate::{EventRenderer, NewEvent, PendingEvents, StoreError, Tx};
    use std::sync::Arc;

    fn event(object_id: &str, data: Option<&str>) -> NewEvent {
        NewEvent {
            id: format!("EAC_{object_id}"),
            merchant_id: "MRC_1".into(),
            device_id: None,
            target: "smart.transactions",
            kind: "changed",
            object_id: object_id.to_owned(),
            created: 0,
            data: data.map(str::to_owned),
            object: None,
        }
    }

    /// Renders an event without data as its object id in quotes, and fails for `"broken"`.
    struct ById;
    impl EventRenderer for ById {
        fn render(&self, _: Option<&mut dyn Tx>, event: &NewEvent) -> Result<String, String> {
            match event.object_id.as_str() {
                "broken" => Err("no view".into()),
                id => Ok(format!("\"{id}\"")),
            }
        }
    }

    fn pending(events: Vec<NewEvent>) -> PendingEvents {
        PendingEvents::new(events, Some(Arc::new(ById)))
    }

    fn unpacked(rows: &[(NewEvent, Vec<u8>)]) -> Vec<(String, String)> {
        rows.iter()
            .map(|(e, packed)| {
                let data = crate::packing::unpack_text(packed).expect("unpacks");
                (e.object_id.clone(), data)
            })
            .collect()
    }

    #[test]
    fn packer_returns_every_jobs_events_rendered_and_packed_in_the_order_sent() {
        let mut packer = Packer::start().expect("starts");
        for round in 0..3 {
            for job in 0..20 {
                let id = format!("STX_{round}_{job}");
                packer.pack(pending(vec![
                    event(&id, None),
                    event("given", Some("{\"a\":1}")),
                ]));
            }
            let rows = packer.collect().expect("packed");
            let expected: Vec<(String, String)> = (0..20)
                .flat_map(|job| {
                    let id = format!("STX_{round}_{job}");
                    [
                        (id.clone(), format!("\"{id}\"")),
                        ("given".into(), "{\"a\":1}".into()),
                    ]
                })
                .collect();
            assert_eq!(unpacked(&rows), expected);
        }
        assert!(packer.collect().expect("nothing sent").is_empty());
        packer.stop();
    }

    #[test]
    fn packer_reports_an_event_it_cannot_render_and_goes_on_with_the_next_batch() {
        let mut packer = Packer::start().expect("starts");
        packer.pack(pending(vec![event("fine", None)]));
        packer.pack(pending(vec![event("broken", None)]));
        let failed = packer.collect();
        assert!(matches!(failed, Err(StoreError::Internal(ref m)) if m.contains("no view")));
        packer.pack(pending(vec![event("next", None)]));
        let rows = packer.collect().expect("the next batch packs");
        assert_eq!(
            unpacked(&rows),
            vec![("next".to_owned(), "\"next\"".to_owned())]
        );
        packer.stop();
    }

    #[test]
    fn text_values_are_kept_and_bytes_that_are_not_utf8_are_replaced() {
        assert_eq!(owned_text("Kaffee, 1,99 €".as_bytes()), "Kaffee, 1,99 €");
        assert_eq!(owned_text(b""), "");
        assert_eq!(owned_text(b"ab\xffcd"), "ab\u{FFFD}cd");
    }

    #[test]
    fn numbered_parameters_keep_their_number_and_json_paths_stay() {
        assert_eq!(
            numbered("SELECT x FROM t WHERE b = $2 AND a = $1 AND json_extract(d, '$.k') = $10"),
            "SELECT x FROM t WHERE b = ?2 AND a = ?1 AND json_extract(d, '$.k') = ?10"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
