//! Delivery of the transactional outbox (push.md §1). A write job's noted changes become outbox
//! rows at the end of its unit of work ([`Hub::flush`]), so an event exists exactly when its change
//! is committed. The relay of each process tails the numbered rows in `relay_pos` order and hands
//! them to this process's subscribers ([`crate::Store::subscribe_events`]): woken after a local
//! commit, by the PostgreSQL `NOTIFY` of another process's relay once it numbered rows (or of a
//! writer without a relay, such as an operator command), and by a poll as the last resort.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use crate::{Backend, EventRow, NewEvent, Result, Store, StoreError, Tx};

/// Renders the data of an event whose command left it to the end of the unit: the object's view as
/// the API shows it (the edge that owns the views installs it). From the object the command
/// carried on the event when there is one, which needs no unit, so that it can run off the
/// writer thread; otherwise from the object read again in `tx`.
pub trait EventRenderer: Send + Sync {
    fn render(
        &self,
        tx: Option<&mut dyn Tx>,
        event: &NewEvent,
    ) -> std::result::Result<String, String>;
}

/// A unit's events at its end, each with its data or the object to render it from: rendered and
/// packed later by [`PendingEvents::pack`] — on the SQLite writer's packing thread while the
/// writer runs the next jobs of its batch, inline on PostgreSQL.
pub struct PendingEvents {
    events: Vec<NewEvent>,
    renderer: Option<Arc<dyn EventRenderer>>,
}

impl PendingEvents {
    pub(crate) fn new(events: Vec<NewEvent>, renderer: Option<Arc<dyn EventRenderer>>) -> Self {
        PendingEvents { events, renderer }
    }

    /// The outbox rows: each event with its data, rendered if need be, packed.
    pub(crate) fn pack(self) -> Result<Vec<(NewEvent, Vec<u8>)>> {
        let renderer = self.renderer;
        self.events
            .into_iter()
            .map(|event| {
                let packed = match (&event.data, &renderer) {
                    (Some(data), _) => crate::packing::pack_text(data),
                    (None, Some(renderer)) => {
                        let data = renderer.render(None, &event).map_err(|e| {
                            StoreError::Internal(format!(
                                "event {} {}: {e}",
                                event.target, event.kind
                            ))
                        })?;
                        crate::packing::pack_text(&data)
                    }
                    (None, None) => crate::packing::pack_text("null"),
                };
                Ok((event, packed))
            })
            .collect()
    }
}

/// An event as the relay hands it on: the row, and its encoding for the wire, made once by the
/// first subscriber that sends it and shared by all the others (a fan-out to a thousand
/// connections encodes each event once).
#[derive(Debug)]
pub struct Relayed {
    pub row: EventRow,
    encoded: OnceLock<Arc<[u8]>>,
}

impl Relayed {
    /// A row not encoded yet.
    pub fn new(row: EventRow) -> Relayed {
        Relayed {
            row,
            encoded: OnceLock::new(),
        }
    }

    /// The encoding of the event, made by `encode` the first time it is asked for.
    pub fn encoded(&self, encode: impl FnOnce(&EventRow) -> Vec<u8>) -> Arc<[u8]> {
        self.encoded
            .get_or_init(|| Arc::from(encode(&self.row)))
            .clone()
    }
}

/// Events a subscriber may fall behind by before it is told it lagged (and must resume from the
/// outbox, or is closed as a slow consumer).
const FEED_CAPACITY: usize = 4096;
/// Rows one relay read hands on at most.
const RELAY_BATCH: i64 = 1000;
/// Rows the relay numbers in one unit at most.
pub(crate) const NUMBER_BATCH: i64 = 1000;
/// How long the relay lets a burst of commits gather after a wake-up, so that one unit numbers
/// and one read hands on all of them (instead of one per commit at thousands per second).
const RELAY_GATHER: Duration = Duration::from_millis(5);

pub(crate) struct Hub {
    renderer: OnceLock<Arc<dyn EventRenderer>>,
    /// Woken after a local commit that wrote events, and by a `NOTIFY` of another process.
    pub(crate) wake: Arc<Notify>,
    feed: broadcast::Sender<Arc<Relayed>>,
    relay_started: AtomicBool,
    /// Statements the relay's jobs ran.
    pub(crate) relay_statements: AtomicU64,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            renderer: OnceLock::new(),
            wake: Arc::new(Notify::new()),
            feed: broadcast::channel(FEED_CAPACITY).0,
            relay_started: AtomicBool::new(false),
            relay_statements: AtomicU64::new(0),
        }
    }
}

impl Hub {
    /// Writes the unit's noted changes to the outbox — a change of an object whose view is the
    /// data once per target, kind and object (the view is the state at the end of the unit), an
    /// event with data of its own (a terminal message) every time; true when it wrote any. An
    /// event whose object was neither handed over nor given data is rendered from the object
    /// read now, in the unit; the others are rendered and packed by [`EventTx::write_events`].
    pub(crate) fn flush(&self, tx: &mut dyn Tx) -> Result<bool> {
        let mut pending = tx.take_pending_events();
        if pending.is_empty() {
            return Ok(false);
        }
        let mut seen = std::collections::HashSet::new();
        pending
            .retain(|e| e.data.is_some() || seen.insert((e.target, e.kind, e.object_id.clone())));
        let renderer = self.renderer.get();
        for event in pending.iter_mut().filter(|e| e.wants_object()) {
            let data = match renderer {
                Some(renderer) => renderer.render(Some(&mut *tx), event).map_err(|e| {
                    StoreError::Internal(format!("event {} {}: {e}", event.target, event.kind))
                })?,
                None => "null".to_owned(),
            };
            event.data = Some(data);
        }
        tx.write_events(PendingEvents::new(pending, renderer.cloned()))?;
        // A server's writer wakes its own relay after the commit (`Store::write`).
        if !self.relay_started.load(Ordering::SeqCst) {
            tx.wake_relays_at_commit()?;
        }
        Ok(true)
    }
}

impl Store {
    /// Installs the renderer of event data (once; later calls are ignored).
    pub fn set_event_renderer(&self, renderer: Arc<dyn EventRenderer>) {
        let _ = self.hub.renderer.set(renderer);
    }

    /// The events this process's relay hands on, from now on, in delivery order. A receiver that
    /// lags gets `RecvError::Lagged` and resumes from the outbox by `seq`.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<Relayed>> {
        self.hub.feed.subscribe()
    }

    /// Starts this process's relay (once): it numbers committed outbox rows (PostgreSQL, one
    /// process at a time) and hands every newly numbered row to the subscribers. `poll` bounds how
    /// late a row written by another process without a wake-up is seen.
    pub fn start_event_relay(&self, poll: Duration) {
        if self.hub.relay_started.swap(true, Ordering::SeqCst) {
            return;
        }
        self.engine.listen(self.hub.wake.clone());
        let store = self.clone();
        tokio::spawn(async move { store.relay(poll).await });
    }

    async fn relay(self, poll: Duration) {
        let mut last = loop {
            match self.read(|tx| tx.last_relay_pos()).await {
                Ok(pos) => break pos,
                Err(e) => {
                    tracing::warn!(error = %e, "the event relay cannot read the outbox yet");
                    tokio::time::sleep(poll).await;
                }
            }
        };
        loop {
            tokio::select! {
                () = self.hub.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
            tokio::time::sleep(RELAY_GATHER).await;
            if let Err(e) = self.relay_once(&mut last).await {
                tracing::warn!(error = %e, "the event relay failed; it retries");
            }
        }
    }

    async fn relay_once(&self, last: &mut i64) -> Result<()> {
        // SQLite numbers rows as they are inserted; only PostgreSQL's wait for the relay.
        while self.backend() == Backend::Postgres {
            let numbered = self.relay_job(true, |tx| tx.number_events()).await?;
            if numbered < NUMBER_BATCH as u64 {
                break;
            }
        }
        // Nobody to hand rows on to: `last` stays where it is, and the first subscriber to come is
        // handed on everything from there (a stream dedupes by number).
        if self.hub.feed.receiver_count() == 0 {
            return Ok(());
        }
        loop {
            let after = *last;
            let rows = self
                .relay_job(false, move |tx| tx.events_after(after, RELAY_BATCH))
                .await?;
            let full = rows.len() as i64 == RELAY_BATCH;
            for row in rows {
                *last = row.relay_pos;
                // No subscriber is not an error: the row stays in the outbox for resumes.
                let _ = self.hub.feed.send(Arc::new(Relayed::new(row)));
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Runs one job of the relay (a write or a read) and counts its statements as the relay's.
    async fn relay_job<T: Send + 'static>(
        &self,
        write: bool,
        job: impl FnOnce(&mut dyn Tx) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let counted = move |tx: &mut dyn Tx| {
            tx.count_as_relay();
            job(tx).map(|value| (value, tx.statements_run()))
        };
        let (value, statements) = if write {
            self.write(counted).await?
        } else {
            self.read(counted).await?
        };
        self.hub
            .relay_statements
            .fetch_add(statements, Ordering::Relaxed);
        Ok(value)
    }
}
