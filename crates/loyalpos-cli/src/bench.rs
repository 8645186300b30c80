//! `loyalpos bench`: a load generator that drives register flows over HTTP or STOMP — create a
//! smart transaction with a card and a 3–10 line basket, optionally apply the card
//! (preTransaction), then start it as cash or loyalty — and reports throughput, latency per step
//! and errors; with `--listeners`, also how the events of those flows fan out to STOMP connections.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::bench_stomp::{Connection, Fanout, StartsSent, listen};
use crate::output::Stdout;
use crate::progress::Progress;

const DEMO_TOKEN: &str = "qb56tjj1bcvo9n2nj4u38k84lo";
const DEMO_CLIENT: (&str, &str) = (
    "00563697073442633035025909838580",
    "3382456441636938321687549172178382320163695870914358804052148567",
);
const BONUS_GROUP: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
const STEPS: [&str; 4] = ["create", "pre", "start", "flow"];

#[derive(Args)]
pub struct BenchArgs {
    /// Base URL(s) of loyalpos, comma-separated; registers are spread over them.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    target: String,
    /// Concurrent registers.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Run for this many seconds …
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// … or stop after this many flows.
    #[arg(long)]
    flows: Option<u64>,
    /// Share of flows that apply the card (preTransaction) before start.
    #[arg(long, default_value_t = 0.5)]
    pre_ratio: f64,
    /// Fewest lines in a basket.
    #[arg(long, default_value_t = 3)]
    basket_min: usize,
    /// Most lines in a basket.
    #[arg(long, default_value_t = 10)]
    basket_max: usize,
    /// Cards to issue (in the demo's "Bonus 10 %" group) and load before the run.
    #[arg(long, default_value_t = 100)]
    cards: usize,
    /// Register token (default: the demo's pinned device token).
    #[arg(long, default_value = DEMO_TOKEN)]
    token: String,
    /// Merchant API client used to issue and load the cards.
    #[arg(long, default_value = DEMO_CLIENT.0)]
    client_id: String,
    /// Secret of that API client.
    #[arg(long, default_value = DEMO_CLIENT.1)]
    client_secret: String,
    /// PID of a local server whose resident memory is reported.
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Seed of the random baskets and card choices (the same seed sends the same flows).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Pace the registers to this many flows per second in total (default: as fast as possible).
    #[arg(long)]
    rate: Option<f64>,
    /// Send every request with its own Idempotency-Key, as registers that retry safely do.
    #[arg(long)]
    idempotency_keys: bool,
    /// Address (HOST:PORT) of the servers' STOMP listener, for `--over-stomp` and `--listeners`.
    #[arg(long)]
    stomp: Option<String>,
    /// Registers send their flows as STOMP SEND frames (push.md §2.2) instead of REST requests.
    #[arg(long, requires = "stomp")]
    over_stomp: bool,
    /// STOMP connections that only receive the merchant's events (push.md §2.4) during the run;
    /// the report gives events delivered per second and the delivery latency.
    #[arg(long, default_value_t = 0, requires = "stomp")]
    listeners: usize,
    /// With `--over-stomp`: each register subscribes to the events with this selector (e.g.
    /// "target = 'general.notifications'") instead of receiving every event its token may see.
    #[arg(long, requires = "over_stomp")]
    register_selector: Option<String>,
}

/// `bench` talks to servers over HTTP, opens no database and renders no time: the global
/// `--database` and `--timezone` are replaced on it by hidden arguments that refuse any value
/// (clap leaves a global argument off a subcommand that defines its own).
pub fn without_database(bench: clap::Command) -> clap::Command {
    let unused = |name: &'static str| {
        clap::Arg::new(name).long(name).hide(true).value_parser(
            move |_: &str| -> Result<String, String> {
                Err(format!(
                    "bench drives running servers over HTTP (--target) and uses no --{name}"
                ))
            },
        )
    };
    bench.arg(unused("database")).arg(unused("timezone"))
}

/// A line of the report on stdout (a closed stdout stops the report cleanly).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {
        $out.line(format_args!($($arg)*))?
    };
}

struct Stats {
    histograms: BTreeMap<&'static str, Histogram<u64>>,
    errors: BTreeMap<String, u64>,
}

impl Stats {
    fn new() -> Stats {
        let histograms = STEPS
            .iter()
            .map(|s| {
                (
                    *s,
                    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
                )
            })
            .collect();
        Stats {
            histograms,
            errors: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: &Stats) {
        for (step, h) in &other.histograms {
            if let Some(mine) = self.histograms.get_mut(step) {
                let _ = mine.add(h);
            }
        }
        for (k, n) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += n;
        }
    }

    fn record(&mut self, step: &'static str, started: Instant) {
        let micros = started.elapsed().as_micros().clamp(1, 60_000_000) as u64;
        if let Some(h) = self.histograms.get_mut(step) {
            let _ = h.record(micros);
        }
    }
}

struct Shared {
    targets: Vec<String>,
    cards: Vec<String>,
    flows_done: AtomicU64,
    requests: AtomicU64,
    stop_after: Option<u64>,
    deadline: Instant,
    /// Prefix of the Idempotency-Keys of this run (`None`: requests carry no key).
    key_prefix: Option<String>,
}

pub async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if args.basket_min == 0 || args.basket_min > args.basket_max {
        bail!("--basket-min must be between 1 and --basket-max");
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let targets: Vec<String> = args
        .target
        .split(',')
        .map(|t| t.trim().trim_end_matches('/').to_owned())
        .collect();
    let cards = prepare_cards(&http, &targets[0], &args)
        .await
        .context("preparing cards")?;
    eprintln!(
        "{} cards ready; {} registers on {} for {} s",
        cards.len(),
        args.concurrency,
        args.target,
        args.duration
    );
    let shared = Arc::new(Shared {
        targets,
        cards,
        flows_done: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        stop_after: args.flows,
        deadline: Instant::now() + Duration::from_secs(args.duration),
        key_prefix: args
            .idempotency_keys
            .then(|| format!("bench-{}", rand::random::<u64>())),
    });
    let starts = Arc::new(StartsSent::default());
    let fanout = Arc::new(Fanout::new());
    let listening = open_listeners(&args, &shared, &starts, &fanout).await?;
    let total = Arc::new(Mutex::new(Stats::new()));
    let started = Instant::now();
    let cpu_at_start: Vec<Option<u64>> = args.server_pid.iter().map(|p| cpu_ms(*p)).collect();
    let bar = match args.flows {
        Some(n) => Progress::steps("bench", n, "flows"),
        None => Progress::steps("bench", args.duration, "s"),
    };
    let progress = tokio::spawn(progress(shared.clone(), started, args.flows, bar.clone()));
    let record_starts = (args.listeners > 0).then(|| starts.clone());
    let mut registers = Vec::with_capacity(args.concurrency);
    for i in 0..args.concurrency {
        let transport = match (&args.stomp, args.over_stomp) {
            (Some(address), true) => {
                let mut connection = Connection::open(address, &args.token).await?;
                if let Some(selector) = &args.register_selector {
                    connection.subscribe_events(selector).await?;
                }
                Transport::Stomp(connection)
            }
            _ => Transport::Rest(http.clone()),
        };
        registers.push((i, transport));
    }
    let registers: Vec<_> = registers
        .into_iter()
        .map(|(i, transport)| {
            let (shared, total, token, starts) = (
                shared.clone(),
                total.clone(),
                args.token.clone(),
                record_starts.clone(),
            );
            let rng = StdRng::seed_from_u64(args.seed.wrapping_add(i as u64));
            let basket = (args.basket_min, args.basket_max, args.pre_ratio);
            // Each register starts a flow every `concurrency / rate` seconds; register i first
            // after i/concurrency of that, so that flows arrive evenly, not all at one instant.
            let pace = args.rate.map(|r| {
                let period = Duration::from_secs_f64(args.concurrency as f64 / r.max(0.001));
                (period, period.mul_f64(i as f64 / args.concurrency as f64))
            });
            tokio::spawn(async move {
                let mut register = Register {
                    transport,
                    shared,
                    token,
                    stats: Stats::new(),
                    starts,
                };
                register.run(i, rng, basket, pace).await;
                total.lock().await.merge(&register.stats);
            })
        })
        .collect();
    for r in registers {
        r.await?;
    }
    progress.abort();
    let _ = progress.await;
    bar.abandon();
    let elapsed = started.elapsed().as_secs_f64();
    for l in listening {
        l.await?;
    }
    let cpu: Vec<Option<u64>> = (args.server_pid.iter().zip(cpu_at_start))
        .map(|(pid, start)| Some(cpu_ms(*pid)?.saturating_sub(start?)))
        .collect();
    report(&args, &shared, &*total.lock().await, elapsed, &cpu)?;
    if args.listeners > 0 {
        report_fanout(&args, &fanout, elapsed).await?;
    }
    Ok(())
}

/// How long listeners keep receiving after the registers stopped: the events of the last flows.
const LISTEN_AFTER: Duration = Duration::from_secs(2);

/// Connects the listeners (each with the register token: it sees the merchant's events of the
/// registers' device and every loyalty event) and starts them receiving until the run ends.
async fn open_listeners(
    args: &BenchArgs,
    shared: &Arc<Shared>,
    starts: &Arc<StartsSent>,
    fanout: &Arc<Fanout>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let Some(address) = args.stomp.as_deref().filter(|_| args.listeners > 0) else {
        return Ok(Vec::new());
    };
    let mut connections = Vec::with_capacity(args.listeners);
    for _ in 0..args.listeners {
        connections.push(Connection::open(address, &args.token).await?);
    }
    eprintln!("{} STOMP listeners connected to {address}", args.listeners);
    let until = shared.deadline + LISTEN_AFTER;
    Ok(connections
        .into_iter()
        .map(|c| tokio::spawn(listen(c, until, starts.clone(), fanout.clone())))
        .collect())
}

async fn report_fanout(args: &BenchArgs, fanout: &Fanout, elapsed: f64) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let events = fanout.events.load(Ordering::Relaxed);
    let per = fanout.per_listener.lock().await;
    let (least, most) = (
        per.iter().min().copied().unwrap_or(0),
        per.iter().max().copied().unwrap_or(0),
    );
    outln!(
        out,
        "fan-out   {} listeners, {events} events delivered, {:.0} events/s, per listener {least}–{most}, closed early {}",
        args.listeners,
        events as f64 / elapsed,
        fanout.closed_early.load(Ordering::Relaxed)
    );
    let h = fanout.latency.lock().await;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    outln!(
        out,
        "delivery  {:>10} {:>10.2} {:>10.2} {:>10.2} {:>10.2}   (ms from start sent to a listener's changed event)",
        h.len(),
        ms(0.5),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
    Ok(())
}

/// A bar over the flows (`--flows`) or the seconds (`--duration`) on a terminal; otherwise a plain
/// line every 10 s.
async fn progress(shared: Arc<Shared>, started: Instant, flows: Option<u64>, bar: Progress) {
    let terminal = crate::progress::stderr_is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let done = shared.flows_done.load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64().max(0.001);
        bar.set_position(flows.map_or(secs as u64, |_| done));
        if !terminal && (secs as u64).is_multiple_of(10) && secs >= 1.0 {
            eprintln!(
                "[{secs:>5.0} s] {done:>10} flows {:>9.0} flows/s",
                done as f64 / secs
            );
        }
    }
}

/// How a register sends its requests.
enum Transport {
    Rest(reqwest::Client),
    Stomp(Connection),
}

/// One virtual register.
struct Register {
    transport: Transport,
    shared: Arc<Shared>,
    token: String,
    stats: Stats,
    /// Where a start's sending time goes, when listeners time the events.
    starts: Option<Arc<StartsSent>>,
}

impl Register {
    /// Flows back to back until the deadline or the flow budget is reached.
    async fn run(
        &mut self,
        index: usize,
        mut rng: StdRng,
        (basket_min, basket_max, pre_ratio): (usize, usize, f64),
        // A flow every period, the first after a delay.
        pace: Option<(Duration, Duration)>,
    ) {
        let shared = self.shared.clone();
        let mut ticker = pace.map(|(period, first)| {
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        let base = shared.targets[index % shared.targets.len()].clone();
        loop {
            if Instant::now() >= shared.deadline {
                break;
            }
            if let Some(limit) = shared.stop_after
                && shared.flows_done.fetch_add(1, Ordering::Relaxed) >= limit
            {
                break;
            }
            if let Some(t) = ticker.as_mut() {
                t.tick().await;
            }
            let flow_started = Instant::now();
            let card = &shared.cards[rng.random_range(0..shared.cards.len())];
            let body = flow_body(&mut rng, card, basket_min, basket_max);
            let Some(created) = self.step(&base, Step::Create(body)).await else {
                continue;
            };
            let id = created["id"].as_str().unwrap_or_default().to_owned();
            let mut method = "cash";
            if rng.random_bool(pre_ratio.clamp(0.0, 1.0)) {
                match self.step(&base, Step::Pre(&id)).await {
                    Some(plan) if plan["missing_sum"] == 0 => method = "loyalty",
                    Some(_) => {}
                    None => continue,
                }
            }
            if let Some(starts) = &self.starts {
                starts.record(&id).await;
            }
            if self.step(&base, Step::Start(&id, method)).await.is_some() {
                self.stats.record("flow", flow_started);
                if shared.stop_after.is_none() {
                    shared.flows_done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Sends one step of a flow and records it; returns the answer on success, counts the error
    /// otherwise.
    async fn step(&mut self, base: &str, step: Step<'_>) -> Option<Value> {
        let name = step.name();
        let started = Instant::now();
        let n = self.shared.requests.fetch_add(1, Ordering::Relaxed);
        let answer = match &mut self.transport {
            Transport::Rest(http) => {
                let key = self.shared.key_prefix.as_ref().map(|p| format!("{p}-{n}"));
                rest(http, base, &self.token, key, &step).await
            }
            Transport::Stomp(connection) => stomp(connection, &step).await,
        };
        match answer {
            Ok(value) => {
                self.stats.record(name, started);
                Some(value)
            }
            Err(error) => {
                *self
                    .stats
                    .errors
                    .entry(format!("{name}: {error}"))
                    .or_default() += 1;
                None
            }
        }
    }
}

/// A step of a register flow.
enum Step<'a> {
    Create(Value),
    Pre(&'a str),
    Start(&'a str, &'a str),
}

impl Step<'_> {
    fn name(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Pre(_) => "pre",
            Step::Start(..) => "start",
        }
    }
}

/// A step as a REST request; the error is `transport: …` or `STATUS/CODE`.
async fn rest(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    idempotency_key: Option<String>,
    step: &Step<'_>,
) -> Result<Value, String> {
    let (path, body) = match step {
        Step::Create(body) => ("/Smart/Transactions".to_owned(), body.clone()),
        Step::Pre(id) => (
            format!("/Smart/Transactions/{id}/preTransaction"),
            json!({}),
        ),
        Step::Start(id, method) => (
            format!("/Smart/Transactions/{id}/start/{method}"),
            json!({}),
        ),
    };
    let mut request = http
        .post(format!("{base}/api/v2{path}"))
        .bearer_auth(token)
        .header("Content-Type", "application/json");
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("transport: {}", e.without_url()))?;
    let status = response.status().as_u16();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if status == 200 {
        Ok(value)
    } else {
        Err(format!("{status}/{}", value["code"]))
    }
}

/// A step as the SDK's SEND frame; the error is `stomp: …` or `code CODE`.
async fn stomp(connection: &mut Connection, step: &Step<'_>) -> Result<Value, String> {
    let sent = match step {
        Step::Create(body) => {
            connection
                .call("add", "Smart.Transactions", "", "", body.clone())
                .await
        }
        Step::Pre(id) => {
            connection
                .call(
                    "exec",
                    "Smart.Transactions.PreTransaction",
                    id,
                    "",
                    json!(""),
                )
                .await
        }
        Step::Start(id, method) => {
            connection
                .call("exec", "Smart.Transactions.Start", id, method, json!(""))
                .await
        }
    };
    match sent {
        Ok(Ok(data)) => Ok(data),
        Ok(Err(envelope)) => Err(format!("code {}", envelope["code"])),
        Err(e) => Err(format!("stomp: {e}")),
    }
}

fn flow_body(rng: &mut StdRng, card: &str, min: usize, max: usize) -> Value {
    let lines: Vec<Value> = (1..=rng.random_range(min..=max))
        .map(|id| {
            json!({"id": id, "articleNumber": 1000 + id, "desc": format!("Artikel {id}"),
                   "quantity": rng.random_range(1..=3), "priceOne": rng.random_range(50..=2000),
                   "tax": if rng.random_bool(0.7) { 7 } else { 19 }})
        })
        .collect();
    let sum: i64 = lines
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap_or(0) * l["priceOne"].as_i64().unwrap_or(0))
        .sum();
    json!({"idents": [{"type": "card", "value": card}], "basket": {"products": lines}, "basket_info": {"sum": sum, "currency": "EUR"}})
}

/// Issues `--cards` cards through the API and loads each with 1.000.000,00 EUR so that loyalty
/// payments keep succeeding for the whole run.
async fn prepare_cards(
    http: &reqwest::Client,
    base: &str,
    args: &BenchArgs,
) -> anyhow::Result<Vec<String>> {
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .json(&json!({"grant_type": "client_credentials", "client_id": args.client_id, "client_secret": args.client_secret}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .context("no merchant token (is the demo tenant served?)")?
        .to_owned();
    let mut cards = Vec::with_capacity(args.cards);
    while cards.len() < args.cards {
        let n = (args.cards - cards.len()).min(100);
        let issued: Value = http
            .post(format!(
                "{base}/api/v2/Loyalty/MerchantCards/me/createMerchantcards/{BONUS_GROUP}"
            ))
            .bearer_auth(&token)
            .json(&json!({"cards_amount": n}))
            .send()
            .await?
            .json()
            .await?;
        let batch = issued
            .as_array()
            .with_context(|| format!("issuing cards failed: {issued}"))?;
        for card in batch {
            let mcd = card["id"].as_str().context("merchant card id")?;
            let url = format!("{base}/api/v2/Loyalty/MerchantCards/{mcd}/transaction/{mcd}");
            let loaded = http
                .post(url)
                .bearer_auth(&token)
                .json(&json!({"action": "charge", "amount": 100_000_000}))
                .send()
                .await?;
            if !loaded.status().is_success() {
                bail!("loading card {mcd} failed: {}", loaded.text().await?);
            }
            cards.push(
                card["card"]["cardnumber"]
                    .as_str()
                    .context("card number")?
                    .to_owned(),
            );
        }
    }
    Ok(cards)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The CPU time (user + system) a process has used so far, in milliseconds.
fn cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (which may hold spaces) come the state, …, utime (14th field) and
    // stime (15th), in clock ticks (100 per second on Linux).
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10)
}

fn report(
    args: &BenchArgs,
    shared: &Shared,
    stats: &Stats,
    elapsed: f64,
    cpu: &[Option<u64>],
) -> anyhow::Result<()> {
    let mut out = Stdout::new();
    let flows = stats.histograms["flow"].len();
    let requests = shared.requests.load(Ordering::Relaxed);
    let pacing = args
        .rate
        .map_or("unpaced".to_owned(), |r| format!("paced at {r:.0} flows/s"));
    let pacing = if args.over_stomp {
        format!("{pacing}, over STOMP")
    } else {
        pacing
    };
    let keys = if args.idempotency_keys {
        ", Idempotency-Key on every request"
    } else {
        ""
    };
    outln!(
        out,
        "loyalpos bench: {} registers, {:.1} s, {pacing}{keys}, pre_ratio {}, basket {}–{} lines, {} cards, targets {}",
        args.concurrency,
        elapsed,
        args.pre_ratio,
        args.basket_min,
        args.basket_max,
        shared.cards.len(),
        args.target
    );
    outln!(
        out,
        "flows     {flows:>10}  {:>10.1} flows/s",
        flows as f64 / elapsed
    );
    outln!(
        out,
        "requests  {requests:>10}  {:>10.1} requests/s",
        requests as f64 / elapsed
    );
    outln!(
        out,
        "{:<8} {:>10} {:>10} {:>10} {:>10} {:>10}   (milliseconds)",
        "step",
        "count",
        "p50",
        "p95",
        "p99",
        "max"
    );
    for step in STEPS {
        let h = &stats.histograms[step];
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        outln!(
            out,
            "{step:<8} {:>10} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
            h.len(),
            ms(0.5),
            ms(0.95),
            ms(0.99),
            h.max() as f64 / 1000.0
        );
    }
    if stats.errors.is_empty() {
        outln!(out, "errors    none");
    }
    for (kind, n) in &stats.errors {
        outln!(out, "error     {n:>10}  {kind}");
    }
    for (pid, cpu) in args.server_pid.iter().zip(cpu) {
        match rss_mb(*pid) {
            Some(mb) => outln!(out, "server    pid {pid} RSS {mb:.1} MB"),
            None => outln!(out, "server    pid {pid}: RSS not readable"),
        }
        if let Some(ms) = cpu {
            outln!(
                out,
                "server    pid {pid} CPU {ms} ms ({:.2} ms per flow, {:.0} % of a core)",
                *ms as f64 / flows.max(1) as f64,
                *ms as f64 / elapsed / 10.0
            );
        }
    }
    Ok(())
}
