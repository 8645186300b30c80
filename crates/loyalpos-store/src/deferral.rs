//! Deferred commits: every write unit of work opened inside a [`Deferral`] scope shares one database
//! transaction that is committed only after the scope, by whoever owns the deferral.
//!
//! Why: a request's effect and the record of its answer (`Idempotency-Key`) must become durable
//! together, or a crash between two commits leaves an effect whose answer is lost. Handlers keep
//! their plain "write, commit, render" shape; inside the scope `commit` parks the unit instead of
//! committing, a later `read` or `write` of the same request is lent the parked unit (so it sees the
//! request's own writes, and SQLite's single writer is not asked for twice), and the owner takes the
//! parked unit after the scope, adds its last writes and commits it for real.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{StoreError, Tx};

tokio::task_local! {
    static ACTIVE: Arc<Deferral>;
}

/// The shared unit of work of one scope (one request).
#[derive(Default)]
pub struct Deferral {
    state: Mutex<State>,
}

/// Never drop a unit of work while holding the lock: its `Drop` asks for the lock again.
#[derive(Default)]
struct State {
    parked: Option<Box<dyn Tx>>,
    lent: Option<Lent>,
    /// A unit lent for writing was dropped without commit: its writes may be half done.
    abandoned: bool,
    closed: bool,
}

/// What a parked unit was lent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lent {
    Read,
    Write,
}

/// What a scope left behind, taken by [`Deferral::close`].
pub enum Deferred {
    /// Nothing was committed in the scope.
    Nothing,
    /// Everything the scope committed, not yet durable: `commit` it to make it so, drop it to undo it.
    Parked(Box<dyn Tx>),
    /// A unit lent for writing was dropped without commit, so the scope's work may be partial; it has
    /// been rolled back as a whole.
    Abandoned,
}

impl Deferral {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Runs `f` with deferred commits.
    pub async fn scope<F: Future>(self: &Arc<Self>, f: F) -> F::Output {
        ACTIVE.scope(self.clone(), f).await
    }

    /// Ends the deferral (later commits of its units are real ones) and hands out what it holds.
    pub fn close(&self) -> Deferred {
        let (parked, abandoned) = {
            let mut state = self.lock();
            state.closed = true;
            (state.parked.take(), state.abandoned)
        };
        // Dropped (rolled back) only here: a unit's drop asks this deferral's lock.
        match parked {
            _ if abandoned => Deferred::Abandoned,
            Some(tx) => Deferred::Parked(tx),
            None => Deferred::Nothing,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The deferral of the running scope, if any.
    pub(crate) fn active() -> Option<Arc<Deferral>> {
        ACTIVE.try_with(Arc::clone).ok()
    }

    /// True while commits of this deferral's units park instead of committing.
    pub(crate) fn is_open(&self) -> bool {
        !self.lock().closed
    }

    /// The running scope's parked unit, lent for `purpose`; `None` outside a scope or when nothing
    /// is parked (the caller then opens a fresh unit).
    pub(crate) fn lend_active(purpose: Lent) -> Result<Option<Box<dyn Tx>>, StoreError> {
        match Self::active() {
            Some(deferral) => deferral.lend(purpose),
            None => Ok(None),
        }
    }

    /// Lends the parked unit, if there is one. While it is lent, the request may not open another
    /// unit that writes: on SQLite it would wait forever for the writer the lent unit holds.
    fn lend(&self, purpose: Lent) -> Result<Option<Box<dyn Tx>>, StoreError> {
        let mut state = self.lock();
        if state.lent.is_some() && purpose == Lent::Write {
            return Err(StoreError::Internal(
                "a request opened a second unit of work while its first one was still open".into(),
            ));
        }
        let parked = state.parked.take();
        if parked.is_some() {
            state.lent = Some(purpose);
        }
        Ok(parked)
    }

    /// Parks a committed unit until the scope's owner commits it.
    pub(crate) fn park(&self, tx: Box<dyn Tx>) {
        let displaced = {
            let mut state = self.lock();
            state.lent = None;
            state.parked.replace(tx)
        };
        drop(displaced);
    }

    /// Whether a unit of this deferral that is dropped without commit goes back to the parking place
    /// (it was lent) or rolls back as usual (it is a fresh unit, or the deferral is closed).
    pub(crate) fn takes_back(&self) -> bool {
        let state = self.lock();
        !state.closed && state.lent.is_some()
    }

    /// Takes back a lent unit dropped without commit.
    pub(crate) fn put_back(&self, tx: Box<dyn Tx>) {
        let displaced = {
            let mut state = self.lock();
            if state.lent.take() == Some(Lent::Write) {
                state.abandoned = true;
            }
            state.parked.replace(tx)
        };
        drop(displaced);
    }
}
