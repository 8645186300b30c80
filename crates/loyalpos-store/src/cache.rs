//! Per-process caches of what nearly every request reads and rarely changes: access tokens,
//! merchants, stores, card groups (with their bonus programmes) and devices.
//!
//! The rule (README "Caches"): a change is effective at once in the process that made it — a job
//! that writes a cached row drops it from the cache when it writes it, reads it uncached for the
//! rest of the job, and drops it again once the job's commit is durable — and within one second in
//! every other process (PostgreSQL with several processes, or an operator command on the same
//! SQLite file), because no entry is used longer than [`MAX_AGE`]. Absent rows are never cached.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{CardgroupRow, DeviceRow, MerchantRow, StoreRow, TokenRow};

pub(crate) const MAX_AGE: Duration = Duration::from_secs(1);
/// Entries per kind; a full map is emptied (simple, and the hot set refills at once).
const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Token,
    Merchant,
    Store,
    Cardgroup,
    Device,
}

/// What a job wrote of the cached kinds.
#[derive(Default)]
pub(crate) struct Dirty {
    keys: HashSet<(Kind, String)>,
    /// Tokens were revoked by something other than their key (e.g. by authorisation).
    all_tokens: bool,
}

impl Dirty {
    fn covers(&self, kind: Kind, key: &str) -> bool {
        (kind == Kind::Token && self.all_tokens) || self.keys.contains(&(kind, key.to_owned()))
    }
    pub fn absorb(&mut self, other: Dirty) {
        self.keys.extend(other.keys);
        self.all_tokens |= other.all_tokens;
    }
}

struct Entry<T> {
    row: T,
    fetched: Instant,
}

pub(crate) struct Map<T>(Mutex<HashMap<String, Entry<T>>>);

impl<T: Clone> Map<T> {
    fn new() -> Self {
        Map(Mutex::new(HashMap::new()))
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn get(&self, key: &str) -> Option<T> {
        let map = self.lock();
        let entry = map.get(key)?;
        (entry.fetched.elapsed() < MAX_AGE).then(|| entry.row.clone())
    }
    fn put(&self, key: &str, row: &T) {
        let mut map = self.lock();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(
            key.to_owned(),
            Entry {
                row: row.clone(),
                fetched: Instant::now(),
            },
        );
    }
    fn forget(&self, key: &str) {
        self.lock().remove(key);
    }
    fn clear(&self) {
        self.lock().clear();
    }
}

pub(crate) struct Cache {
    tokens: Map<TokenRow>,
    merchants: Map<MerchantRow>,
    stores: Map<StoreRow>,
    cardgroups: Map<CardgroupRow>,
    devices: Map<DeviceRow>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// A row type kept in the cache.
pub(crate) trait Cached: Clone + Sized {
    const KIND: Kind;
    fn map(cache: &Cache) -> &Map<Self>;
}

macro_rules! cached {
    ($row:ty, $kind:ident, $field:ident) => {
        impl Cached for $row {
            const KIND: Kind = Kind::$kind;
            fn map(cache: &Cache) -> &Map<Self> {
                &cache.$field
            }
        }
    };
}
cached!(TokenRow, Token, tokens);
cached!(MerchantRow, Merchant, merchants);
cached!(StoreRow, Store, stores);
cached!(CardgroupRow, Cardgroup, cardgroups);
cached!(DeviceRow, Device, devices);

impl Cache {
    pub fn new() -> Self {
        Cache {
            tokens: Map::new(),
            merchants: Map::new(),
            stores: Map::new(),
            cardgroups: Map::new(),
            devices: Map::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cached row, unless this job wrote it; else reads it with `load` and keeps it.
    pub fn through<T: Cached>(
        &self,
        dirty: &Dirty,
        key: &str,
        load: impl FnOnce() -> crate::Result<Option<T>>,
    ) -> crate::Result<Option<T>> {
        if dirty.covers(T::KIND, key) {
            return load();
        }
        if let Some(row) = T::map(self).get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(row));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let row = load()?;
        if let Some(row) = &row {
            T::map(self).put(key, row);
        }
        Ok(row)
    }

    /// The cached row, if it is fresh (no database access at all).
    pub fn peek<T: Cached>(&self, key: &str) -> Option<T> {
        let row = T::map(self).get(key);
        if row.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        row
    }

    /// A job writes this row: forget it now and remember it for after the commit.
    pub fn wrote(&self, dirty: &mut Dirty, kind: Kind, key: &str) {
        self.forget_one(kind, key);
        dirty.keys.insert((kind, key.to_owned()));
    }

    /// A job revokes tokens it cannot name by key.
    pub fn revoked_tokens(&self, dirty: &mut Dirty) {
        self.tokens.clear();
        dirty.all_tokens = true;
    }

    /// After a commit: what the committed jobs wrote is read afresh from now on.
    pub fn forget(&self, dirty: &Dirty) {
        if dirty.all_tokens {
            self.tokens.clear();
        }
        for (kind, key) in &dirty.keys {
            self.forget_one(*kind, key);
        }
    }

    fn forget_one(&self, kind: Kind, key: &str) {
        match kind {
            Kind::Token => self.tokens.forget(key),
            Kind::Merchant => self.merchants.forget(key),
            Kind::Store => self.stores.forget(key),
            Kind::Cardgroup => self.cardgroups.forget(key),
            Kind::Device => self.devices.forget(key),
        }
    }
}
