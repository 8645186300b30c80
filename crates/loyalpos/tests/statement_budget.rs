//! The statement budget of the register flow (issue "One command, one unit of work"): a start with
//! a card runs at most 9 SQL statements in its unit of work (8, and one for the outbox rows of its
//! events: issue "Push"), a whole flow (create with a card + start/cash, no Idempotency-Key) at most
//! 14, and a preTransaction at most 4 (its event shows the transaction it planned, without reading
//! it and its card again) — counted by the server's own store counters (`GET /metrics`), less what
//! the event relay ran meanwhile (it numbers and hands on the events after the commit, batched
//! under load). On PostgreSQL the same units are held to their round trips: a start with a card
//! waits 3 times (its card and transaction locked together, the TA code, the writes with the
//! COMMIT), a create 2 (its card, the writes with the COMMIT), a preTransaction 2 — less the ones
//! that prepared a statement on a connection new to it, and one for each row a cache had to read.
mod common;
use common::sse::EventStream;
use common::*;
use serde_json::json;

const START_WITH_CARD: u64 = 9;
const FLOW: u64 = 14;
const PRE_TRANSACTION: u64 = 4;
const START_WITH_CARD_TRIPS: u64 = 3;
const FLOW_TRIPS: u64 = 5;
const PRE_TRANSACTION_TRIPS: u64 = 2;

fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// The store's counters so far (`GET /metrics`).
struct Counts {
    /// Statements of the requests' units, less the relay's.
    statements: u64,
    /// The relay's statements.
    relay: u64,
    /// Round trips of the requests' units, less the relay's (0 on SQLite).
    trips: u64,
    /// Of these, the ones that prepared a statement: a pooled connection's first use of a SQL text
    /// (the measured request may get a connection the warm-up did not use).
    prepares: u64,
    /// Rows the caches had to read (each a statement and a round trip of its own): a cached row
    /// is used for at most a second, which a slow machine may pass between warm-up and measurement.
    misses: u64,
}

async fn counts(app: &TestApp) -> Counts {
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let relay = counter(&text, "loyalpos_store_relay_statements_total");
    Counts {
        statements: counter(&text, "loyalpos_store_statements_total") - relay,
        relay,
        trips: counter(&text, "loyalpos_store_round_trips_total")
            - counter(&text, "loyalpos_store_relay_round_trips_total"),
        prepares: counter(&text, "loyalpos_store_prepares_total"),
        misses: counter(&text, "loyalpos_cache_misses_total"),
    }
}

/// Round trips between two counts, less the preparations and one for each cache miss meanwhile.
fn trips_between(before: &Counts, after: &Counts) -> u64 {
    let warming = (after.prepares - before.prepares) + (after.misses - before.misses);
    (after.trips - before.trips).saturating_sub(warming)
}

fn docs_basket_with(card: &str) -> serde_json::Value {
    json!({
        "idents": [{"type": "card", "value": card}],
        "basket": {"products": [
            {"id": 1, "articleNumber": "30037", "desc": "Sandwich Romano", "quantity": 1, "priceOne": 349, "tax": 7},
            {"id": 2, "articleNumber": "30200", "desc": "Fruit salad, small bowl", "quantity": 1, "priceOne": 249, "tax": 7},
            {"id": 3, "articleNumber": "51", "ean": "4999012345678", "desc": "Water", "quantity": 2, "priceOne": 99, "tax": 19}
        ]},
        "basket_info": {"sum": 796, "currency": "EUR"}
    })
}

on_both_backends! {
    async fn a_register_flow_stays_within_its_statement_budget(app: TestApp) {
        // Warm the per-process caches (token, merchant, card group) as any running server has them.
        let warm = app.post("/Smart/Transactions", PINNED, docs_basket_with(CARD_C)).await.ok().clone();
        let id = warm["id"].as_str().unwrap().to_owned();
        app.post(&format!("/Smart/Transactions/{id}/start/cash"), PINNED, json!({})).await.ok();

        // Each measurement waits until the relay handed on the events before (so that its work
        // is counted as the relay's).
        let mut events = EventStream::open(&app.server.base, PINNED, "?after=0", None).await;
        events.drain(std::time::Duration::from_millis(500)).await;
        let before_create = counts(&app).await;
        let created = app.post("/Smart/Transactions", PINNED, docs_basket_with(CARD_C)).await.ok().clone();
        let id = created["id"].as_str().unwrap().to_owned();
        events.next_event().await;
        let before_start = counts(&app).await;
        let started = app.post(&format!("/Smart/Transactions/{id}/start/cash"), PINNED, json!({})).await.ok().clone();
        for _ in 0..3 {
            events.next_event().await;
        }
        let after = counts(&app).await;
        assert_eq!(started["status"], "ok");

        let create = before_start.statements - before_create.statements;
        let start = after.statements - before_start.statements;
        println!(
            "statements: create {create}, start/cash {start}, flow {}; the relay: {} for the flow's 4 events",
            create + start,
            after.relay - before_create.relay
        );
        assert!(start <= START_WITH_CARD, "start/cash with a card ran {start} statements");
        assert!(create + start <= FLOW, "the flow ran {} statements", create + start);
        let (create_trips, start_trips) = (trips_between(&before_create, &before_start), trips_between(&before_start, &after));
        println!("round trips: create {create_trips}, start/cash {start_trips}");
        assert!(start_trips <= START_WITH_CARD_TRIPS, "start/cash with a card waited {start_trips} times");
        assert!(create_trips + start_trips <= FLOW_TRIPS, "the flow waited {} times", create_trips + start_trips);
    }
}

on_both_backends! {
    async fn a_pre_transaction_stays_within_its_statement_budget(app: TestApp) {
        let warm = app.post("/Smart/Transactions", PINNED, docs_basket_with(CARD_C)).await.ok().clone();
        let id = warm["id"].as_str().unwrap().to_owned();
        app.post(&format!("/Smart/Transactions/{id}/preTransaction"), PINNED, json!({})).await.ok();

        let mut events = EventStream::open(&app.server.base, PINNED, "?after=0", None).await;
        events.drain(std::time::Duration::from_millis(500)).await;
        let created = app.post("/Smart/Transactions", PINNED, docs_basket_with(CARD_C)).await.ok().clone();
        let id = created["id"].as_str().unwrap().to_owned();
        events.next_event().await;
        let before = counts(&app).await;
        let planned = app.post(&format!("/Smart/Transactions/{id}/preTransaction"), PINNED, json!({})).await.ok().clone();
        let (_, _, changed) = events.next_event().await;
        let after = counts(&app).await;

        // The event shows the transaction as planned, its card included.
        assert!(planned["missing_sum"].is_number(), "{planned}");
        assert_eq!(changed["type"], "changed", "{changed}");
        assert_eq!(changed["data"]["status"], "processing", "{changed}");
        assert_eq!(changed["data"]["idents"][0]["value"], CARD_C, "{changed}");
        let pre = after.statements - before.statements;
        println!("statements: preTransaction {pre}");
        assert!(pre <= PRE_TRANSACTION, "preTransaction ran {pre} statements");
        let trips = trips_between(&before, &after);
        println!("round trips: preTransaction {trips}");
        assert!(trips <= PRE_TRANSACTION_TRIPS, "preTransaction waited {trips} times");
    }
}
