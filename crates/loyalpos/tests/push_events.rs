//! Events (push.md §1, §3, §2.4): a change committed over REST is published from the outbox to
//! the HTTP event stream and to STOMP connections, to exactly the tokens that may see it; a failed
//! request publishes nothing; a resumed stream loses and repeats nothing.
mod common;
mod loyalty_support;
use std::collections::BTreeMap;
use std::time::Duration;

use common::sse::{EventStream, Sse};
use common::stomp::StompClient;
use common::*;
use loyalpos_stomp::{Command, Frame};
use loyalty_support::other_merchant;
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(700);

/// `(event name, object id)` of stream events, in order.
fn names(events: &[(i64, String, Value)]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|(_, name, e)| {
            (
                name.clone(),
                e["data"]["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn event_of<'a>(events: &'a [(i64, String, Value)], name: &str) -> &'a Value {
    events
        .iter()
        .find(|(_, n, _)| n == name)
        .map(|(_, _, e)| e)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(events)))
}

async fn charge(app: &TestApp, token: &str, mcd: &str, amount: i64) -> Reply {
    direct(app, token, mcd, "charge", amount).await
}

async fn direct(app: &TestApp, token: &str, mcd: &str, action: &str, amount: i64) -> Reply {
    let path = format!("/Loyalty/MerchantCards/{mcd}/transaction/me");
    app.post(&path, token, json!({"action": action, "amount": amount}))
        .await
}

on_both_backends! {
    async fn a_start_over_rest_streams_the_transaction_its_booking_and_the_card(app: TestApp) {
        let mut stream = EventStream::open(&app.server.base, PINNED, "", None).await;
        let started = app.start(SEED_STX, "cash").await.ok().clone();
        let events = stream.drain(QUIET).await;
        let mut seen = names(&events);
        seen.sort();
        let ltx = started["transactions"][0]["id"].as_str().unwrap();
        assert_eq!(seen, vec![
            ("loyalty.merchantcards.changed".to_owned(), MCD_A.to_owned()),
            ("loyalty.transactions.added".to_owned(), ltx.to_owned()),
            ("smart.transactions.changed".to_owned(), SEED_STX.to_owned()),
        ]);
        // numbered one after another; each the event object with the view GET answers
        let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(ids, (ids[0]..ids[0] + 3).collect::<Vec<_>>());
        let stx = event_of(&events, "smart.transactions.changed");
        assert_eq!(stx["object"], "event.actions");
        assert_eq!(stx["id"].as_str().unwrap().len(), 34);
        assert!(stx["id"].as_str().unwrap().starts_with("EAC_"));
        assert_eq!((stx["target"].as_str(), stx["type"].as_str()), (Some("smart.transactions"), Some("changed")));
        assert_eq!(stx["data"], app.stx(SEED_STX).await);
        assert_eq!(event_of(&events, "loyalty.transactions.added")["data"], app.ltx(ltx).await);
        let card = app.get(&format!("/Loyalty/MerchantCards/{MCD_A}"), PINNED).await;
        assert_eq!(event_of(&events, "loyalty.merchantcards.changed")["data"], card.ok().clone());
    }

    async fn a_failed_request_publishes_nothing_and_a_declined_payment_its_committed_change(app: TestApp) {
        let mut stream = EventStream::open(&app.server.base, PINNED, "", None).await;
        // refused: an unknown card, a second start, a malformed body
        let unknown = app.create_stx(card_body("9276000000000000", docs_basket(), 796)).await;
        let _ = stream.drain(QUIET).await;
        app.start(&unknown, "cash").await.assert_error(400, 4201);
        app.start(SEED_STX, "cash").await.ok();
        let _ = stream.drain(QUIET).await;
        app.start(SEED_STX, "loyalty").await.assert_error(409, 4101);
        app.post("/Smart/Transactions", PINNED, json!({"basket": 7})).await.assert_error(400, 4001);
        assert_eq!(stream.drain(QUIET).await, vec![], "no event for a refused request");
        // a declined terminal payment commits the failed transaction: its change is published
        let declined = app.create_stx(json!({"basket": {"products": [{"id": 1, "desc": "T", "quantity": 1, "priceOne": 1111, "tax": 19}]}, "basket_info": {"sum": 1111}})).await;
        app.start(&declined, "cashless").await.assert_error(402, 4301);
        let events = stream.drain(QUIET).await;
        let texts: Vec<&str> = events.iter().filter(|(_, n, _)| n == "general.notifications.display")
            .map(|(_, _, e)| e["data"]["text"].as_str().unwrap()).collect();
        assert_eq!(texts, vec!["Bitte Karte einstecken", "Zahlung abgelehnt"]);
        let payment = event_of(&events, "smart.transactions.startPayment");
        assert_eq!(payment["data"], json!({"amount": 1111, "currency": "EUR", "protocol": "zvt"}));
        assert_eq!(event_of(&events, "smart.transactions.added")["data"]["id"], declined.as_str());
        assert_eq!(event_of(&events, "smart.transactions.changed")["data"]["status"], "failed");
        assert_eq!(event_of(&events, "general.notifications.display")["data"]["device"]["id"], CASH_REGISTER);
    }

    async fn no_token_sees_another_merchants_events(app: TestApp) {
        let other = other_merchant(&app).await;
        let mut foreign = EventStream::open(&app.server.base, &other.token, "", None).await;
        let mut own = EventStream::open(&app.server.base, PINNED, "", None).await;
        app.start(SEED_STX, "cash").await.ok();
        assert_eq!(own.drain(QUIET).await.len(), 3);
        assert_eq!(foreign.drain(QUIET).await, vec![]);
        let replay = EventStream::open(&app.server.base, &other.token, "?after=0", None).await.drain(QUIET).await;
        assert_eq!(replay, vec![], "nor from the outbox");
        let (mut stomp, _) = StompClient::connect(&app.server.stomp, &other.token).await;
        charge(&app, PINNED, MCD_A, 100).await.ok();
        let quiet = tokio::time::timeout(QUIET, stomp.next_event()).await;
        assert!(quiet.is_err(), "a foreign STOMP connection got {quiet:?}");
    }

    async fn a_device_token_sees_its_devices_transactions_and_every_loyalty_event(app: TestApp) {
        let merchant = app.merchant_token().await;
        let mut device = EventStream::open(&app.server.base, PINNED, "", None).await;
        let mut all = EventStream::open(&app.server.base, &merchant, "", None).await;
        // a transaction of no device: only merchant-level tokens see it
        let r = app.post("/Smart/Transactions", &merchant, json!({"basket": {"products": [{"id": 1, "desc": "T", "quantity": 1, "priceOne": 100, "tax": 19}]}, "basket_info": {"sum": 100}})).await;
        let elsewhere = r.ok()["id"].as_str().unwrap().to_owned();
        // a card charged by the merchant: every token of the merchant sees the loyalty events
        charge(&app, &merchant, MCD_B, 250).await.ok();
        let mine = app.create_stx(docs_basket_body()).await;
        let seen_by_device = names(&device.drain(QUIET).await);
        let seen_by_merchant = names(&all.drain(QUIET).await);
        assert!(seen_by_merchant.contains(&("smart.transactions.added".into(), elsewhere.clone())));
        assert!(!seen_by_device.iter().any(|(_, id)| *id == elsewhere), "{seen_by_device:?}");
        assert!(seen_by_device.contains(&("smart.transactions.added".into(), mine.clone())));
        assert!(seen_by_device.contains(&("loyalty.merchantcards.changed".into(), MCD_B.into())));
        assert!(seen_by_device.iter().any(|(name, _)| name == "loyalty.transactions.added"));
        assert_eq!(seen_by_merchant.len(), 4);
        assert_eq!(seen_by_device.len(), 3);
    }

    async fn a_resumed_stream_loses_and_repeats_nothing(app: TestApp) {
        let merchant = app.merchant_token().await;
        let mut first = EventStream::open(&app.server.base, &merchant, "?after=0", None).await;
        for amount in [10, 20, 30] {
            charge(&app, &merchant, MCD_A, amount).await.ok();
        }
        let mut got = Vec::new();
        for _ in 0..4 {
            got.push(first.next_event().await.0);
        }
        drop(first);
        // while nobody listens
        for amount in [40, 50] {
            charge(&app, &merchant, MCD_A, amount).await.ok();
        }
        let last = *got.last().unwrap();
        let mut resumed = EventStream::open(&app.server.base, &merchant, "", Some(last)).await;
        charge(&app, &merchant, MCD_A, 60).await.ok();
        got.extend(resumed.drain(QUIET).await.iter().map(|(id, _, _)| *id));
        // 6 charges, each an LTX and a card change, numbered 1..=12 for this new merchant stream
        assert_eq!(got, (1..=12).collect::<Vec<_>>());
        // ?after= resumes the same way; a filter keeps only its targets
        let tail = EventStream::open(&app.server.base, &merchant, "?after=10", None).await.drain(QUIET).await;
        assert_eq!(tail.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(), vec![11, 12]);
        let only = EventStream::open(&app.server.base, &merchant, "?after=0&target=loyalty.transactions", None)
            .await.drain(QUIET).await;
        assert_eq!(only.len(), 6);
        assert!(only.iter().all(|(_, name, _)| name == "loyalty.transactions.added"));
    }

    async fn a_resume_point_older_than_the_outbox_starts_with_a_gap_comment(app: TestApp) {
        let merchant = app.merchant_token().await;
        for amount in [10, 20] {
            charge(&app, &merchant, MCD_A, amount).await.ok();
        }
        // numbered (the relay numbers after the commit), then the oldest two deleted
        let numbered = EventStream::open(&app.server.base, &merchant, "?after=0", None).await.drain(QUIET).await;
        assert_eq!(numbered.len(), 4);
        // SQLite keeps the numbers in the event row; PostgreSQL beside it (`event_numbers`).
        let oldest_two = if app.db.url.starts_with("sqlite:") {
            "DELETE FROM events WHERE seq <= 2"
        } else {
            "WITH gone AS (DELETE FROM event_numbers WHERE seq <= 2 RETURNING pos) \
             DELETE FROM events WHERE pos IN (SELECT pos FROM gone)"
        };
        raw_sql(&app.db.url, oldest_two).await;
        let mut stream = EventStream::open(&app.server.base, &merchant, "?after=0", None).await;
        assert_eq!(stream.next_within(QUIET).await, Some(Sse::Comment("gap".into())));
        let ids: Vec<i64> = stream.drain(QUIET).await.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(ids, vec![3, 4]);
        // a resume point that is kept: no gap
        let mut kept = EventStream::open(&app.server.base, &merchant, "?after=2", None).await;
        assert!(matches!(kept.next_within(QUIET).await, Some(Sse::Event { id: 3, .. })));
    }

    async fn bad_stream_parameters_get_the_error_envelope(app: TestApp) {
        let no_token = app.send(reqwest::Method::GET, "/api/v2/events", None, None).await;
        no_token.assert_error(401, 2003);
        app.get("/api/v2/events?target=nope.things", PINNED).await.assert_error(400, 4001);
        app.get("/api/v2/events?after=-1", PINNED).await.assert_error(400, 4001);
        let resumed = app.http.get(app.url("/api/v2/events")).header("Authorization", format!("Bearer {PINNED}"))
            .header("Last-Event-ID", "abc").send().await.unwrap();
        TestApp::reply(resumed).await.assert_error(400, 4001);
    }

    async fn a_stomp_connection_gets_events_without_correlation_id_and_subscriptions_filter(app: TestApp) {
        let (mut plain, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        let (mut filtered, connected) = StompClient::connect(&app.server.stomp, PINNED).await;
        filtered.send(&Frame::new(Command::Subscribe).header("id", "sub-7").header("destination", "/topic/events")
            .header("selector", "target = 'loyalty.transactions'").header("ack", "client").header("receipt", "s")).await;
        assert_eq!(filtered.next().await.unwrap().get("receipt-id"), Some("s"));
        let started = app.start(SEED_STX, "cash").await.ok().clone();
        let mut got = Vec::new();
        for _ in 0..3 {
            let frame = plain.next_event().await.unwrap();
            assert_eq!(frame.get("destination"), Some("/temp-queue/main"));
            assert_eq!(frame.get("correlation-id"), None);
            let event: Value = serde_json::from_slice(&frame.body).unwrap();
            got.push(format!("{}.{}", event["target"].as_str().unwrap(), event["type"].as_str().unwrap()));
            if event["target"] == "smart.transactions" {
                assert_eq!(event["data"], app.stx(SEED_STX).await);
            }
        }
        got.sort();
        assert_eq!(got, ["loyalty.merchantcards.changed", "loyalty.transactions.added", "smart.transactions.changed"]);
        let only = filtered.next_event().await.unwrap();
        assert_eq!((only.get("destination"), only.get("subscription")), (Some("/topic/events"), Some("sub-7")));
        let session = connected.get("session").unwrap();
        assert!(only.get("ack").unwrap().starts_with(&format!("{session}.")), "the ack names the session and the event");
        let event: Value = serde_json::from_slice(&only.body).unwrap();
        assert_eq!(event["data"]["id"], started["transactions"][0]["id"]);
        assert!(tokio::time::timeout(QUIET, filtered.next_event()).await.is_err(), "the selector filters");
        // a selector it does not understand: ERROR, closed
        let (mut odd, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        odd.send(&Frame::new(Command::Subscribe).header("id", "x").header("destination", "/topic/events")
            .header("selector", "amount > 5")).await;
        assert_eq!(odd.next().await.unwrap().command, Command::Error);
        assert!(odd.next().await.is_none());
    }

    async fn a_resumed_stomp_session_gets_every_event_after_the_newest_it_acknowledged(app: TestApp) {
        let merchant = app.merchant_token().await;
        let (mut first, connected) = StompClient::connect(&app.server.stomp, &merchant).await;
        let session = connected.get("session").unwrap().to_owned();
        first.send(&acked_subscription()).await;
        assert_eq!(first.next().await.unwrap().get("receipt-id"), Some("s"));
        app.start(SEED_STX, "cash").await.ok();
        let before: Vec<Frame> = [first.next_event().await, first.next_event().await, first.next_event().await]
            .into_iter().map(Option::unwrap).collect();
        // the first of the three acknowledged; then the connection goes
        first.send(&Frame::new(Command::Ack).header("id", before[0].get("ack").unwrap())).await;
        first.send(&Frame::new(Command::Disconnect).header("receipt", "bye")).await;
        assert_eq!(first.next().await.unwrap().get("receipt-id"), Some("bye"));
        // while away: a create and a start
        let stx = app.create_stx(card_body(CARD_B, docs_basket(), 796)).await;
        app.start(&stx, "cash").await.ok();
        // back: the session taken over, the two unacknowledged events, then the four of while away
        let mut second = StompClient::open(&app.server.stomp).await;
        second.send(&Frame::new(Command::Connect).header("accept-version", "1.2").header("login", &merchant)
            .header("passcode", &merchant).header("x-resume-session", &session)).await;
        assert_eq!(second.next().await.unwrap().get("session"), Some(session.as_str()));
        second.send(&acked_subscription()).await;
        let mut again = Vec::new();
        for _ in 0..6 {
            again.push(second.next_event().await.expect("an event"));
        }
        let ids: Vec<String> = again.iter().map(event_id).collect();
        assert_eq!(ids[..2], [event_id(&before[1]), event_id(&before[2])]);
        let message_ids: std::collections::HashSet<&str> =
            before.iter().chain(&again).map(|f| f.get("message-id").unwrap()).collect();
        assert_eq!(message_ids.len(), 9, "message ids stay unique across the session's connections");
        let mut away: Vec<String> = again[2..].iter().map(event_name).collect();
        assert_eq!(away.remove(0), "smart.transactions.added");
        away.sort();
        assert_eq!(away, ["loyalty.merchantcards.changed", "loyalty.transactions.added", "smart.transactions.changed"]);
        assert!(tokio::time::timeout(QUIET, second.next_event()).await.is_err(), "nothing twice");
        // a session id of another merchant, or none known: a new session, nothing sent again
        let other = other_merchant(&app).await;
        let mut stranger = StompClient::open(&app.server.stomp).await;
        stranger.send(&Frame::new(Command::Connect).header("login", &other.token)
            .header("passcode", &other.token).header("x-resume-session", &session)).await;
        let fresh = stranger.next().await.unwrap();
        assert_ne!(fresh.get("session"), Some(session.as_str()));
        stranger.send(&acked_subscription()).await;
        assert_eq!(stranger.next().await.unwrap().get("receipt-id"), Some("s"));
        assert!(tokio::time::timeout(QUIET, stranger.next_event()).await.is_err(), "nothing of another merchant");
    }

    async fn merchant_card_changes_and_device_registrations_are_published(app: TestApp) {
        let merchant = app.merchant_token().await;
        let mut stream = EventStream::open(&app.server.base, &merchant, "", None).await;
        let lock = app.post(&format!("/Loyalty/MerchantCards/{MCD_C}/lock"), &merchant, json!({"reason": 2})).await;
        lock.ok();
        let device = app.post("/Smart/Devices", &merchant, json!({"type": "cashier", "description": "Kasse 9"})).await;
        let device_id = device.ok()["id"].as_str().unwrap().to_owned();
        let events = stream.drain(QUIET).await;
        assert_eq!(names(&events), vec![
            ("loyalty.merchantcards.changed".to_owned(), MCD_C.to_owned()),
            ("smart.devices.changed".to_owned(), device_id.clone()),
        ]);
        assert_eq!(event_of(&events, "loyalty.merchantcards.changed")["data"]["lock_status"], lock.body["lock_status"]);
        let shown = app.get(&format!("/Smart/Devices/{device_id}"), &merchant).await;
        assert_eq!(event_of(&events, "smart.devices.changed")["data"], shown.ok().clone());
    }
}

/// SUBSCRIBE to the events, each acknowledged one by one; answered with RECEIPT `s`.
fn acked_subscription() -> Frame {
    Frame::new(Command::Subscribe)
        .header("id", "ev")
        .header("destination", "/topic/events")
        .header("ack", "client-individual")
        .header("receipt", "s")
}

/// The `EAC_…` id of an event frame.
fn event_id(frame: &Frame) -> String {
    let event: Value = serde_json::from_slice(&frame.body).unwrap();
    event["id"].as_str().unwrap().to_owned()
}

/// `target.type` of an event frame.
fn event_name(frame: &Frame) -> String {
    let event: Value = serde_json::from_slice(&frame.body).unwrap();
    format!(
        "{}.{}",
        event["target"].as_str().unwrap(),
        event["type"].as_str().unwrap()
    )
}

fn docs_basket_body() -> Value {
    json!({"basket": docs_basket(), "basket_info": {"sum": 796, "currency": "EUR"}})
}

/// The outbox holds exactly the committed changes: for a random mix of succeeding and failing
/// requests, each object's events are its successful requests' changes, in their order; a server
/// killed with SIGKILL between requests leaves no committed change without its event.
mod the_outbox_equals_the_committed_changes {
    use super::*;
    use rand::{Rng, SeedableRng};

    async fn run(mut app: TestApp) {
        let merchant = app.merchant_token().await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x10ca1);
        // per object, its events' names in order; loyalty transactions counted (a direct booking
        // answers the card, not the LTX id)
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut bookings = 0;
        let mut expect = |object: &str, name: &str| {
            expected
                .entry(object.to_owned())
                .or_default()
                .push(name.to_owned());
        };
        let mut open: Vec<String> = Vec::new();
        for round in 0..40 {
            if round == 20 {
                // SIGKILL, then a new process on the same database
                app.server.kill();
                app.server = Server::start(&app.db.url, &["--demo"]);
            }
            match rng.random_range(0..4) {
                0 => {
                    let card = [CARD_A, CARD_B, "9276000000000000"][rng.random_range(0..3)];
                    let r = app
                        .post(
                            "/Smart/Transactions",
                            PINNED,
                            card_body(card, docs_basket(), 796),
                        )
                        .await;
                    if r.status == 200 {
                        let id = r.body["id"].as_str().unwrap().to_owned();
                        expect(&id, "smart.transactions.added");
                        open.push(id);
                    }
                }
                1 if !open.is_empty() => {
                    let stx = open.swap_remove(rng.random_range(0..open.len()));
                    let r = app.start(&stx, "cash").await;
                    if r.status == 200 {
                        expect(&stx, "smart.transactions.changed");
                        bookings += 1;
                        let mcd = r.body["idents"][0]["merchantcard"]["id"].as_str().unwrap();
                        expect(mcd, "loyalty.merchantcards.changed");
                    }
                }
                2 => {
                    let mcd = [MCD_A, MCD_B][rng.random_range(0..2)];
                    // a discharge past the balance is refused, as is an amount of 0
                    let action = ["charge", "discharge"][rng.random_range(0..2)];
                    let r = direct(&app, &merchant, mcd, action, rng.random_range(0..3000)).await;
                    if r.status == 200 {
                        bookings += 1;
                        expect(mcd, "loyalty.merchantcards.changed");
                    } else {
                        assert_eq!(r.status, 400, "{}", r.text);
                    }
                }
                _ => {
                    let r = app
                        .post(
                            "/Smart/Transactions",
                            PINNED,
                            json!({"basket": rng.random_range(0..9)}),
                        )
                        .await;
                    assert_eq!(r.status, 400);
                }
            }
        }
        let events = EventStream::open(&app.server.base, &merchant, "?after=0", None)
            .await
            .drain(QUIET)
            .await;
        let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(
            ids,
            (1..=events.len() as i64).collect::<Vec<_>>(),
            "numbered without holes"
        );
        let mut published: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut booked = 0;
        for (name, object) in names(&events) {
            if name == "loyalty.transactions.added" {
                booked += 1;
            } else {
                published.entry(object).or_default().push(name);
            }
        }
        assert_eq!(published, expected);
        assert_eq!(booked, bookings);
        assert!(
            bookings > 3 && expected.len() > 5,
            "the mix had successes: {expected:?}"
        );
    }

    #[tokio::test]
    async fn sqlite() {
        run(TestApp::spawn(Backend::Sqlite).await.unwrap()).await
    }

    #[tokio::test]
    async fn postgres() {
        if let Some(app) = TestApp::spawn(Backend::Postgres).await {
            run(app).await
        }
    }
}

/// push.md §1 scale-out: a register connected over STOMP to one process sees, within a second,
/// the events of a start executed over REST on another process of the same PostgreSQL database.
#[tokio::test]
async fn an_event_committed_by_one_postgres_process_reaches_stomp_on_another_within_a_second() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let other = Server::start(&app.db.url, &["--demo"]);
    let (mut client, _) = StompClient::connect(&other.stomp, PINNED).await;
    let mut stream = EventStream::open(&other.base, PINNED, "", None).await;
    app.start(SEED_STX, "cash").await.ok();
    let frame = tokio::time::timeout(Duration::from_secs(1), client.next_event())
        .await
        .expect("the event within 1 s")
        .unwrap();
    let event: Value = serde_json::from_slice(&frame.body).unwrap();
    assert!(
        event["target"].as_str().unwrap().starts_with("loyalty.")
            || event["data"]["id"] == SEED_STX
    );
    let (_, _, first) = tokio::time::timeout(Duration::from_secs(1), stream.next_event())
        .await
        .unwrap();
    assert_eq!(
        first["id"], event["id"],
        "both channels deliver in the same order"
    );
    // and the other way round: a start on the second process reaches a stream of the first
    let mut first_stream = EventStream::open(&app.server.base, PINNED, "", None).await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/v2/Smart/Transactions/{BONUS20_STX}/start/cash",
            other.base
        ))
        .header("Authorization", format!("Bearer {PINNED}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = tokio::time::timeout(Duration::from_secs(1), first_stream.next_event()).await;
    assert!(seen.is_ok(), "event of process B on process A within 1 s");
}
