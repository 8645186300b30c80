//! A register's STOMP connection, written frame by frame as the PHP SDK writes them.

use std::time::Duration;

use loyalpos_stomp::{Command, Frame, Item, Limits, parse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct StompClient {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Events that arrived while the test waited for another frame.
    events: std::collections::VecDeque<Frame>,
}

/// An event (push.md §2.4): a MESSAGE without correlation-id, `application/x-json`.
pub fn is_event(frame: &Frame) -> bool {
    frame.command == Command::Message
        && frame.get("correlation-id").is_none()
        && frame.get("content-type") == Some("application/x-json")
}

impl StompClient {
    pub async fn open(address: &str) -> StompClient {
        let stream = TcpStream::connect(address).await.expect("connect to STOMP");
        StompClient {
            stream,
            buf: Vec::new(),
            events: Default::default(),
        }
    }

    /// Opens a connection and CONNECTs with `token` as login and passcode; returns the answer.
    pub async fn connect(address: &str, token: &str) -> (StompClient, Frame) {
        let mut client = StompClient::open(address).await;
        client
            .send(
                &Frame::new(Command::Connect)
                    .header("accept-version", "1.0,1.1,1.2")
                    .header("host", "connect-testing.secuconnect.com")
                    .header("login", token)
                    .header("passcode", token),
            )
            .await;
        let answer = client.next().await.expect("an answer to CONNECT");
        (client, answer)
    }

    pub async fn send(&mut self, frame: &Frame) {
        self.write(&frame.encode()).await;
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next frame that is not an event (heart-beats skipped, events kept for
    /// [`StompClient::next_event`]); `None` once the server closed the connection.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            let frame = self.next_frame().await?;
            if !is_event(&frame) {
                return Some(frame);
            }
            self.events.push_back(frame);
        }
    }

    /// The next event frame (other frames are dropped); `None` once the connection closed.
    pub async fn next_event(&mut self) -> Option<Frame> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        loop {
            let frame = self.next_frame().await?;
            if is_event(&frame) {
                return Some(frame);
            }
        }
    }

    /// Any next frame, events included.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            match parse(&self.buf, &Limits::default()).expect("the server writes STOMP") {
                Some((item, used)) => {
                    self.buf.drain(..used);
                    if let Item::Frame(frame) = item {
                        return Some(frame);
                    }
                }
                None => {
                    let read = tokio::time::timeout(
                        Duration::from_secs(20),
                        self.stream.read_buf(&mut self.buf),
                    )
                    .await
                    .expect("the server answers within 20 s");
                    if read.unwrap_or(0) == 0 {
                        return None;
                    }
                }
            }
        }
    }
}

/// The SEND the SDK writes for `api:{cmd}:{name}` (push.md §2.2), `data` as a JSON string.
pub fn sdk_send(
    token: &str,
    cmd: &str,
    name: &str,
    pid: &str,
    sid: &str,
    correlation: &str,
) -> Frame {
    let body = serde_json::json!({"pid": pid, "sid": sid, "data": ""});
    Frame::new(Command::Send)
        .header(
            "destination",
            format!("/exchange/connect.api/api:{cmd}:{name}"),
        )
        .header("reply-to", "/temp-queue/main")
        .header("content-type", "application/json")
        .header("user-id", token)
        .header("correlation-id", correlation)
        .body(body.to_string())
}
