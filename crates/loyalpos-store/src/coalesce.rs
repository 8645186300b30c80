//! A SQLite VFS that coalesces the writer's WAL appends: a commit writes each page as two `pwrite`s
//! (the frame's 24-byte header, then the page), ~170 system calls for a batch of 14 jobs. This shim
//! over the platform's VFS keeps the appends in memory and hands them to the file in a few large
//! writes when SQLite syncs, reads, sizes, truncates or closes the WAL — measured on this machine,
//! a commit of 86 frames costs 343 µs of CPU as separate writes and 145 µs as writes of 124 KB
//! (BENCHMARKS.md, "coalescing the WAL's writes").
//!
//! Why this is safe: SQLite makes a commit's frames visible to readers (the wal-index header) only
//! after it has synced the WAL, and with `synchronous = FULL` (every loyalpos connection) it syncs
//! at every commit; the sync writes the buffered frames first, so no reader, checkpoint or crash
//! recovery can see a frame that is still in memory, and a crash before the sync loses only a
//! commit that was never acknowledged. A write that does not continue the buffered run (SQLite
//! rewriting a frame of the open transaction in place) writes the buffer out first, so the file
//! sees every write in SQLite's order. Frames of a transaction that ends without a sync (a rollback
//! after SQLite spilled pages) are written out before the connection lets go of the WAL's write
//! lock, while it still holds it, as SQLite itself would have written them: a buffer is empty
//! whenever the connection is outside a write transaction. Only the WAL is buffered; every other
//! file, and every other method, goes straight to the platform's VFS. The writer connection alone
//! opens through it.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::{Mutex, OnceLock};

use rusqlite::ffi;

/// The name the writer's connection opens its database with.
pub(crate) const VFS_NAME: &str = "loyalpos-coalesce";
const VFS_NAME_C: &CStr = c"loyalpos-coalesce";

/// The most the unix VFS writes in one call: it masks a write's length to 17 bits (`seekAndWriteFd`).
const MAX_WRITE: usize = 0x1f000;

/// Buffered bytes after which the run is written out even before a sync (a very large transaction).
const MAX_PENDING: usize = 1 << 20;

/// Registers the VFS once per process; the error says why it could not be.
pub(crate) fn register() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register_once).clone()
}

fn register_once() -> Result<(), String> {
    // SAFETY: sqlite3_vfs_find initialises SQLite and returns the default VFS, which lives for the
    // whole process; the VFS registered here is leaked, so it lives as long.
    unsafe {
        let platform = ffi::sqlite3_vfs_find(std::ptr::null());
        if platform.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        let mut vfs = *platform;
        vfs.szOsFile = c_int::try_from(REAL_OFFSET)
            .ok()
            .and_then(|own| own.checked_add((*platform).szOsFile))
            .ok_or("the platform VFS's file is too large")?;
        vfs.pNext = std::ptr::null_mut();
        vfs.zName = VFS_NAME_C.as_ptr();
        vfs.pAppData = platform.cast();
        vfs.xOpen = Some(open);
        // The platform's other methods are kept as they are: none of them reads the VFS object it
        // is called with (the unix VFS reads its own `pAppData` only in xOpen, called below with
        // its own object).
        let rc = ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0);
        if rc != ffi::SQLITE_OK {
            return Err(format!("cannot register the {VFS_NAME} VFS (code {rc})"));
        }
    }
    Ok(())
}

/// Our file: SQLite allocates `szOsFile` bytes for it, the platform's file follows at `REAL_OFFSET`.
#[repr(C)]
struct CoalescingFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// The WAL's buffered run; null for every other file.
    pending: *mut Pending,
    /// A database file's WAL (while open), or a WAL's database file: the database file's shared-memory
    /// unlock of the write lock writes its WAL's run out first.
    partner: *mut CoalescingFile,
}

/// The open database files by the address of their name, which SQLite also hands, through
/// `sqlite3_filename_database`, with the name of each one's WAL.
static DATABASE_FILES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// The shared-memory lock slot SQLite's WAL writer holds for a whole write transaction.
const WAL_WRITE_LOCK: c_int = 0;

/// Bytes written by SQLite at `start..start + bytes.len()`, not yet handed to the file.
struct Pending {
    start: i64,
    bytes: Vec<u8>,
}

const REAL_OFFSET: usize = std::mem::size_of::<CoalescingFile>().next_multiple_of(16);

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite hands us `szOsFile` zeroed bytes at `file` and our own VFS object, whose
    // `pAppData` is the platform VFS (set in `register_once`).
    unsafe {
        let platform = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
        let ours = file.cast::<CoalescingFile>();
        let real = file
            .cast::<u8>()
            .add(REAL_OFFSET)
            .cast::<ffi::sqlite3_file>();
        (*ours).real = real;
        (*ours).pending = std::ptr::null_mut();
        (*ours).partner = std::ptr::null_mut();
        let Some(platform_open) = (*platform).xOpen else {
            (*ours).base.pMethods = std::ptr::null();
            return ffi::SQLITE_CANTOPEN;
        };
        let rc = platform_open(platform, name, real, flags, out_flags);
        // SQLite closes a file whose methods are set even when the open failed: ours forward the
        // close whenever the platform's file has methods to close it with.
        (*ours).base.pMethods = if (*real).pMethods.is_null() {
            std::ptr::null()
        } else {
            &METHODS
        };
        if rc != ffi::SQLITE_OK || name.is_null() {
            return rc;
        }
        if flags & ffi::SQLITE_OPEN_MAIN_DB != 0 {
            database_files().push((name as usize, ours as usize));
        } else if flags & ffi::SQLITE_OPEN_WAL != 0 {
            link_wal(ours, ffi::sqlite3_filename_database(name));
        }
        rc
    }
}

fn database_files() -> std::sync::MutexGuard<'static, Vec<(usize, usize)>> {
    DATABASE_FILES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Gives a freshly opened WAL its buffer, and links it with its database file.
///
/// # Safety
/// `wal` is a file `open` just opened; the database files registered are open.
unsafe fn link_wal(wal: *mut CoalescingFile, database_name: *const c_char) {
    let database = database_files()
        .iter()
        .find(|(name, _)| *name == database_name as usize)
        .map(|&(_, file)| file as *mut CoalescingFile);
    // Without its database file in this VFS nobody would write a rolled-back run out under the
    // lock, so such a WAL is not buffered.
    let Some(database) = database else {
        return;
    };
    // SAFETY: both files are open; SQLite closes a WAL before its database file.
    unsafe {
        (*wal).pending = Box::into_raw(Box::new(Pending {
            start: 0,
            bytes: Vec::with_capacity(MAX_PENDING),
        }));
        (*wal).partner = database;
        (*database).partner = wal;
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// The platform's file and its methods behind one of ours.
///
/// # Safety
/// `file` must be a `CoalescingFile` opened by `open` with methods set.
unsafe fn platform(
    file: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    // SAFETY: per the contract above, `real` points at an open platform file whose methods object
    // is static in SQLite.
    unsafe {
        let real = (*file.cast::<CoalescingFile>()).real;
        (real, &*(*real).pMethods)
    }
}

/// Hands the buffered run to the file (a no-op for other files and an empty buffer).
///
/// # Safety
/// As for `platform`.
unsafe fn write_out(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: `pending` is null or the Box made in `open`, used by one connection at a time.
    unsafe {
        let pending = (*file.cast::<CoalescingFile>()).pending;
        if pending.is_null() || (*pending).bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        let (real, methods) = platform(file);
        let Some(platform_write) = methods.xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let bytes = &mut (*pending).bytes;
        let mut rc = ffi::SQLITE_OK;
        let mut offset = (*pending).start;
        for chunk in bytes.chunks(MAX_WRITE) {
            // A chunk is below MAX_WRITE, so its length fits a c_int.
            rc = platform_write(real, chunk.as_ptr().cast(), chunk.len() as c_int, offset);
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        // Written or failed, the run is done with: a failed write fails the sync that follows, so
        // SQLite rolls the commit back and the frames are never used.
        bytes.clear();
        rc
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes an opened file once; `pending` is released here and never used again.
    unsafe {
        let written = write_out(file);
        let (real, methods) = platform(file);
        let closed = methods.xClose.map_or(ffi::SQLITE_OK, |f| f(real));
        let ours = file.cast::<CoalescingFile>();
        if !(*ours).pending.is_null() {
            drop(Box::from_raw((*ours).pending));
            (*ours).pending = std::ptr::null_mut();
        } else {
            database_files().retain(|&(_, f)| f != ours as usize);
        }
        if !(*ours).partner.is_null() {
            (*(*ours).partner).partner = std::ptr::null_mut();
            (*ours).partner = std::ptr::null_mut();
        }
        if written != ffi::SQLITE_OK {
            written
        } else {
            closed
        }
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite passes `amount` readable bytes at `data`; see `platform` and `write_out`.
    unsafe {
        let pending = (*file.cast::<CoalescingFile>()).pending;
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        if pending.is_null() {
            let (real, methods) = platform(file);
            return methods
                .xWrite
                .map_or(ffi::SQLITE_IOERR_WRITE, |f| f(real, data, amount, offset));
        }
        let run_end = (*pending).start + (*pending).bytes.len() as i64;
        if !(*pending).bytes.is_empty() && offset != run_end {
            let rc = write_out(file);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if (*pending).bytes.is_empty() {
            (*pending).start = offset;
        }
        (*pending)
            .bytes
            .extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), len));
        if (*pending).bytes.len() >= MAX_PENDING {
            return write_out(file);
        }
        ffi::SQLITE_OK
    }
}

/// Forwards a method after writing the buffered run out, so that the file the platform sees is the
/// file SQLite wrote.
macro_rules! after_write_out {
    ($name:ident, $method:ident, $missing:expr, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            // SAFETY: see `platform` and `write_out`; the arguments are SQLite's, passed on.
            unsafe {
                let rc = write_out(file);
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
                let (real, methods) = platform(file);
                methods.$method.map_or($missing, |f| f(real, $($arg),*))
            }
        }
    };
}

/// Forwards a method that neither reads nor writes the file's bytes.
macro_rules! forward {
    ($name:ident, $method:ident, $ret:ty, $missing:expr, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> $ret {
            // SAFETY: see `platform`; the arguments are SQLite's, passed on.
            unsafe {
                let (real, methods) = platform(file);
                methods.$method.map_or($missing, |f| f(real, $($arg),*))
            }
        }
    };
}

after_write_out!(read, xRead, ffi::SQLITE_IOERR_READ, (buf: *mut c_void, amount: c_int, offset: i64));
after_write_out!(truncate, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, (size: i64));
after_write_out!(sync, xSync, ffi::SQLITE_IOERR_FSYNC, (flags: c_int));
after_write_out!(file_size, xFileSize, ffi::SQLITE_IOERR_FSTAT, (size: *mut i64));
after_write_out!(file_control, xFileControl, ffi::SQLITE_NOTFOUND, (op: c_int, arg: *mut c_void));
forward!(lock, xLock, c_int, ffi::SQLITE_IOERR_LOCK, (level: c_int));
forward!(unlock, xUnlock, c_int, ffi::SQLITE_IOERR_UNLOCK, (level: c_int));
forward!(check_reserved_lock, xCheckReservedLock, c_int, ffi::SQLITE_IOERR_CHECKRESERVEDLOCK, (out: *mut c_int));
forward!(sector_size, xSectorSize, c_int, 4096, ());
forward!(device_characteristics, xDeviceCharacteristics, c_int, 0, ());
forward!(shm_map, xShmMap, c_int, ffi::SQLITE_IOERR_SHMMAP, (region: c_int, size: c_int, extend: c_int, out: *mut *mut c_void));
forward!(shm_unmap, xShmUnmap, c_int, ffi::SQLITE_OK, (delete: c_int));
forward!(unfetch, xUnfetch, c_int, ffi::SQLITE_OK, (offset: i64, page: *mut c_void));

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: see `platform`.
    unsafe {
        let (real, methods) = platform(file);
        if let Some(f) = methods.xShmBarrier {
            f(real);
        }
    }
}

/// Before a database file's connection lets go of the WAL's write lock, its WAL's run is written out
/// (empty after a commit, which synced; the frames of a rolled-back transaction otherwise).
unsafe extern "C" fn shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    // SAFETY: see `platform`; `partner` is an open WAL or null (unlinked when either closes).
    unsafe {
        let wal = (*file.cast::<CoalescingFile>()).partner;
        if flags & ffi::SQLITE_SHM_UNLOCK != 0
            && offset <= WAL_WRITE_LOCK
            && WAL_WRITE_LOCK < offset + n
            && !wal.is_null()
        {
            // The unlock goes ahead whatever the write says: SQLite ignores an unlock's code, and
            // a failed write leaves only uncommitted frames unwritten.
            let _ = write_out(wal.cast());
        }
        let (real, methods) = platform(file);
        methods
            .xShmLock
            .map_or(ffi::SQLITE_IOERR_SHMLOCK, |f| f(real, offset, n, flags))
    }
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: see `platform` and `write_out`; SQLite passes a valid `out`.
    unsafe {
        *out = std::ptr::null_mut();
        let rc = write_out(file);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        let (real, methods) = platform(file);
        methods
            .xFetch
            .map_or(ffi::SQLITE_OK, |f| f(real, offset, amount, out))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    fn open(path: &std::path::Path, coalescing: bool) -> Connection {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let c = if coalescing {
            super::register().unwrap();
            Connection::open_with_flags_and_vfs(path, flags, super::VFS_NAME).unwrap()
        } else {
            Connection::open_with_flags(path, flags).unwrap()
        };
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .unwrap();
        c
    }

    fn rows(c: &Connection) -> (i64, i64) {
        c.query_row(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(b)), 0) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    fn integrity(c: &Connection) -> String {
        c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    fn insert(c: &Connection, n: i64, size: i64) {
        c.execute(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1) \
             INSERT INTO t (b) SELECT randomblob(?2) FROM k",
            [n, size],
        )
        .unwrap();
    }

    #[test]
    fn commits_larger_than_one_write_are_whole_for_other_connections_and_after_reopening() {
        let dir = tempfile_dir();
        let path = dir.join("big.db");
        let writer = open(&path, true);
        writer.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        // 3 MB in one commit: several buffer write-outs, each in several chunks.
        insert(&writer, 3000, 1000);
        let other = open(&path, false);
        assert_eq!(rows(&other), (3000, 3_000_000));
        assert_eq!(integrity(&other), "ok");
        drop((writer, other));
        let reopened = open(&path, false);
        assert_eq!(rows(&reopened), (3000, 3_000_000));
        assert_eq!(integrity(&reopened), "ok");
    }

    #[test]
    fn frames_of_a_rolled_back_spill_never_overwrite_another_connections_commit() {
        let dir = tempfile_dir();
        let path = dir.join("spill.db");
        let coalescing = open(&path, true);
        coalescing
            .execute_batch("CREATE TABLE t (b BLOB); PRAGMA cache_size = 5;")
            .unwrap();
        insert(&coalescing, 10, 100);
        // Every page in the database file, none in the WAL: the rollback below reads nothing from
        // the WAL (a read would write the buffer out on its own).
        coalescing
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        // A transaction too large for a cache of 5 pages spills uncommitted frames into the WAL
        // buffer, then rolls back.
        coalescing.execute_batch("BEGIN").unwrap();
        insert(&coalescing, 200, 1000);
        coalescing.execute_batch("ROLLBACK").unwrap();
        // Another connection commits more frames than the spill at the same offsets of the WAL…
        let other = open(&path, false);
        insert(&other, 400, 1000);
        // …which the coalescing connection then reads (and writes after) intact.
        assert_eq!(rows(&coalescing), (410, 10 * 100 + 400 * 1000));
        insert(&coalescing, 5, 10);
        assert_eq!(rows(&other), (415, 10 * 100 + 400 * 1000 + 5 * 10));
        assert_eq!(integrity(&coalescing), "ok");
        assert_eq!(integrity(&other), "ok");
    }

    /// A fresh directory under the system's temp dir, unique per test and process, removed at drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn join(&self, name: &str) -> std::path::PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tempfile_dir() -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "loyalpos-coalesce-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}
