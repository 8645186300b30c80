//! A client of the HTTP event stream (push.md §3), reading `text/event-stream` as it arrives.

use std::time::Duration;

use serde_json::Value;

/// One item of the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Sse {
    Event { id: i64, name: String, data: Value },
    Comment(String),
}

pub struct EventStream {
    response: reqwest::Response,
    buf: String,
}

impl EventStream {
    /// `GET /api/v2/events{query}` with `token`, resuming after `last_event_id` if given.
    pub async fn open(
        base: &str,
        token: &str,
        query: &str,
        last_event_id: Option<i64>,
    ) -> EventStream {
        let mut request = reqwest::Client::new()
            .get(format!("{base}/api/v2/events{query}"))
            .header("Authorization", format!("Bearer {token}"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("GET /api/v2/events");
        assert_eq!(response.status(), 200, "the stream opens");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(content_type, "text/event-stream");
        EventStream {
            response,
            buf: String::new(),
        }
    }

    /// The next item, or `None` when none arrives within `wait` (or the stream ended).
    pub async fn next_within(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                return Some(parse_block(&block));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?;
            match chunk.expect("the stream reads") {
                Some(bytes) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }

    /// The next event (comments skipped), waiting at most 10 s.
    pub async fn next_event(&mut self) -> (i64, String, Value) {
        loop {
            match self.next_within(Duration::from_secs(10)).await {
                Some(Sse::Event { id, name, data }) => return (id, name, data),
                Some(Sse::Comment(_)) => {}
                None => panic!("no event within 10 s"),
            }
        }
    }

    /// Every event that arrives until the stream is quiet for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<(i64, String, Value)> {
        let mut events = Vec::new();
        while let Some(item) = self.next_within(quiet).await {
            if let Sse::Event { id, name, data } = item {
                events.push((id, name, data));
            }
        }
        events
    }
}

fn parse_block(block: &str) -> Sse {
    let (mut id, mut name, mut data) = (None, None, None);
    for line in block.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix(':') {
            return Sse::Comment(comment.trim().to_owned());
        }
        let (field, value) = line.split_once(": ").unwrap_or((line, ""));
        match field {
            "id" => id = Some(value.parse().expect("a numeric event id")),
            "event" => name = Some(value.to_owned()),
            "data" => data = Some(serde_json::from_str(value).expect("JSON data")),
            other => panic!("unexpected field {other} in {block:?}"),
        }
    }
    Sse::Event {
        id: id.expect("id"),
        name: name.expect("event"),
        data: data.expect("data"),
    }
}
