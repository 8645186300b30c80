//! `loyalpos bench` over STOMP (push.md §2): registers that send their flows as the SDK's SEND
//! frames, and listeners — connections that only receive the merchant's events — for the fan-out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use loyalpos_stomp::{Command, Frame, Item, Limits, parse};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// One STOMP connection, connected with an access token.
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    limits: Limits,
    next_correlation: u64,
}

impl Connection {
    pub async fn open(address: &str, token: &str) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to STOMP at {address}"))?;
        stream.set_nodelay(true)?;
        let mut connection = Connection {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            limits: Limits::default(),
            next_correlation: 0,
        };
        let connect = Frame::new(Command::Connect)
            .header("accept-version", "1.2")
            .header("login", token)
            .header("passcode", token)
            .header("heart-beat", "0,0");
        connection.send(&connect).await?;
        match connection.next().await? {
            Some(frame) if frame.command == Command::Connected => Ok(connection),
            other => bail!("STOMP CONNECT refused: {other:?}"),
        }
    }

    /// Takes the events on a subscription filtered by `selector` (push.md §2.4) instead of all
    /// of them on the reply destination.
    pub async fn subscribe_events(&mut self, selector: &str) -> anyhow::Result<()> {
        let subscribe = Frame::new(Command::Subscribe)
            .header("id", "events")
            .header("destination", "/topic/events")
            .header("selector", selector);
        self.send(&subscribe).await
    }

    async fn send(&mut self, frame: &Frame) -> anyhow::Result<()> {
        self.stream.write_all(&frame.encode()).await?;
        Ok(())
    }

    /// The next frame; `None` once the server closed the connection.
    pub async fn next(&mut self) -> anyhow::Result<Option<Frame>> {
        loop {
            if let Some((item, used)) = parse(&self.buf, &self.limits)? {
                self.buf.drain(..used);
                if let Item::Frame(frame) = item {
                    return Ok(Some(frame));
                }
                continue;
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    /// Sends `api:{cmd}:{name}` as the PHP SDK does and waits for its reply (events that arrive
    /// meanwhile are skipped); returns the reply's `status` and `data`, or the error envelope.
    pub async fn call(
        &mut self,
        cmd: &str,
        name: &str,
        pid: &str,
        sid: &str,
        data: Value,
    ) -> anyhow::Result<Result<Value, Value>> {
        self.next_correlation += 1;
        let correlation = self.next_correlation.to_string();
        let body = json!({"pid": pid, "sid": sid, "data": data});
        let frame = Frame::new(Command::Send)
            .header(
                "destination",
                format!("/exchange/connect.api/api:{cmd}:{name}"),
            )
            .header("reply-to", "/temp-queue/main")
            .header("content-type", "application/json")
            .header("correlation-id", correlation.clone())
            .body(body.to_string());
        self.send(&frame).await?;
        loop {
            let frame = self
                .next()
                .await?
                .context("the server closed the connection")?;
            if frame.command == Command::Error {
                bail!("ERROR frame: {:?}", frame.get("message"));
            }
            if frame.get("correlation-id") != Some(correlation.as_str()) {
                continue;
            }
            let reply: Value = serde_json::from_slice(&frame.body)?;
            return Ok(match reply["status"].as_str() {
                Some("ok") => Ok(reply["data"].clone()),
                _ => Err(reply),
            });
        }
    }
}

/// When each transaction's start was sent, for the listeners' delivery latency.
#[derive(Default)]
pub struct StartsSent(Mutex<HashMap<String, Instant>>);

impl StartsSent {
    pub async fn record(&self, stx: &str) {
        self.0.lock().await.insert(stx.to_owned(), Instant::now());
    }
}

/// What the listeners saw.
pub struct Fanout {
    pub events: AtomicU64,
    /// Milliseconds from a start sent to a listener receiving its transaction's `changed` (ok).
    pub latency: Mutex<Histogram<u64>>,
    pub closed_early: AtomicU64,
    /// Events per listener, to see that every listener got every event.
    pub per_listener: Mutex<Vec<u64>>,
}

impl Fanout {
    pub fn new() -> Fanout {
        Fanout {
            events: AtomicU64::new(0),
            latency: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds")),
            closed_early: AtomicU64::new(0),
            per_listener: Mutex::new(Vec::new()),
        }
    }
}

/// The part of an event a listener reads.
#[derive(Deserialize)]
struct EventHead {
    target: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: Value,
}

/// Receives events until `until`; counts them, and times the `changed` events of started
/// transactions against when their start was sent.
pub async fn listen(
    mut connection: Connection,
    until: Instant,
    starts: Arc<StartsSent>,
    fanout: Arc<Fanout>,
) {
    let mut received = 0u64;
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let frame =
            match tokio::time::timeout(left.max(Duration::from_millis(1)), connection.next()).await
            {
                Err(_) => break,
                Ok(Ok(Some(frame))) if frame.command == Command::Message => frame,
                Ok(Ok(Some(_))) => continue,
                Ok(_) => {
                    fanout.closed_early.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            };
        let arrived = Instant::now();
        received += 1;
        // Only a transaction's `changed` is timed; the head of the event says which it is.
        let head = &frame.body[..frame.body.len().min(200)];
        if !contains(
            head,
            b"\"target\":\"smart.transactions\",\"type\":\"changed\"",
        ) {
            continue;
        }
        let Ok(head) = serde_json::from_slice::<EventHead>(&frame.body) else {
            continue;
        };
        if head.target != "smart.transactions" || head.kind != "changed" || head.data.status != "ok"
        {
            continue;
        }
        if let Some(sent) = starts.0.lock().await.get(&head.data.id) {
            let micros = arrived.saturating_duration_since(*sent).as_micros() as u64;
            let _ = latency.record(micros.clamp(1, 60_000_000));
        }
    }
    fanout.events.fetch_add(received, Ordering::Relaxed);
    let _ = fanout.latency.lock().await.add(&latency);
    fanout.per_listener.lock().await.push(received);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
