//! Events at the edge (push.md): the renderer of event data (the object's view, as GET answers
//! it), the event object every channel sends, and the HTTP event stream `GET /api/v2/events`
//! (Server-Sent Events, §3). Who sees an event is the application's rule
//! ([`loyalpos_app::events::visible_to`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use loyalpos_app::clock::Clock;
use loyalpos_app::event_objects::{EventObject, object_of};
use loyalpos_app::events::{TARGETS, visible_to};
use loyalpos_app::{ApiError, ApiResult, Principal};
use loyalpos_store::{EventRenderer, EventRow, MerchantId, NewEvent, Relayed, Store, Tx};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::app::{App, Req};
use crate::auth;
use crate::devices::device_view;
use crate::loyalty::views::{ltx_view, render_merchantcard};
use crate::smart::{ShownStx, view};

/// A comment line this often keeps proxies from closing an idle stream (push.md §3).
const PING_EVERY: Duration = Duration::from_secs(15);
/// How often a stream's token is checked again: an expired or revoked token ends the stream.
const TOKEN_RECHECK: Duration = Duration::from_secs(5);
/// Events read from the outbox per query while a stream catches up.
const PAGE: i64 = 500;
/// Frames a stream buffers for a client that reads slowly, before it waits for it.
const STREAM_BUFFER: usize = 64;

/// Renders event data with the API's views (installed on the store by `serve`).
pub struct Views {
    pub clock: Clock,
}

impl EventRenderer for Views {
    fn render(&self, tx: Option<&mut dyn Tx>, event: &NewEvent) -> Result<String, String> {
        let shown = event
            .object
            .as_ref()
            .and_then(|c| c.0.downcast_ref::<ShownStx>());
        if let Some(shown) = shown {
            return shown.json(&self.clock).map(str::to_owned);
        }
        let carried = event
            .object
            .as_ref()
            .and_then(|c| c.0.downcast_ref::<EventObject>());
        let read;
        let object = match (carried, tx) {
            (Some(object), _) => object,
            (None, Some(tx)) => {
                read = object_of(tx, event).map_err(|e| e.internal.unwrap_or(e.details))?;
                &read
            }
            (None, None) => return Err("its object was neither carried nor can be read".into()),
        };
        let clock = &self.clock;
        let json = match object {
            EventObject::SmartTransaction(stx) => serde_json::to_string(&view::render(clock, stx)),
            EventObject::LoyaltyTransaction(ltx) => serde_json::to_string(&ltx_view(clock, ltx)),
            EventObject::Merchantcard(card) => {
                serde_json::to_string(&render_merchantcard(clock, card))
            }
            EventObject::Device(device) => {
                serde_json::to_string(&device_view(clock, device.as_ref().clone()))
            }
        };
        json.map_err(|e| e.to_string())
    }
}

/// The event object (push.md §1) as every channel sends it.
pub fn event_json(clock: &Clock, event: &EventRow) -> String {
    #[derive(Serialize)]
    struct Envelope<'a> {
        object: &'static str,
        id: &'a str,
        created: String,
        target: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        data: &'a serde_json::value::RawValue,
    }
    let null = serde_json::value::RawValue::NULL;
    let data = serde_json::from_str::<&serde_json::value::RawValue>(&event.data).unwrap_or(null);
    let envelope = Envelope {
        object: "event.actions",
        id: &event.id,
        created: clock.render(event.created),
        target: &event.target,
        kind: &event.kind,
        data,
    };
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// The targets a client asked for (`?target=a,b`); `None`: every target.
pub fn parse_targets(list: &str) -> ApiResult<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(
            |t| match TARGETS.iter().find(|known| known.eq_ignore_ascii_case(t)) {
                Some(known) => Ok((*known).to_owned()),
                None => Err(ApiError::bad_request(format!(
                    "target: unknown event target {t} (known: {})",
                    TARGETS.join(", ")
                ))),
            },
        )
        .collect()
}

/// What a stream sends: the caller's visible events of the asked targets.
struct Selection {
    caller: Principal,
    targets: Option<Vec<String>>,
}

impl Selection {
    fn wants(&self, event: &EventRow) -> bool {
        visible_to(&self.caller, event)
            && self
                .targets
                .as_ref()
                .is_none_or(|t| t.contains(&event.target))
    }
}

#[derive(serde::Deserialize, Default)]
struct StreamQuery {
    after: Option<String>,
    target: Option<String>,
}

/// `GET /api/v2/events` (push.md §3).
pub async fn stream(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let query: StreamQuery = serde_urlencoded::from_str(&req.query)
        .map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    let resume_header = req
        .headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let resume = match resume_header.or(query.after) {
        Some(text) => Some(
            text.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Last-Event-ID / after: not an event id: {text}"))
                })?,
        ),
        None => None,
    };
    let targets = query.target.as_deref().map(parse_targets).transpose()?;
    let token = auth::bearer(&req.headers).unwrap_or_default();
    let selection = Selection {
        caller: req.caller().clone(),
        targets,
    };
    // Subscribed before the outbox is read, so nothing falls between the two.
    let feed = app.store.subscribe_events();
    let merchant = selection.caller.merchant_id.clone();
    let start = match resume {
        Some(after) => after,
        None => {
            let m = merchant.clone();
            app.store.read(move |tx| tx.last_event_seq(&m)).await?
        }
    };
    let (frames, body) = mpsc::channel::<Bytes>(STREAM_BUFFER);
    let stream = Stream {
        app: app.clone(),
        token,
        selection,
        merchant,
        last: start,
        frames,
    };
    tokio::spawn(stream.run(feed, resume.is_some()));
    let body = futures_util::stream::unfold(body, |mut body| async move {
        body.recv().await.map(|b| (Ok::<_, Infallible>(b), body))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// One client's stream: the outbox from its resume point, then the relay's live events.
struct Stream {
    app: Arc<App>,
    token: String,
    selection: Selection,
    merchant: MerchantId,
    /// The merchant's last event number handled (sent or not visible).
    last: i64,
    frames: mpsc::Sender<Bytes>,
}

/// Why a stream ended.
enum Ended {
    ClientGone,
    Failed,
}

impl Stream {
    async fn run(
        mut self,
        mut feed: tokio::sync::broadcast::Receiver<Arc<Relayed>>,
        resumed: bool,
    ) {
        if resumed && self.gap().await.is_err() {
            return;
        }
        if self.catch_up().await.is_err() {
            return;
        }
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
        let mut recheck = tokio::time::interval(TOKEN_RECHECK);
        loop {
            let step = tokio::select! {
                event = feed.recv() => match event {
                    Ok(event) => self.live(&event).await,
                    // Fell behind the relay: the outbox has everything, in order.
                    Err(RecvError::Lagged(_)) => self.catch_up().await,
                    Err(RecvError::Closed) => Err(Ended::Failed),
                },
                _ = ping.tick() => self.send(Bytes::from_static(b": ping\n\n")).await,
                _ = recheck.tick() => match auth::authenticate_token(&self.app, &self.token).await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(Ended::Failed),
                },
                () = self.frames.closed() => Err(Ended::ClientGone),
            };
            if step.is_err() {
                return;
            }
        }
    }

    /// A resume point older than the oldest kept event: say so first (push.md §3).
    async fn gap(&mut self) -> Result<(), Ended> {
        let merchant = self.merchant.clone();
        let first = self
            .app
            .store
            .read(move |tx| tx.first_event_seq(&merchant))
            .await
            .map_err(|_: loyalpos_store::StoreError| Ended::Failed)?;
        match first {
            Some(first) if first > self.last + 1 => {
                self.send(Bytes::from_static(b": gap\n\n")).await
            }
            _ => Ok(()),
        }
    }

    /// Sends the merchant's events after `last` from the outbox.
    async fn catch_up(&mut self) -> Result<(), Ended> {
        loop {
            let (merchant, after) = (self.merchant.clone(), self.last);
            let rows = self
                .app
                .store
                .read(move |tx| tx.merchant_events_after(&merchant, after, PAGE))
                .await
                .map_err(|_: loyalpos_store::StoreError| Ended::Failed)?;
            let full = rows.len() as i64 == PAGE;
            let clock = self.app.clock.clone();
            for row in &rows {
                self.deliver(row, || Arc::from(event_json(&clock, row).into_bytes()))
                    .await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn live(&mut self, relayed: &Relayed) -> Result<(), Ended> {
        let event = &relayed.row;
        if event.merchant_id != self.merchant || event.seq <= self.last {
            return Ok(());
        }
        if event.seq > self.last + 1 {
            // Numbers in between are in the outbox (this stream subscribed after they were read).
            return self.catch_up().await;
        }
        let clock = self.app.clock.clone();
        self.deliver(event, || {
            relayed.encoded(|row| event_json(&clock, row).into_bytes())
        })
        .await
    }

    /// Sends the event if the stream wants it; `json` is its encoding (made once per event for
    /// every stream and connection).
    async fn deliver(
        &mut self,
        event: &EventRow,
        json: impl FnOnce() -> Arc<[u8]>,
    ) -> Result<(), Ended> {
        self.last = event.seq;
        if !self.selection.wants(event) {
            return Ok(());
        }
        let json = json();
        let head = format!(
            "id: {}\nevent: {}.{}\ndata: ",
            event.seq, event.target, event.kind
        );
        let mut frame = Vec::with_capacity(head.len() + json.len() + 2);
        frame.extend_from_slice(head.as_bytes());
        frame.extend_from_slice(&json);
        frame.extend_from_slice(b"\n\n");
        self.send(Bytes::from(frame)).await
    }

    async fn send(&self, frame: Bytes) -> Result<(), Ended> {
        self.frames.send(frame).await.map_err(|_| Ended::ClientGone)
    }
}

/// Deletes the events older than the retention (push.md §1, `--event-retention`), every hour, and
/// with them the STOMP sessions (devices' presence, acknowledged events) that ended before it.
pub fn spawn_retention(store: Store, clock: Clock, retention: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let before = clock.now() - retention.as_secs() as i64;
            let purged = store
                .write(move |tx| {
                    let sessions =
                        tx.purge_device_sessions(before)? + tx.purge_stomp_sessions(before)?;
                    Ok((tx.purge_events(before)?, sessions))
                })
                .await;
            match purged {
                Ok((0, 0)) => {}
                Ok((events, sessions)) => {
                    tracing::info!(
                        events,
                        sessions,
                        "events and sessions past their retention deleted"
                    )
                }
                Err(e) => {
                    let e: loyalpos_store::StoreError = e;
                    tracing::warn!(error = %e, "deleting old events failed; retried in an hour")
                }
            }
        }
    });
}
