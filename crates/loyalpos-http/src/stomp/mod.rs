//! The STOMP listener (push.md §2): registers connect with their access token and SEND the same
//! requests as over REST. A SEND is turned into its REST request ([`call`]) and served by the one
//! dispatcher, so the handler, the rules, the error envelope and the log line are REST's; the
//! answer comes back as a MESSAGE to the request's `reply-to`. Frames are read and written by
//! `loyalpos-stomp`, under its limits; a broken frame gets an ERROR frame and the connection is
//! closed, never the server.
//!
//! Events the token may see are sent as they are committed ([`events`]); a connection that falls
//! too far behind is closed as a slow consumer.
//!
//! The same session serves STOMP over WebSocket at `GET /stomp` ([`ws`]).
//!
//! `exec:Auth.Sessions.refresh` keeps the connection's device online (push.md §2.2): the connection
//! ends its session when it closes or when the refresh lapses.
//!
//! A session whose event subscription acknowledges (`ack:client`, `client-individual`) keeps the
//! newest event it acknowledged in the database; a later CONNECT with `x-resume-session` naming it
//! takes the session over and gets every later event again (push.md §2.4, at least once).
//!
//! Not served: transactions (BEGIN/COMMIT/ABORT).

mod call;
mod events;
pub(crate) mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use axum::response::{IntoResponse, Response};
use loyalpos_app::secret::new_support_id;
use loyalpos_app::{ApiError, Code, Principal, devices};
use loyalpos_stomp::{Command, Frame, FrameError, Item, Limits, parse};
use loyalpos_store::Relayed;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::answer::{Answer, error_response};
use crate::serve::accept;
use crate::{App, auth, proxy, router, routes};

/// The heart-beat interval the server offers and asks for, in milliseconds (push.md §2.1).
const HEART_BEAT_MS: u64 = 30_000;
/// How often a connection's token is checked again: an expired or revoked token ends the
/// connection within this time (push.md §2.1: 5 s).
const TOKEN_RECHECK: Duration = Duration::from_secs(5);
/// How long a new connection may take to send CONNECT.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);
/// Events a connection may have yet to receive before it is closed as a slow consumer (push.md
/// §2.5); counted over the process's event feed.
const MAX_UNDELIVERED: usize = 1000;
/// How long writing events may block on a client that does not read.
const EVENT_WRITE_WITHIN: Duration = Duration::from_secs(10);
/// At most this many waiting events go out in one write (one system call instead of one each).
const EVENTS_PER_WRITE: usize = 64;

/// How many connections and how large frames the listener takes.
#[derive(Debug, Clone, Copy)]
pub struct StompLimits {
    pub max_connections: usize,
    pub frame: Limits,
}

impl StompLimits {
    /// At most `max_connections` connections, frames of at most `max_frame` bytes (and the
    /// protocol's 100 headers).
    pub fn new(max_connections: usize, max_frame: usize) -> StompLimits {
        StompLimits {
            max_connections,
            frame: Limits {
                max_frame,
                ..Limits::default()
            },
        }
    }
}

/// Accepts connections until `shutdown`; a connection over `max_connections` is closed at once.
pub(crate) async fn run_stomp(
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<TlsAcceptor>,
    limits: StompLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let api = router(app.clone(), None);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "STOMP connection refused: too many connections");
            continue;
        };
        let session = Session::new(app.clone(), api.clone(), peer, tls.is_some(), limits.frame);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => session.serve(stream).await,
                Some(tls) => match tokio::time::timeout(CONNECT_WITHIN, tls.accept(stream)).await {
                    Ok(Ok(stream)) => session.serve(stream).await,
                    Ok(Err(e)) => tracing::debug!(error = %e, "STOMP TLS handshake failed"),
                    Err(_) => tracing::debug!("STOMP TLS handshake timed out"),
                },
            }
            drop(slot);
        });
    }
}

/// One connection: its token once connected, its heart-beats, its subscriptions.
struct Session {
    app: Arc<App>,
    api: axum::Router,
    peer: SocketAddr,
    tls: bool,
    limits: Limits,
    /// The session (what CONNECTED names; a resumed session's is the earlier connection's).
    id: String,
    /// This connection, for message ids unique across the connections of a resumed session.
    connection: String,
    token: Option<String>,
    /// The token's caller: who the connection's events are for.
    caller: Option<Principal>,
    /// Milliseconds between the server's heart-beats (0: none).
    send_every: u64,
    /// Milliseconds of client silence after which the connection is dead (0: never).
    silence_limit: u64,
    subscriptions: Vec<events::Subscription>,
    sent: u64,
    /// When the device's last `Auth.Sessions.refresh` lapses, while the session keeps it online.
    lapses_at: Option<tokio::time::Instant>,
    acks: Acks,
}

/// What a session that acknowledges events keeps (push.md §2.4, `x-resume-session`).
#[derive(Default)]
struct Acks {
    /// The newest event acknowledged, once an acknowledging subscription began.
    acked: Option<i64>,
    /// `acked` changed since it was last saved.
    unsaved: bool,
    /// A resumed session's events after this number are sent again at its event subscription.
    resume_after: Option<i64>,
    /// Due to be sent again, once the connection's event feed is open.
    replay_due: Option<i64>,
    /// The newest of the merchant's events sent again; the feed's copies of them are skipped.
    replayed_through: i64,
}

/// What a frame asks of the connection after it was handled.
enum Next {
    Continue,
    Close,
}

impl Session {
    fn new(app: Arc<App>, api: axum::Router, peer: SocketAddr, tls: bool, limits: Limits) -> Self {
        let id = new_support_id();
        Session {
            app,
            api,
            peer,
            tls,
            limits,
            connection: id.clone(),
            id,
            token: None,
            caller: None,
            send_every: 0,
            silence_limit: 0,
            subscriptions: Vec::new(),
            sent: 0,
            lapses_at: None,
            acks: Acks::default(),
        }
    }

    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut self, stream: S) {
        self.run(stream).await;
        self.end_presence().await;
        self.save_acks().await;
    }

    async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, stream: S) {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let mut buf: Vec<u8> = Vec::with_capacity(8192);
        let mut recheck = tokio::time::interval(TOKEN_RECHECK);
        // The agreed heart-beat, once CONNECT agreed one.
        let mut beat = None;
        let opened = tokio::time::Instant::now();
        let mut last_heard = opened;
        // The process's events, once the connection has a caller.
        let mut feed = None;
        loop {
            match self.drain(&mut buf, &mut writer).await {
                Ok(Next::Continue) => {}
                Ok(Next::Close) => return,
                Err(e) => {
                    let _ = write(&mut writer, &protocol_error(&e.to_string())).await;
                    return;
                }
            }
            if feed.is_none() && self.caller.is_some() {
                feed = Some(self.app.store.subscribe_events());
            }
            // After the feed opened: what the outbox does not have yet, the feed brings.
            if let Some(after) = self.acks.replay_due.take()
                && self.replay(after, &mut writer).await.is_err()
            {
                return;
            }
            if beat.is_none() && self.send_every > 0 {
                beat = Some(tokio::time::interval(Duration::from_millis(
                    self.send_every,
                )));
            }
            let silence = self.silence(opened, last_heard);
            tokio::select! {
                read = reader.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => last_heard = tokio::time::Instant::now(),
                },
                _ = recheck.tick(), if self.token.is_some() => {
                    self.save_acks().await;
                    match self.authenticated().await {
                        Ok(caller) => self.caller = Some(caller),
                        Err(_) => {
                            let _ = write(&mut writer, &token_error()).await;
                            return;
                        }
                    }
                }
                event = next_event(&mut feed) => {
                    if self.push(event, feed.as_mut(), &mut writer).await.is_err() {
                        return;
                    }
                }
                () = next_beat(&mut beat) => {
                    let sent = writer.write_all(b"\n").await;
                    if sent.is_err() || writer.flush().await.is_err() {
                        return;
                    }
                }
                () = lapse(self.lapses_at) => self.end_presence().await,
                () = tokio::time::sleep(silence) => return,
            }
        }
    }

    /// Sends an event the caller may see, with every further one already waiting, in one write;
    /// `Err` closes the connection (a slow consumer, a client that stopped reading).
    async fn push<W: AsyncWrite + Unpin>(
        &mut self,
        first: Result<(Arc<Relayed>, usize), RecvError>,
        mut feed: Option<&mut broadcast::Receiver<Arc<Relayed>>>,
        writer: &mut W,
    ) -> Result<(), ()> {
        let mut out = Vec::new();
        let mut event = first;
        let mut batched = 0;
        loop {
            match event {
                Ok((event, behind)) if behind <= MAX_UNDELIVERED => self.encode(&event, &mut out),
                // Behind by too many, or already lapped by the feed: its events stay in the outbox.
                _ => {
                    let _ = write(writer, &protocol_error("slow consumer")).await;
                    return Err(());
                }
            }
            batched += 1;
            let Some(feed) = feed.as_deref_mut() else {
                break;
            };
            if batched == EVENTS_PER_WRITE || feed.is_empty() {
                break;
            }
            event = next_event_now(feed);
        }
        if out.is_empty() {
            return Ok(());
        }
        send_events(writer, &out).await
    }

    /// Appends the MESSAGE frames of an event the caller may see to `out`.
    fn encode(&mut self, event: &Relayed, out: &mut Vec<u8>) {
        let Some(caller) = &self.caller else {
            return;
        };
        if !loyalpos_app::events::visible_to(caller, &event.row) {
            return;
        }
        // Already sent again from the outbox when the session resumed.
        if event.row.seq <= self.acks.replayed_through {
            return;
        }
        let (connection, sent) = (&self.connection, &mut self.sent);
        let mut message_id = || {
            *sent += 1;
            format!("{connection}-{sent}")
        };
        events::encode_event(
            &self.app.clock,
            &self.id,
            &self.subscriptions,
            event,
            &mut message_id,
            out,
        );
    }

    /// How long the connection may go on without hearing from the client: until the connect limit
    /// after it opened (however slowly bytes trickle in) before CONNECT; after, twice the agreed
    /// heart-beat since the client was last heard (forever without one).
    fn silence(&self, opened: tokio::time::Instant, last_heard: tokio::time::Instant) -> Duration {
        match (&self.token, self.silence_limit) {
            (None, _) => CONNECT_WITHIN.saturating_sub(opened.elapsed()),
            (Some(_), 0) => Duration::from_secs(u64::from(u32::MAX)),
            (Some(_), ms) => Duration::from_millis(ms).saturating_sub(last_heard.elapsed()),
        }
    }

    /// Handles every whole frame buffered; leaves a partial one for the next read.
    async fn drain<W: AsyncWrite + Unpin>(
        &mut self,
        buf: &mut Vec<u8>,
        writer: &mut W,
    ) -> Result<Next, FrameError> {
        while let Some((item, used)) = parse(buf, &self.limits)? {
            buf.drain(..used);
            let Item::Frame(frame) = item else {
                continue;
            };
            let (replies, next) = self.handle(frame).await;
            for reply in replies {
                if write(writer, &reply).await.is_err() {
                    return Ok(Next::Close);
                }
            }
            if let Next::Close = next {
                return Ok(Next::Close);
            }
        }
        Ok(Next::Continue)
    }

    async fn handle(&mut self, frame: Frame) -> (Vec<Frame>, Next) {
        match (frame.command, self.token.is_some()) {
            (Command::Connect | Command::Stomp, false) => self.connect(&frame).await,
            (_, false) => (
                vec![protocol_error("the first frame must be CONNECT")],
                Next::Close,
            ),
            (Command::Send, true) => self.send(&frame).await,
            (Command::Subscribe, true) => match events::Subscription::parse(&frame) {
                Ok(subscription) => {
                    if subscription.acknowledges_events() {
                        self.begin_acks().await;
                    }
                    self.subscriptions.push(subscription);
                    (receipt_for(&frame).into_iter().collect(), Next::Continue)
                }
                Err(message) => (vec![protocol_error(&message)], Next::Close),
            },
            (Command::Unsubscribe, true) => {
                self.subscriptions
                    .retain(|s| Some(s.id.as_str()) != frame.get("id"));
                (receipt_for(&frame).into_iter().collect(), Next::Continue)
            }
            (Command::Ack, true) => {
                self.acknowledge(frame.get("id").unwrap_or_default());
                (receipt_for(&frame).into_iter().collect(), Next::Continue)
            }
            // A NACKed event is sent again only to a session that resumes.
            (Command::Nack, true) => (receipt_for(&frame).into_iter().collect(), Next::Continue),
            (Command::Disconnect, true) => {
                // Saved before the receipt: a client that reconnects after it resumes from here.
                self.save_acks().await;
                (receipt_for(&frame).into_iter().collect(), Next::Close)
            }
            (other, true) => (
                vec![protocol_error(&format!("{other} is not served"))],
                Next::Close,
            ),
        }
    }

    /// CONNECT (push.md §2.1): the access token as login and passcode, the version and heart-beats
    /// agreed.
    async fn connect(&mut self, frame: &Frame) -> (Vec<Frame>, Next) {
        let Some(version) = agreed_version(frame.get("accept-version")) else {
            let refusal = protocol_error("supported protocol versions are 1.0 1.1 1.2")
                .header("version", "1.0,1.1,1.2");
            return (vec![refusal], Next::Close);
        };
        let token = frame
            .get("login")
            .filter(|l| frame.get("passcode") == Some(*l));
        self.token = token.map(str::to_owned);
        match self.authenticated().await {
            Ok(caller) if token.is_some() => self.caller = Some(caller),
            _ => {
                self.token = None;
                return (vec![token_error()], Next::Close);
            }
        }
        if let Some(session) = frame.get("x-resume-session") {
            self.resume(session).await;
        }
        let (client_sends, client_wants) = heart_beats(frame.get("heart-beat"));
        let offer = |client: u64| if client == 0 { 0 } else { HEART_BEAT_MS };
        let (server_sends, server_wants) = (offer(client_wants), offer(client_sends));
        self.send_every = server_sends.max(client_wants) * u64::from(server_sends > 0);
        self.silence_limit = 2 * server_wants.max(client_sends) * u64::from(server_wants > 0);
        let connected = Frame::new(Command::Connected)
            .header("version", version)
            .header("heart-beat", format!("{server_sends},{server_wants}"))
            .header("server", concat!("loyalpos/", env!("CARGO_PKG_VERSION")))
            .header("session", self.id.clone());
        (vec![connected], Next::Continue)
    }

    async fn authenticated(&self) -> Result<Principal, ApiError> {
        let token = self.token.as_deref().unwrap_or_default();
        auth::authenticate_token(&self.app, token).await
    }

    /// SEND (push.md §2.2–2.3): the RECEIPT if asked for, then the answer to `reply-to`.
    async fn send(&mut self, frame: &Frame) -> (Vec<Frame>, Next) {
        let reply_to = frame.get("reply-to").unwrap_or("/temp-queue/main");
        if !reply_to.starts_with("/temp-queue/") || reply_to.len() == "/temp-queue/".len() {
            let refusal = protocol_error("reply-to must be a /temp-queue/ destination");
            return (vec![refusal], Next::Close);
        }
        let mut out: Vec<Frame> = receipt_for(frame).into_iter().collect();
        let answer = match self.answer(frame).await {
            Ok(response) => response,
            Err(err) => error_response(&err, &new_support_id()),
        };
        out.push(self.reply(frame, reply_to, answer).await);
        (out, Next::Continue)
    }

    /// The answer to a SEND: the dispatcher's to the REST request it stands for, or the session's
    /// own to a refresh.
    async fn answer(&mut self, frame: &Frame) -> Result<Response, ApiError> {
        let token = self.token.as_deref().unwrap_or_default();
        if frame.get("user-id").is_some_and(|user| user != token) {
            return Err(ApiError::unauthenticated());
        }
        let destination = frame.get("destination").unwrap_or_default();
        if let Some(interval) = call::refresh_of(destination, &frame.body) {
            return self.refresh(interval?).await;
        }
        let call = call::call_of(destination, &frame.body)?;
        let route = call.path.split('?').next().unwrap_or_default();
        if routes::resolve(&call.method, route).is_err() {
            return Err(call::unknown(destination));
        }
        let mut request = Request::builder()
            .method(call.method)
            .uri(call.path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = frame.get("idempotency-key") {
            request = request.header("idempotency-key", key);
        }
        let mut request = request
            .body(Body::from(call.body))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let extensions = request.extensions_mut();
        extensions.insert(axum::extract::ConnectInfo(self.peer));
        if self.tls {
            extensions.insert(proxy::Tls);
        }
        let api = self.api.clone();
        Ok(api
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {}))
    }

    /// CONNECT with `x-resume-session`: a session of the caller's merchant that acknowledged events
    /// is taken over — its id, and every event after the newest it acknowledged is sent again at
    /// the event subscription. Another session id starts a new session (CONNECTED says which).
    async fn resume(&mut self, session: &str) {
        let Some(caller) = &self.caller else {
            return;
        };
        let (lookup, merchant) = (session.to_owned(), caller.merchant_id.clone());
        let acked = self
            .app
            .store
            .read(move |tx| tx.stomp_session_acked(&lookup, &merchant))
            .await;
        match acked {
            Ok(Some(acked)) => {
                self.id = session.to_owned();
                self.acks.acked = Some(acked);
                self.acks.resume_after = Some(acked);
            }
            Ok(None) => {}
            Err(e) => {
                let e: loyalpos_store::StoreError = e;
                tracing::warn!(error = %e, "a STOMP session could not be resumed; a new one begins");
            }
        }
    }

    /// An acknowledging event subscription: a new session starts counting at the merchant's
    /// newest event; a resumed one is due to get its unacknowledged events again.
    async fn begin_acks(&mut self) {
        if let Some(after) = self.acks.resume_after.take() {
            self.acks.replay_due = Some(after);
            return;
        }
        let (None, Some(caller)) = (self.acks.acked, &self.caller) else {
            return;
        };
        let merchant = caller.merchant_id.clone();
        let last = self
            .app
            .store
            .read(move |tx| tx.last_event_seq(&merchant))
            .await;
        if let Ok(last) = last {
            let last: i64 = last;
            self.acks.acked = Some(last);
            self.acks.unsaved = true;
            self.save_acks().await;
        }
    }

    /// ACK: the newest acknowledged event moves on (`client-individual` acknowledgements count
    /// as cumulative for resuming: what follows the newest one is sent again).
    fn acknowledge(&mut self, ack: &str) {
        let (Some(acked), Some(seq)) = (self.acks.acked, events::acked_seq(&self.id, ack)) else {
            return;
        };
        if seq > acked {
            self.acks.acked = Some(seq);
            self.acks.unsaved = true;
        }
    }

    /// Writes the newest acknowledged event to the database, if it changed.
    async fn save_acks(&mut self) {
        let (true, Some(acked), Some(caller)) = (self.acks.unsaved, self.acks.acked, &self.caller)
        else {
            return;
        };
        let (session, merchant, now) = (
            self.id.clone(),
            caller.merchant_id.clone(),
            self.app.clock.now(),
        );
        let saved = self
            .app
            .store
            .write(move |tx| tx.save_stomp_session(&session, &merchant, acked, now))
            .await;
        match saved {
            Ok(()) => self.acks.unsaved = false,
            Err(e) => {
                let e: loyalpos_store::StoreError = e;
                tracing::warn!(error = %e, "saving a STOMP session's acknowledgements failed");
            }
        }
    }

    /// Sends the merchant's events after `after` from the outbox again (a resumed session).
    async fn replay<W: AsyncWrite + Unpin>(
        &mut self,
        after: i64,
        writer: &mut W,
    ) -> Result<(), ()> {
        const PAGE: i64 = 500;
        let Some(merchant) = self.caller.as_ref().map(|c| c.merchant_id.clone()) else {
            return Ok(());
        };
        let mut last = after;
        loop {
            let (m, from) = (merchant.clone(), last);
            let rows = self
                .app
                .store
                .read(move |tx| tx.merchant_events_after(&m, from, PAGE))
                .await
                .map_err(|_: loyalpos_store::StoreError| ())?;
            let full = rows.len() as i64 == PAGE;
            let mut out = Vec::new();
            for row in rows {
                last = row.seq;
                self.encode(&Relayed::new(row), &mut out);
            }
            self.acks.replayed_through = last;
            send_events(writer, &out).await?;
            if !full {
                return Ok(());
            }
        }
    }

    /// `Auth.Sessions.refresh`: the connection's device is online for `interval` seconds more.
    async fn refresh(&mut self, interval: i64) -> Result<Response, ApiError> {
        let caller = self.caller.clone().ok_or_else(ApiError::unauthenticated)?;
        let (session, now) = (self.id.clone(), self.app.clock.now());
        let device = caller.device_id.is_some();
        self.app
            .store
            .write(move |tx| devices::refresh_session(tx, &caller, &session, interval, now))
            .await?;
        if device {
            let lapses = Duration::from_secs(interval.unsigned_abs());
            self.lapses_at = Some(tokio::time::Instant::now() + lapses);
        }
        Ok(Answer::json(&serde_json::json!({"result": true}))?.into_response())
    }

    /// Ends the device's session, if a refresh started one: the connection closed or the refresh
    /// lapsed.
    async fn end_presence(&mut self) {
        let (Some(_), Some(caller)) = (self.lapses_at.take(), &self.caller) else {
            return;
        };
        let Some(device) = caller.device_id.clone() else {
            return;
        };
        let (session, now) = (self.id.clone(), self.app.clock.now());
        let ended = self
            .app
            .store
            .write(move |tx| devices::end_session(tx, &device, &session, now))
            .await;
        if let Err(e) = ended {
            let e: ApiError = e;
            tracing::warn!(error = %e.details, "ending a device's STOMP session failed; it lapses by itself");
        }
    }

    /// The MESSAGE carrying an answer: `{"status":"ok","data":…}` for a success, the error
    /// envelope as REST answers it otherwise.
    async fn reply(&mut self, frame: &Frame, reply_to: &str, answer: Response) -> Frame {
        let ok = answer.status().is_success();
        let json = answer
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let body = match (ok, json) {
            (true, true) => ok_envelope(&bytes),
            // Not an API answer (a page of the API description): no data.
            (true, false) => ok_envelope(b""),
            (false, _) => bytes.to_vec(),
        };
        self.sent += 1;
        let mut message = Frame::new(Command::Message)
            .header("destination", reply_to)
            .header("message-id", format!("{}-{}", self.connection, self.sent))
            .header("content-type", "application/json");
        if let Some(id) = self.subscription_of(reply_to) {
            message = message.header("subscription", id);
        }
        if let Some(correlation) = frame.get("correlation-id") {
            message = message.header("correlation-id", correlation);
        }
        message.body(body)
    }

    fn subscription_of(&self, destination: &str) -> Option<String> {
        self.subscriptions
            .iter()
            .find(|s| s.destination == destination)
            .map(|s| s.id.clone())
    }
}

/// The next event of the feed with how many more are waiting; never, before there is a feed.
async fn next_event(
    feed: &mut Option<broadcast::Receiver<Arc<Relayed>>>,
) -> Result<(Arc<Relayed>, usize), RecvError> {
    match feed {
        Some(feed) => {
            let event = feed.recv().await?;
            Ok((event, feed.len()))
        }
        None => std::future::pending().await,
    }
}

/// `{"status":"ok","data":…}` around a REST answer's body. The body is the dispatcher's own JSON,
/// so it is spliced in rather than parsed and written again; an empty body is `null`.
fn ok_envelope(answer: &[u8]) -> Vec<u8> {
    let data: &[u8] = if answer.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        answer
    };
    let mut body = Vec::with_capacity(data.len() + 32);
    body.extend_from_slice(br#"{"status":"ok","data":"#);
    body.extend_from_slice(data);
    body.push(b'}');
    body
}

/// When the device's refresh lapses; never, while no refresh holds it online.
async fn lapse(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next event of the feed if one is waiting (the feed is not empty), with how many more are.
fn next_event_now(
    feed: &mut broadcast::Receiver<Arc<Relayed>>,
) -> Result<(Arc<Relayed>, usize), RecvError> {
    match feed.try_recv() {
        Ok(event) => Ok((event, feed.len())),
        Err(broadcast::error::TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
        Err(_) => Err(RecvError::Closed),
    }
}

/// The next heart-beat due; never, before one is agreed.
async fn next_beat(beat: &mut Option<tokio::time::Interval>) {
    match beat {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn write<W: AsyncWrite + Unpin>(writer: &mut W, frame: &Frame) -> std::io::Result<()> {
    write_bytes(writer, &frame.encode()).await
}

async fn write_bytes<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

/// Writes encoded events, within the time a client that does not read is given; `Err` closes
/// the connection.
async fn send_events<W: AsyncWrite + Unpin>(writer: &mut W, events: &[u8]) -> Result<(), ()> {
    match tokio::time::timeout(EVENT_WRITE_WITHIN, write_bytes(writer, events)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// The highest version both sides speak; 1.0 when the client names none.
fn agreed_version(accepted: Option<&str>) -> Option<&'static str> {
    let Some(accepted) = accepted else {
        return Some("1.0");
    };
    let offered: Vec<&str> = accepted.split(',').map(str::trim).collect();
    ["1.2", "1.1", "1.0"]
        .into_iter()
        .find(|v| offered.contains(v))
}

/// The client's `heart-beat: cx,cy` (what it sends, what it wants), `0,0` when absent or malformed.
fn heart_beats(header: Option<&str>) -> (u64, u64) {
    let parsed = header.and_then(|h| {
        let (sends, wants) = h.split_once(',')?;
        Some((sends.trim().parse().ok()?, wants.trim().parse().ok()?))
    });
    parsed.unwrap_or((0, 0))
}

fn receipt_for(frame: &Frame) -> Option<Frame> {
    frame
        .get("receipt")
        .map(|id| Frame::new(Command::Receipt).header("receipt-id", id))
}

/// An ERROR frame with a one-line message; the connection is closed after it.
fn protocol_error(message: &str) -> Frame {
    Frame::new(Command::Error).header("message", message)
}

/// A token that is missing, unknown, revoked or expired: ERROR with the REST envelope (2003).
fn token_error() -> Frame {
    let err = ApiError::new(Code::Unauthenticated, "Valid auth token required");
    protocol_error("Valid auth token required")
        .header("content-type", "application/json")
        .body(Answer::error(&err, &new_support_id()).body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_common_version_is_agreed() {
        assert_eq!(agreed_version(Some("1.0,1.1,1.2")), Some("1.2"));
        assert_eq!(agreed_version(Some("1.1")), Some("1.1"));
        assert_eq!(agreed_version(None), Some("1.0"));
        assert_eq!(agreed_version(Some("2.0")), None);
    }

    #[test]
    fn an_answer_is_wrapped_in_the_ok_envelope_as_it_is() {
        let wrapped = ok_envelope(br#"{"id":"STX_1","sum":[1,2]}"#);
        let value: serde_json::Value = serde_json::from_slice(&wrapped).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"status": "ok", "data": {"id": "STX_1", "sum": [1, 2]}})
        );
        let empty: serde_json::Value = serde_json::from_slice(&ok_envelope(b"")).unwrap();
        assert_eq!(empty, serde_json::json!({"status": "ok", "data": null}));
    }

    #[test]
    fn heart_beats_are_read_leniently() {
        assert_eq!(heart_beats(Some("30000,10000")), (30000, 10000));
        assert_eq!(heart_beats(Some(" 0 , 0 ")), (0, 0));
        assert_eq!(heart_beats(Some("x")), (0, 0));
        assert_eq!(heart_beats(None), (0, 0));
    }
}
