//! Events over STOMP (push.md §2.4): every event the connection's token may see is sent as a
//! MESSAGE without correlation-id — on `/temp-queue/main`, or on the client's event subscription
//! (`/topic/events`, `/exchange/connect.event`) with its `subscription` header, filtered by its
//! `selector` (`target = 'smart.transactions'`).

use loyalpos_app::clock::Clock;
use loyalpos_app::events::TARGETS;
use loyalpos_stomp::{Command, Frame, encode_into};
use loyalpos_store::{EventRow, Relayed};

use crate::events::event_json;

/// Where events go when the client subscribed to none of the event destinations.
pub(super) const DEFAULT_DESTINATION: &str = "/temp-queue/main";
const EVENT_DESTINATIONS: &[&str] = &["/topic/events", "/exchange/connect.event"];

/// A SUBSCRIBE of the connection.
pub(super) struct Subscription {
    pub id: String,
    pub destination: String,
    /// The event target its selector admits (`None`: every target).
    pub target: Option<&'static str>,
    /// `ack:client` or `client-individual`: its MESSAGEs carry an `ack` header.
    pub acked: bool,
}

impl Subscription {
    /// Reads a SUBSCRIBE; a selector other than `target = '…'` of a known target is refused.
    pub fn parse(frame: &Frame) -> Result<Subscription, String> {
        let (Some(id), Some(destination)) = (frame.get("id"), frame.get("destination")) else {
            return Err("SUBSCRIBE needs id and destination".into());
        };
        let target = frame.get("selector").map(selector_target).transpose()?;
        let acked = matches!(frame.get("ack"), Some("client" | "client-individual"));
        Ok(Subscription {
            id: id.to_owned(),
            destination: destination.to_owned(),
            target,
            acked,
        })
    }

    /// An event subscription whose events the client acknowledges.
    pub fn acknowledges_events(&self) -> bool {
        self.acked && self.takes_events()
    }

    fn takes_events(&self) -> bool {
        EVENT_DESTINATIONS
            .iter()
            .any(|d| self.destination.eq_ignore_ascii_case(d))
    }

    fn admits(&self, event: &EventRow) -> bool {
        self.target.is_none_or(|t| t == event.target)
    }
}

/// `target = 'smart.transactions'` (spaces and either quote) → the target.
fn selector_target(selector: &str) -> Result<&'static str, String> {
    let refused = || format!("selector not understood (only target = '…'): {selector}");
    let (field, value) = selector.split_once('=').ok_or_else(refused)?;
    if !field.trim().eq_ignore_ascii_case("target") {
        return Err(refused());
    }
    let value = value.trim();
    let unquoted = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .ok_or_else(refused)?;
    TARGETS
        .iter()
        .find(|t| t.eq_ignore_ascii_case(unquoted))
        .copied()
        .ok_or_else(|| format!("unknown event target {unquoted}"))
}

/// Appends the MESSAGE frames of one event to `out`: one per event subscription that admits it,
/// or one on `/temp-queue/main` when the client has no event subscription. The event's JSON is
/// the one encoding every connection shares.
pub(super) fn encode_event(
    clock: &Clock,
    session: &str,
    subscriptions: &[Subscription],
    relayed: &Relayed,
    message_id: &mut dyn FnMut() -> String,
    out: &mut Vec<u8>,
) {
    let event = &relayed.row;
    let body = relayed.encoded(|row| event_json(clock, row).into_bytes());
    let mut subscribed = subscriptions.iter().filter(|s| s.takes_events()).peekable();
    if subscribed.peek().is_none() {
        let id = message_id();
        let headers = message_headers(DEFAULT_DESTINATION, &id);
        encode_into(out, Command::Message, &headers, &body);
        return;
    }
    for s in subscribed.filter(|s| s.admits(event)) {
        let id = message_id();
        let mut headers = message_headers(&s.destination, &id).to_vec();
        headers.push(("subscription", &s.id));
        let ack = s.acked.then(|| ack_id(session, event.seq));
        if let Some(ack) = &ack {
            headers.push(("ack", ack));
        }
        encode_into(out, Command::Message, &headers, &body);
    }
}

/// The `ack` header of an event: the session and the event's number, so that an ACK names the
/// event it acknowledges (and resuming the session knows where to go on).
fn ack_id(session: &str, seq: i64) -> String {
    format!("{session}.{seq}")
}

/// The event number an ACK of this session acknowledges; `None` for another session's id.
pub(super) fn acked_seq(session: &str, ack: &str) -> Option<i64> {
    let (of, seq) = ack.rsplit_once('.')?;
    (of == session).then(|| seq.parse().ok()).flatten()
}

fn message_headers<'a>(destination: &'a str, id: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("destination", destination),
        ("message-id", id),
        ("content-type", "application/x-json"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_names_its_session_and_event() {
        assert_eq!(ack_id("abc", 42), "abc.42");
        assert_eq!(acked_seq("abc", "abc.42"), Some(42));
        assert_eq!(acked_seq("abc", "other.42"), None);
        assert_eq!(acked_seq("abc", "abc.x"), None);
        assert_eq!(acked_seq("abc", "abc-1"), None);
    }

    #[test]
    fn a_selector_names_one_known_target() {
        assert_eq!(
            selector_target("target = 'smart.transactions'"),
            Ok("smart.transactions")
        );
        assert_eq!(
            selector_target("TARGET=\"loyalty.transactions\""),
            Ok("loyalty.transactions")
        );
        assert!(selector_target("target = 'nope.things'").is_err());
        assert!(selector_target("type = 'changed'").is_err());
        assert!(selector_target("target = smart.transactions").is_err());
    }
}
