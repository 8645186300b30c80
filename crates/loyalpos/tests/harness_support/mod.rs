//! Shared machinery of the three harnesses of issue 6 (`harness_concurrency`, `harness_crash`,
//! `harness_retry`): sizes from the environment, a seeded RNG, an HTTP client that survives a killed
//! server, a tally of the answers, register flows that tag every booking request, and the ledger audit
//! that attributes every loyalty transaction (LTX) to the request that booked it.
//!
//! Every booking request carries a tag: a smart transaction carries it as `transactionRef` (and the
//! LTX of its start names the smart transaction), a direct card transaction carries it in
//! `additional_data.harness` (which the LTX keeps). So the audit can say, for every LTX, which request
//! wrote it — an LTX that no acknowledged and no unanswered request explains is a phantom booking, a
//! request that explains two LTXs booked twice.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

// ---- sizes and seed ----

/// A size from the environment (`LOYALPOS_HARNESS_*`), or its CI default.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a non-negative integer")),
        Err(_) => default,
    }
}

/// The run's seed: `LOYALPOS_HARNESS_SEED`, else a random one; printed so that a failure's
/// operation sequence can be replayed (the interleaving of concurrent clients cannot).
pub fn seed(harness: &str) -> u64 {
    let seed = match std::env::var("LOYALPOS_HARNESS_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("LOYALPOS_HARNESS_SEED={v:?} is not a u64")),
        Err(_) => rand::rng().random(),
    };
    eprintln!("[{harness}] seed {seed} (replay with LOYALPOS_HARNESS_SEED={seed})");
    seed
}

pub fn rng_for(seed: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

// ---- the demo cards the harnesses hammer ----

#[derive(Clone, Copy, Debug)]
pub struct Card {
    pub name: &'static str,
    pub number: &'static str,
    pub mcd: &'static str,
    /// Opening (cash, bonus) of demo-tenant.md §7.
    pub opening: (i64, i64),
}

pub const CARDS: [Card; 4] = [
    Card {
        name: "A",
        number: CARD_A,
        mcd: MCD_A,
        opening: (1000, 0),
    },
    Card {
        name: "B",
        number: CARD_B,
        mcd: MCD_B,
        opening: (300, 52),
    },
    Card {
        name: "C",
        number: CARD_C,
        mcd: MCD_C,
        opening: (200, 20),
    },
    Card {
        name: "D",
        number: CARD_D,
        mcd: MCD_D,
        opening: (0, 71),
    },
];
/// Card E is locked: every booking attempt on it must be refused (400/4202).
pub const LOCKED: Card = Card {
    name: "E",
    number: CARD_E,
    mcd: MCD_E,
    opening: (500, 0),
};

pub fn all_cards() -> Vec<Card> {
    let mut v = CARDS.to_vec();
    v.push(LOCKED);
    v
}

// ---- HTTP ----

/// One answer of the server; `Err` means no answer at all (connection refused or reset, timeout).
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub code: Option<i64>,
    pub body: Value,
    pub text: String,
    pub replayed: bool,
}

pub type Outcome = Result<Answer, String>;

/// A client of one server process.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    pub base: String,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: http_client(),
            base: base.to_owned(),
        }
    }

    pub fn with_client(http: &reqwest::Client, base: &str) -> Api {
        Api {
            http: http.clone(),
            base: base.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("/oauth") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v2{path}", self.base)
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Outcome {
        let mut rb = self
            .http
            .request(method, self.url(path))
            .header("Accept", "application/json");
        if let Some(t) = token {
            rb = rb.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = rb.send().await.map_err(|e| format!("{e:?}"))?;
        let status = resp.status().as_u16();
        let replayed = resp
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true");
        let text = resp.text().await.map_err(|e| format!("body: {e:?}"))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = body.get("code").and_then(Value::as_i64);
        Ok(Answer {
            status,
            code,
            body,
            text,
            replayed,
        })
    }

    pub async fn call(&self, req: &Request) -> Outcome {
        self.send(
            req.method.clone(),
            &req.path,
            Some(&req.token),
            req.body.as_ref(),
            req.key.as_deref(),
        )
        .await
    }

    /// A GET that must answer 200 (audits run on a quiet, healthy server).
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let a = self
            .send(Method::GET, path, Some(token), None, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: no answer: {e}"));
        assert_eq!(a.status, 200, "GET {path}: {}", a.text);
        a.body
    }
}

/// The tokens the registers use: the pinned token of the docs' cash register, a device-PIN token of
/// the terminal device, and a merchant-level client token.
#[derive(Clone)]
pub struct Tokens {
    pub pinned: String,
    pub terminal: String,
    pub merchant: String,
}

impl Tokens {
    pub async fn fetch(api: &Api) -> Tokens {
        let terminal = json!({"grant_type": "device_pin", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1,
            "uuid": "/vendor/ingenico/serial/17275wl26695664", "device_pin": "CxajtF94uLi4s7d3"});
        let merchant = json!({"grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1});
        let mut out = Vec::new();
        for body in [terminal, merchant] {
            let a = api
                .send(Method::POST, "/oauth/token", None, Some(&body), None)
                .await
                .expect("token endpoint answers");
            assert_eq!(a.status, 200, "{}", a.text);
            out.push(a.body["access_token"].as_str().unwrap().to_owned());
        }
        Tokens {
            pinned: PINNED.to_owned(),
            terminal: out[0].clone(),
            merchant: out[1].clone(),
        }
    }

    /// Client `i`'s token and whether it is a device token (only devices have a terminal).
    pub fn pick(&self, i: usize) -> (String, bool) {
        match i % 3 {
            0 => (self.pinned.clone(), true),
            1 => (self.terminal.clone(), true),
            _ => (self.merchant.clone(), false),
        }
    }
}

// ---- requests, tally, acknowledgements ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Create,
    Pre,
    Start,
    Cancel,
    Direct,
}

impl Kind {
    /// Requests that may book (and so must be accounted for when they get no answer).
    pub fn books(self) -> bool {
        matches!(self, Kind::Start | Kind::Cancel | Kind::Direct)
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub kind: Kind,
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub token: String,
    pub key: Option<String>,
    pub card: Card,
    /// The smart transaction acted on (create: none yet).
    pub stx: Option<String>,
    /// The direct action (`charge`, `discharge`, `cancel_last`).
    pub action: Option<&'static str>,
    /// Unique per intent: `transactionRef` of a smart transaction, `additional_data.harness` of a
    /// direct transaction.
    pub tag: String,
}

impl Request {
    pub fn describe(&self) -> String {
        let key = self
            .key
            .as_deref()
            .map(|k| format!(" [Idempotency-Key {k}]"))
            .unwrap_or_default();
        let body = self
            .body
            .as_ref()
            .map(|b| format!(" {b}"))
            .unwrap_or_default();
        format!(
            "{} {}{body}{key} (card {})",
            self.method, self.path, self.card.name
        )
    }
}

/// Answers counted by status and catalogue code.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub requests: usize,
    pub ok: usize,
    pub replayed: usize,
    pub errors: BTreeMap<(u16, i64), usize>,
    pub no_answer: usize,
}

impl Tally {
    pub fn count(&mut self, outcome: &Outcome) {
        self.requests += 1;
        match outcome {
            Err(_) => self.no_answer += 1,
            Ok(a) if a.status == 200 => {
                self.ok += 1;
                self.replayed += usize::from(a.replayed);
            }
            Ok(a) => {
                *self
                    .errors
                    .entry((a.status, a.code.unwrap_or(-1)))
                    .or_default() += 1
            }
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        self.requests += o.requests;
        self.ok += o.ok;
        self.replayed += o.replayed;
        self.no_answer += o.no_answer;
        for (k, n) in &o.errors {
            *self.errors.entry(*k).or_default() += n;
        }
    }

    fn sum(&self, f: impl Fn(u16) -> bool) -> usize {
        self.errors
            .iter()
            .filter(|((s, _), _)| f(*s))
            .map(|(_, n)| n)
            .sum()
    }
    pub fn client_errors(&self) -> usize {
        self.sum(|s| (400..500).contains(&s))
    }
    pub fn server_errors(&self) -> usize {
        self.sum(|s| s >= 500)
    }
    /// 5xx other than 503/1002 ("storage busy, nothing written, retry"), which contention may cause.
    pub fn forbidden_server_errors(&self) -> usize {
        self.errors
            .iter()
            .filter(|((s, c), _)| *s >= 500 && (*s, *c) != (503, 1002))
            .map(|(_, n)| n)
            .sum()
    }

    fn list(&self, f: impl Fn(u16) -> bool) -> String {
        let items: Vec<String> = self
            .errors
            .iter()
            .filter(|((s, _), _)| f(*s))
            .map(|((s, c), n)| format!("{s}/{c}×{n}"))
            .collect();
        if items.is_empty() {
            "none".into()
        } else {
            items.join(" ")
        }
    }

    pub fn render(&self) -> String {
        format!(
            "requests {}, 200s {} ({} replayed), 4xx {} [{}], 5xx {} [{}], no answer {}",
            self.requests,
            self.ok,
            self.replayed,
            self.client_errors(),
            self.list(|s| (400..500).contains(&s)),
            self.server_errors(),
            self.list(|s| s >= 500),
            self.no_answer
        )
    }
}

/// A TA code a client saw in a 200 that booked.
#[derive(Clone, Debug)]
pub struct Ack {
    pub ta: i64,
    /// The LTX id where the answer names it (smart transactions).
    pub ltx: Option<String>,
    pub card: Card,
    /// The amount the LTX must have, where the answer states it (direct charge and discharge).
    pub amount: Option<i64>,
    pub what: String,
}

#[derive(Default)]
pub struct Log {
    pub tally: Tally,
    pub acks: Vec<Ack>,
    /// Booking requests that got no answer.
    pub unanswered: Vec<Request>,
    /// Answers that contradict the contract on their own (reported, fail the harness).
    pub anomalies: Vec<String>,
    /// Every smart transaction created.
    pub stxs: Vec<(String, Card)>,
}

impl Log {
    pub fn merge(&mut self, o: Log) {
        self.tally.merge(&o.tally);
        self.acks.extend(o.acks);
        self.unanswered.extend(o.unanswered);
        self.anomalies.extend(o.anomalies);
        self.stxs.extend(o.stxs);
    }

    /// Records the TA codes a 200 of `req` acknowledges.
    pub fn acknowledge(&mut self, req: &Request, a: &Answer) {
        match req.kind {
            Kind::Start | Kind::Cancel => match stx_bookings(&a.body) {
                Ok(seen) => {
                    for (ta, ltx) in seen {
                        self.acks.push(Ack {
                            ta,
                            ltx: Some(ltx),
                            card: req.card,
                            amount: None,
                            what: req.describe(),
                        });
                    }
                }
                Err(e) => self
                    .anomalies
                    .push(format!("{}: {e}: {}", req.describe(), a.text)),
            },
            Kind::Direct => {
                let Some(ta) = a.body["trans_id"].as_i64() else {
                    self.anomalies.push(format!(
                        "{}: 200 without an integer trans_id: {}",
                        req.describe(),
                        a.text
                    ));
                    return;
                };
                let booked = a.body["amount"].as_i64();
                let amount = match req.action {
                    Some("charge") => booked,
                    Some("discharge") => booked.map(|b| -b),
                    _ => None,
                };
                self.acks.push(Ack {
                    ta,
                    ltx: None,
                    card: req.card,
                    amount,
                    what: req.describe(),
                });
            }
            Kind::Create | Kind::Pre => {}
        }
    }
}

/// The bookings a smart transaction's answer shows: its LTX X (`trans_id`, `transactions[0]`) and,
/// after a cancellation, the cancelling LTX Y (`transactions[1]`, TA code on the STORNO receipt).
pub fn stx_bookings(stx: &Value) -> Result<Vec<(i64, String)>, String> {
    let ids: Vec<String> = stx["transactions"]
        .as_array()
        .ok_or("no transactions array")?
        .iter()
        .map(|t| {
            t["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or("transaction without id")
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    if ids.is_empty() {
        if !stx["trans_id"].is_null() {
            return Err("trans_id without a loyalty transaction".into());
        }
        return Ok(out);
    }
    if ids.len() > 2 {
        return Err(format!(
            "{} loyalty transactions on one smart transaction",
            ids.len()
        ));
    }
    let x = stx["trans_id"]
        .as_str()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or("trans_id is not a TA code string")?;
    out.push((x, ids[0].clone()));
    if let Some(y_id) = ids.get(1) {
        let receipt = stx["receipt"].as_array().ok_or("no receipt")?;
        if receipt.first() != Some(&STORNO()) {
            return Err("cancelled, but the receipt is not the STORNO receipt".into());
        }
        let y = receipt
            .iter()
            .find(|l| l["value"]["name"] == "TA Code: ")
            .and_then(|l| l["value"]["value"].as_str())
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or("STORNO receipt without a TA code")?;
        out.push((y, y_id.clone()));
    }
    Ok(out)
}

// ---- a register: random flows on the demo cards ----

pub enum Flow {
    Done,
    /// A request got no answer: the server is gone (crash harness) or hung.
    Dead,
}

pub struct Register {
    pub id: usize,
    pub token: String,
    pub device: bool,
    /// Share of booking requests that carry an Idempotency-Key.
    pub key_share: f64,
    rng: StdRng,
    seq: usize,
    /// Own smart transactions that booked and may be cancelled later.
    open: Vec<(String, Card)>,
    pub log: Log,
    /// Counts answered requests across registers (the crash harness kills after a random count).
    pub progress: Option<Arc<AtomicUsize>>,
}

const LOAD_EAN: &str = "4260447149502";
const DISCHARGE_EAN: &str = "4260447149533";

impl Register {
    pub fn new(id: usize, token: String, device: bool, seed: u64, key_share: f64) -> Register {
        Register {
            id,
            token,
            device,
            key_share,
            rng: rng_for(seed, id as u64 + 1),
            seq: 0,
            open: Vec::new(),
            log: Log::default(),
            progress: None,
        }
    }

    fn tag(&mut self) -> String {
        self.seq += 1;
        format!("h{:03}-{:05}", self.id, self.seq)
    }

    fn key(&mut self, tag: &str, what: &str) -> Option<String> {
        self.rng
            .random_bool(self.key_share)
            .then(|| format!("{tag}-{what}"))
    }

    fn card(&mut self) -> Card {
        CARDS[self.rng.random_range(0..CARDS.len())]
    }

    /// Sends one request, counts the answer, acknowledges its bookings, remembers it if unanswered.
    pub async fn send(&mut self, api: &Api, req: Request) -> Option<Answer> {
        let outcome = api.call(&req).await;
        self.log.tally.count(&outcome);
        match outcome {
            Err(_) => {
                if req.kind.books() {
                    self.log.unanswered.push(req);
                }
                None
            }
            Ok(a) => {
                if let Some(p) = &self.progress {
                    p.fetch_add(1, Ordering::SeqCst);
                }
                if a.status == 200 {
                    self.log.acknowledge(&req, &a);
                } else if a.status == 500 || a.code.is_none() {
                    self.log.anomalies.push(format!(
                        "{} → {} {}",
                        req.describe(),
                        a.status,
                        a.text
                    ));
                }
                Some(a)
            }
        }
    }

    fn request(
        &self,
        kind: Kind,
        path: String,
        body: Option<Value>,
        card: Card,
        stx: Option<&str>,
        tag: &str,
    ) -> Request {
        Request {
            kind,
            method: Method::POST,
            path,
            body,
            token: self.token.clone(),
            key: None,
            card,
            stx: stx.map(str::to_owned),
            action: None,
            tag: tag.to_owned(),
        }
    }

    /// One random operation; `Dead` as soon as a request gets no answer.
    pub async fn op(&mut self, api: &Api) -> Flow {
        let roll = self.rng.random_range(0..100);
        let card = self.card();
        let done = match roll {
            0..30 => self.purchase(api, card).await,
            30..40 => {
                self.smart_line(api, card, LOAD_EAN, 100..=800, "cash")
                    .await
            }
            40..50 => {
                self.smart_line(api, card, DISCHARGE_EAN, 50..=300, "loyalty")
                    .await
            }
            50..68 => self.direct(api, card, "charge").await,
            68..84 => self.direct(api, card, "discharge").await,
            84..94 if !self.open.is_empty() => {
                let i = self.rng.random_range(0..self.open.len());
                let (stx, card) = self.open.swap_remove(i);
                self.cancel(api, &stx, card).await.map(|_| ())
            }
            84..94 => self.direct(api, card, "charge").await,
            94..97 => self.direct(api, card, "cancel_last").await,
            _ => self.locked(api).await,
        };
        match done {
            Some(()) => Flow::Done,
            None => Flow::Dead,
        }
    }

    fn goods(&mut self) -> (Value, i64) {
        let n = self.rng.random_range(1..=3);
        let mut lines = Vec::new();
        let mut total = 0;
        for i in 1..=n {
            let price = self.rng.random_range(20..=300);
            let quantity = self.rng.random_range(1..=2);
            let tax = if self.rng.random_bool(0.5) { 7 } else { 19 };
            total += price * quantity;
            lines.push(json!({"id": i, "articleNumber": format!("{}", 30000 + i), "desc": format!("Artikel {i}"),
                "quantity": quantity, "priceOne": price, "tax": tax}));
        }
        (json!({"products": lines}), total)
    }

    /// POST /Smart/Transactions; the new id, `Some(None)` on a refusal, `None` without an answer.
    async fn create(
        &mut self,
        api: &Api,
        card: Card,
        basket: Value,
        sum: i64,
        tag: &str,
    ) -> Option<Option<String>> {
        let body = json!({"idents": [{"type": "card", "value": card.number}], "basket": basket,
            "basket_info": {"sum": sum, "currency": "EUR"}, "transactionRef": tag});
        let req = self.request(
            Kind::Create,
            "/Smart/Transactions".into(),
            Some(body),
            card,
            None,
            tag,
        );
        let a = self.send(api, req).await?;
        if a.status != 200 {
            return Some(None);
        }
        let id = a.body["id"].as_str().unwrap_or_default().to_owned();
        self.log.stxs.push((id.clone(), card));
        Some(Some(id))
    }

    async fn pre(&mut self, api: &Api, stx: &str, card: Card, tag: &str) -> Option<Answer> {
        let req = self.request(
            Kind::Pre,
            format!("/Smart/Transactions/{stx}/preTransaction"),
            None,
            card,
            Some(stx),
            tag,
        );
        self.send(api, req).await
    }

    async fn start(
        &mut self,
        api: &Api,
        stx: &str,
        card: Card,
        method: &str,
        tag: &str,
    ) -> Option<Answer> {
        let mut req = self.request(
            Kind::Start,
            format!("/Smart/Transactions/{stx}/start/{method}"),
            None,
            card,
            Some(stx),
            tag,
        );
        req.key = self.key(tag, &format!("start-{method}"));
        self.send(api, req).await
    }

    pub async fn cancel(&mut self, api: &Api, stx: &str, card: Card) -> Option<Answer> {
        let tag = format!("cancel-{stx}");
        let mut req = self.request(
            Kind::Cancel,
            format!("/Smart/Transactions/{stx}/cancel"),
            None,
            card,
            Some(stx),
            &tag,
        );
        req.key = self.key(&tag, "x");
        self.send(api, req).await
    }

    /// Create, maybe preTransaction, start (cash, loyalty or cashless), maybe cancel at once.
    async fn purchase(&mut self, api: &Api, card: Card) -> Option<()> {
        let tag = self.tag();
        let (basket, total) = self.goods();
        let Some(stx) = self.create(api, card, basket, total, &tag).await? else {
            return Some(());
        };
        let mut method = "cash";
        if self.rng.random_bool(0.6) {
            let a = self.pre(api, &stx, card, &tag).await?;
            if a.status != 200 {
                return Some(());
            }
            if a.body["missing_sum"] == 0 {
                method = "loyalty";
            }
        }
        if method == "cash" && self.device && self.rng.random_bool(0.25) {
            method = "cashless";
        }
        let mut a = self.start(api, &stx, card, method, &tag).await?;
        if a.status == 400 && a.code == Some(4204) {
            // The balance changed since preTransaction (examples.md V13): apply the card again, pay the rest.
            let p = self.pre(api, &stx, card, &tag).await?;
            if p.status != 200 {
                return Some(());
            }
            let method = if p.body["missing_sum"] == 0 {
                "loyalty"
            } else {
                "cash"
            };
            a = self.start(api, &stx, card, method, &tag).await?;
        }
        if a.status == 200 && a.body["status"] == "ok" && !a.body["trans_id"].is_null() {
            if self.rng.random_bool(0.15) {
                self.cancel(api, &stx, card).await?;
            } else {
                self.open.push((stx, card));
            }
        }
        Some(())
    }

    /// A one-line smart transaction (a load paid in cash, or a discharge paid from the card).
    async fn smart_line(
        &mut self,
        api: &Api,
        card: Card,
        ean: &str,
        range: std::ops::RangeInclusive<i64>,
        method: &str,
    ) -> Option<()> {
        let tag = self.tag();
        let amount = self.rng.random_range(range);
        let basket = one_line(ean, "Karte", amount, 0);
        let Some(stx) = self.create(api, card, basket, amount, &tag).await? else {
            return Some(());
        };
        let a = self.start(api, &stx, card, method, &tag).await?;
        if a.status == 200 && !a.body["trans_id"].is_null() {
            self.open.push((stx, card));
        }
        Some(())
    }

    /// `POST /Loyalty/MerchantCards/{MCD}/transaction/{MCD}`.
    async fn direct(&mut self, api: &Api, card: Card, action: &'static str) -> Option<()> {
        let tag = self.tag();
        let mut body = json!({"action": action, "additional_data": {"harness": tag}});
        match action {
            "charge" => body["amount"] = json!(self.rng.random_range(100..=1000)),
            "discharge" => {
                body["amount"] = json!(self.rng.random_range(50..=500));
                if self.rng.random_bool(0.3) {
                    body["amount_split_allowed"] = json!("1");
                }
            }
            _ => {}
        }
        let mut req = self.request(
            Kind::Direct,
            format!("/Loyalty/MerchantCards/{0}/transaction/{0}", card.mcd),
            Some(body),
            card,
            None,
            &tag,
        );
        req.action = Some(action);
        req.key = self.key(&tag, action);
        self.send(api, req).await.map(|_| ())
    }

    /// Any booking on the locked card E must be refused with 400/4202.
    async fn locked(&mut self, api: &Api) -> Option<()> {
        let tag = self.tag();
        let card = LOCKED;
        let refused = if self.rng.random_bool(0.5) {
            let (basket, total) = self.goods();
            let Some(stx) = self.create(api, card, basket, total, &tag).await? else {
                return Some(());
            };
            self.start(api, &stx, card, "cash", &tag).await?
        } else {
            let body =
                json!({"action": "discharge", "amount": 100, "additional_data": {"harness": tag}});
            let mut req = self.request(
                Kind::Direct,
                format!("/Loyalty/MerchantCards/{0}/transaction/{0}", card.mcd),
                Some(body),
                card,
                None,
                &tag,
            );
            req.action = Some("discharge");
            self.send(api, req).await?
        };
        if (refused.status, refused.code) != (400, Some(4202)) && refused.status != 503 {
            self.log.anomalies.push(format!(
                "a booking on the locked card E answered {} {}",
                refused.status, refused.text
            ));
        }
        Some(())
    }
}

// ---- the ledger audit ----

/// The LTX fields the audit reads (the list's `fields` projection keeps answers small).
const LTX_FIELDS: &str = "trans_id,amount,bookings,is_cancelling,status,parents,children,description,merchantcard,smart_transaction,additional_data,purpose";

/// Percent-encodes a query-string value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every LTX matching `q`, oldest TA code first (`count=1000` pages).
pub async fn list_ltxs(api: &Api, token: &str, q: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let page = api
            .get_ok(
                &format!("/Loyalty/Transactions?q={}&count=1000&offset={}&sort=trans_id:asc&fields={LTX_FIELDS}", encode(q), out.len()),
                token,
            )
            .await;
        let data = page["data"].as_array().unwrap().clone();
        let total = page["count"].as_u64().unwrap() as usize;
        let empty = data.is_empty();
        out.extend(data);
        if out.len() >= total || empty {
            assert_eq!(out.len(), total, "the ledger changed while it was read");
            return out;
        }
    }
}

/// The loyalty transactions of the harness cards (A–E), as read so far.
///
/// A refresh reads only TA codes above the highest one seen: refreshes happen at quiet moments (no
/// request running), and TA codes are allocated in increasing order inside the booking's unit of
/// work, so whatever committed since has a higher TA code. (The server renders every LTX for every
/// list page, so re-reading the whole ledger after each of 100 crashes would cost O(n²).) Only
/// immutable LTX fields are relied on; the harnesses end with a full read.
#[derive(Default)]
pub struct Ledger {
    pub ltxs: Vec<Value>,
    ids: HashSet<String>,
    max_ta: Option<i64>,
}

impl Ledger {
    pub async fn read(api: &Api, token: &str) -> Ledger {
        let mut ledger = Ledger::default();
        ledger.refresh(api, token).await;
        ledger
    }

    pub async fn refresh(&mut self, api: &Api, token: &str) {
        let cards: Vec<String> = all_cards()
            .iter()
            .map(|c| format!("merchantcard.id:{}", c.mcd))
            .collect();
        let cards = cards.join(" OR ");
        let q = match self.max_ta {
            None => cards,
            Some(max) => format!("({cards}) AND trans_id:[{} TO *]", max + 1),
        };
        for l in list_ltxs(api, token, &q).await {
            let id = l["id"].as_str().unwrap_or_default().to_owned();
            if self.ids.insert(id) {
                self.max_ta = self.max_ta.max(l["trans_id"].as_i64());
                self.ltxs.push(l);
            }
        }
    }
}

pub fn ta(l: &Value) -> i64 {
    l["trans_id"].as_i64().expect("LTX trans_id is an integer")
}
fn mcd_of(l: &Value) -> &str {
    l["merchantcard"]["id"].as_str().unwrap_or_default()
}
fn is_opening(l: &Value) -> bool {
    l["description"] == "Saldovortrag"
}
fn is_cancelling(l: &Value) -> bool {
    l["is_cancelling"] == 1
}
fn stx_of(l: &Value) -> Option<&str> {
    l["smart_transaction"]["id"].as_str()
}
fn direct_tag(l: &Value) -> Option<&str> {
    l["additional_data"]["harness"].as_str()
}
fn parent(l: &Value) -> Option<&str> {
    l["parents"][0]["id"].as_str()
}

/// What the audit found. Every list must be empty for a clean run, except `explained`, the LTXs no
/// client saw acknowledged that an unanswered request explains.
#[derive(Debug, Default)]
pub struct Audit {
    pub ltxs: usize,
    pub acknowledged: usize,
    /// Acknowledged TA codes without their LTX (or with another LTX than the answer named).
    pub lost: Vec<String>,
    /// LTXs that neither an acknowledged nor an unanswered request explains.
    pub phantoms: Vec<String>,
    /// LTXs beyond the one a single request may book (same smart transaction, same direct tag, a
    /// second cancellation of one LTX, a TA code used twice), and requests explaining two LTXs.
    pub double_spends: Vec<String>,
    /// Balance ≠ opening + Σ LTX amounts, or a cached balance ≠ Σ its bookings, or a booking amount
    /// the answer stated differently.
    pub mismatches: Vec<String>,
    /// Unacknowledged LTXs explained by unanswered requests.
    pub explained: usize,
}

impl Audit {
    pub fn double_spends(&self) -> usize {
        self.double_spends.len() + self.phantoms.len()
    }

    pub fn is_clean(&self) -> bool {
        self.lost.is_empty()
            && self.phantoms.is_empty()
            && self.double_spends.is_empty()
            && self.mismatches.is_empty()
    }

    pub fn report(&self) -> String {
        let mut s = format!(
            "{} LTXs, {} acknowledged TA codes, {} explained by unanswered requests, lost {}, phantom {}, double {}, mismatches {}",
            self.ltxs,
            self.acknowledged,
            self.explained,
            self.lost.len(),
            self.phantoms.len(),
            self.double_spends.len(),
            self.mismatches.len()
        );
        for (name, list) in [
            ("lost", &self.lost),
            ("phantom", &self.phantoms),
            ("double", &self.double_spends),
            ("mismatch", &self.mismatches),
        ] {
            for item in list.iter().take(10) {
                s.push_str(&format!("\n  {name}: {item}"));
            }
        }
        s
    }
}

/// Compares the ledger of the harness cards with what the clients were told: every acknowledged TA
/// code is an LTX; every other LTX is explained by a request that got no answer (at most one LTX per
/// request); no request booked twice; every balance equals its opening plus the LTX amounts and the
/// sum of its bookings.
pub async fn audit(
    api: &Api,
    token: &str,
    ledger: &Ledger,
    acks: &[Ack],
    unanswered: &[Request],
) -> Audit {
    let cards = all_cards();
    let all = &ledger.ltxs;
    let mut a = Audit::default();

    // TA codes are unique; index the ledger.
    let mut by_ta: HashMap<i64, &Value> = HashMap::new();
    let mut by_id: HashMap<&str, &Value> = HashMap::new();
    for l in all {
        if by_ta.insert(ta(l), l).is_some() {
            a.double_spends
                .push(format!("TA code {} used by two LTXs", ta(l)));
        }
        by_id.insert(l["id"].as_str().unwrap_or_default(), l);
    }
    let bookings: Vec<&Value> = all.iter().filter(|l| !is_opening(l)).collect();
    a.ltxs = bookings.len();

    // Acknowledged → present (and the same LTX / amount the answer named).
    let mut acked: HashSet<i64> = HashSet::new();
    for ack in acks {
        acked.insert(ack.ta);
        match by_ta.get(&ack.ta) {
            None => a.lost.push(format!(
                "TA {} acknowledged by {} is not in the ledger",
                ack.ta, ack.what
            )),
            Some(l) => {
                if mcd_of(l) != ack.card.mcd {
                    a.lost.push(format!(
                        "TA {} acknowledged for card {} is on {}",
                        ack.ta,
                        ack.card.name,
                        mcd_of(l)
                    ));
                }
                if let Some(id) = &ack.ltx
                    && l["id"].as_str() != Some(id.as_str())
                {
                    a.lost.push(format!(
                        "TA {} acknowledged as {id} is LTX {}",
                        ack.ta, l["id"]
                    ));
                }
                if let Some(amount) = ack.amount
                    && l["amount"].as_i64() != Some(amount)
                {
                    a.mismatches.push(format!(
                        "TA {}: the answer booked {amount}, the LTX says {}",
                        ack.ta, l["amount"]
                    ));
                }
            }
        }
    }
    a.acknowledged = acked.len();

    // One request, one LTX: at most one original per smart transaction and per direct tag, at most
    // one cancellation per original.
    let mut per_stx: HashMap<&str, usize> = HashMap::new();
    let mut per_tag: HashMap<&str, usize> = HashMap::new();
    let mut per_parent: HashMap<&str, usize> = HashMap::new();
    for l in &bookings {
        if is_cancelling(l) {
            *per_parent.entry(parent(l).unwrap_or("?")).or_default() += 1;
        } else if let Some(s) = stx_of(l) {
            *per_stx.entry(s).or_default() += 1;
        } else if let Some(t) = direct_tag(l) {
            *per_tag.entry(t).or_default() += 1;
        }
    }
    for (what, map) in [
        ("smart transaction", &per_stx),
        ("direct request", &per_tag),
        ("cancellations of LTX", &per_parent),
    ] {
        for (k, n) in map.iter().filter(|(_, n)| **n > 1) {
            a.double_spends.push(format!("{what} {k}: {n} LTXs"));
        }
    }

    // Unacknowledged LTXs must be explained by an unanswered request, each explaining at most one.
    let mut used = vec![false; unanswered.len()];
    for l in bookings.iter().filter(|l| !acked.contains(&ta(l))) {
        let explains = |r: &Request| -> bool {
            if r.card.mcd != mcd_of(l) {
                return false;
            }
            if is_cancelling(l) {
                let original_stx = parent(l).and_then(|p| by_id.get(p)).and_then(|x| stx_of(x));
                (r.kind == Kind::Cancel
                    && r.stx.as_deref().is_some()
                    && r.stx.as_deref() == original_stx)
                    || (r.kind == Kind::Direct && r.action == Some("cancel_last"))
            } else if let Some(s) = stx_of(l) {
                r.kind == Kind::Start && r.stx.as_deref() == Some(s)
            } else {
                r.kind == Kind::Direct && Some(r.tag.as_str()) == direct_tag(l)
            }
        };
        match unanswered.iter().enumerate().find(|(i, r)| !used[*i] && explains(r)) {
            Some((i, _)) => {
                used[i] = true;
                a.explained += 1;
            }
            None => a.phantoms.push(format!(
                "LTX {} TA {} on {} ({}, amount {}, smart transaction {:?}, tag {:?}) was never acknowledged",
                l["id"], ta(l), mcd_of(l), l["description"], l["amount"], stx_of(l), direct_tag(l).or(l["purpose"].as_str())
            )),
        }
    }

    // Balances: opening + Σ LTX amounts; cash and bonus = Σ of their bookings.
    for card in &cards {
        let view = api
            .get_ok(&format!("/Loyalty/MerchantCards/{}", card.mcd), token)
            .await;
        let mine: Vec<&Value> = all.iter().filter(|l| mcd_of(l) == card.mcd).collect();
        let mut sums: HashMap<String, i64> = HashMap::new();
        for b in mine
            .iter()
            .flat_map(|l| l["bookings"].as_array().cloned().unwrap_or_default())
        {
            *sums
                .entry(b["balance"].as_str().unwrap_or("?").to_owned())
                .or_default() += b["amount"].as_i64().unwrap_or(0);
        }
        let moved: i64 = mine
            .iter()
            .filter(|l| !is_opening(l))
            .map(|l| l["amount"].as_i64().unwrap_or(0))
            .sum();
        let opening = card.opening.0 + card.opening.1;
        let (cash, bonus, balance) = (
            view["cash_balance"].as_i64(),
            view["bonus_balance"].as_i64(),
            view["balance"].as_i64(),
        );
        if balance != Some(opening + moved) {
            a.mismatches.push(format!(
                "card {}: balance {balance:?} ≠ opening {opening} + Σ LTX amounts {moved}",
                card.name
            ));
        }
        let (cash_b, bonus_b) = (
            sums.get("cash").copied().unwrap_or(0),
            sums.get("bonus").copied().unwrap_or(0),
        );
        if cash != Some(cash_b) || bonus != Some(bonus_b) {
            a.mismatches.push(format!(
                "card {}: cash/bonus {cash:?}/{bonus:?} ≠ Σ bookings {cash_b}/{bonus_b}",
                card.name
            ));
        }
        if cash.unwrap_or(0) < 0 || bonus.unwrap_or(0) < 0 {
            a.mismatches.push(format!(
                "card {}: below its floor ({cash:?}/{bonus:?})",
                card.name
            ));
        }
    }
    a
}

/// `loyalpos check` on the database: (passed, number of `violation:` lines, output).
pub fn check(database_url: &str) -> (bool, usize, String) {
    let (ok, out) = cli_status(database_url, &["check"]);
    let violations = out.lines().filter(|l| l.starts_with("violation:")).count();
    (ok, violations, out)
}
