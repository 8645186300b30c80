//! Prometheus metrics (README "Metrics"): what the dispatcher records per request through the
//! `metrics` facade (atomic counters in a sharded registry, lock-free histogram buckets), and the
//! scrape, which adds the store's counters, its fixed-bucket histograms and the process RSS.

use std::fmt::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use loyalpos_app::{ApiError, ApiResult, Code};
use loyalpos_store::{Histogram, Stats};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::{App, Req};

const REQUESTS: &str = "loyalpos_http_requests_total";
const DURATION: &str = "loyalpos_http_request_duration_seconds";
/// Route label of a request that matched no route (404/3001, 405/2005, or refused before routing).
pub const UNMATCHED: &str = "unmatched";

const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Histogram samples are folded into their buckets at least this often (and at every scrape), so
/// an unscraped server keeps no growing list of samples.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.into()), DURATION_BUCKETS)
            .expect("the duration buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; request metrics stay empty");
        }
        metrics::describe_counter!(REQUESTS, "requests by route, method, status and error code");
        metrics::describe_histogram!(DURATION, "request latency by route and method");
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("loyalpos-metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

/// Installs the recorder (before the first request, so the first scrape is not empty).
pub fn install() {
    handle();
}

/// Counts one answered request. `route` is the route's pattern (`/api/v2/Smart/Transactions/{id}`)
/// or [`UNMATCHED`]; `code` the catalogue code of an error answer.
pub fn record_request(
    route: &'static str,
    method: &Method,
    status: u16,
    code: Option<u16>,
    elapsed: Duration,
) {
    let method = method_label(method);
    let status: metrics::SharedString = match status {
        200 => "200".into(),
        other => other.to_string().into(),
    };
    let code = code.map_or(String::new(), |c| c.to_string());
    metrics::counter!(REQUESTS, "route" => route, "method" => method, "status" => status, "code" => code)
        .increment(1);
    metrics::histogram!(DURATION, "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
}

/// A bounded label: the standard methods by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PATCH, "PATCH"),
        (Method::TRACE, "TRACE"),
        (Method::CONNECT, "CONNECT"),
    ];
    KNOWN
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, name)| name)
}

/// The whole scrape in the Prometheus text format.
pub fn render(stats: &Stats) -> String {
    let mut text = handle().render();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let counters = [
        (
            "loyalpos_store_statements_total",
            "SQL statements run by jobs",
            stats.statements,
        ),
        (
            "loyalpos_store_relay_statements_total",
            "the part of the statements the event relay ran (numbering and handing on events)",
            stats.relay_statements,
        ),
        (
            "loyalpos_store_round_trips_total",
            "times a job waited for the database server's answers (PostgreSQL; 0 on SQLite)",
            stats.round_trips,
        ),
        (
            "loyalpos_store_relay_round_trips_total",
            "the part of the round trips the event relay's units made (PostgreSQL)",
            stats.relay_round_trips,
        ),
        (
            "loyalpos_store_prepares_total",
            "the part of the other round trips spent preparing statements (a connection's first use of a SQL text)",
            stats.prepares,
        ),
        (
            "loyalpos_store_units_total",
            "units of work committed",
            stats.units,
        ),
        (
            "loyalpos_store_commits_total",
            "commits (batches of units)",
            stats.batches,
        ),
        (
            "loyalpos_cache_hits_total",
            "cached rows read from the cache",
            stats.cache_hits,
        ),
        (
            "loyalpos_cache_misses_total",
            "cached rows read from the database",
            stats.cache_misses,
        ),
    ];
    for (name, help, value) in counters {
        let _ = write!(
            text,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        );
    }
    let lookups = stats.cache_hits + stats.cache_misses;
    let ratio = if lookups == 0 {
        0.0
    } else {
        stats.cache_hits as f64 / lookups as f64
    };
    gauge(
        &mut text,
        "loyalpos_cache_hit_ratio",
        "share of cached-row reads answered from the cache since start",
        ratio,
    );
    histogram(
        &mut text,
        "loyalpos_store_units_per_commit",
        "units of work per commit (a SQLite batch shares one fsync)",
        &stats.units_per_commit,
        1.0,
    );
    histogram(
        &mut text,
        "loyalpos_store_wait_seconds",
        "time a job waited for the database (PostgreSQL pool, SQLite writer or reader queue)",
        &stats.wait_micros,
        1e6,
    );
    if let Some(rss) = resident_bytes() {
        gauge(
            &mut text,
            "loyalpos_process_resident_memory_bytes",
            "resident set size of the process",
            rss as f64,
        );
    }
    text
}

fn gauge(text: &mut String, name: &str, help: &str, value: f64) {
    let _ = write!(
        text,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
    );
}

/// A store histogram; `divisor` turns its unit into the metric's (1e6: microseconds into seconds).
fn histogram(text: &mut String, name: &str, help: &str, h: &Histogram, divisor: f64) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (bound, count) in h.bounds.iter().zip(h.cumulative) {
        let le = *bound as f64 / divisor;
        let _ = writeln!(text, "{name}_bucket{{le=\"{le}\"}} {count}");
    }
    let _ = writeln!(text, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(text, "{name}_sum {}", h.sum as f64 / divisor);
    let _ = writeln!(text, "{name}_count {}", h.count);
}

/// The resident set size from `/proc/self/status` (Linux); None elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn scrape(app: &App) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        render(&app.store.stats()),
    )
        .into_response()
}

/// `GET /metrics` on the API port; 404 there when `--metrics-listen` serves them elsewhere.
pub async fn metrics(app: Arc<App>, _req: Req) -> ApiResult<Response> {
    if !app.config.metrics_on_api {
        return Err(ApiError::new(
            Code::NotFound,
            "no route for /metrics (served on the metrics address)",
        ));
    }
    Ok(scrape(&app))
}

/// The service of `--metrics-listen`: `GET /metrics` and nothing else.
pub fn router(app: Arc<App>) -> axum::Router {
    async fn serve(axum::extract::State(app): axum::extract::State<Arc<App>>) -> Response {
        scrape(&app)
    }
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_histograms_render_cumulative_buckets_and_scaled_bounds() {
        let mut cumulative = [0; loyalpos_store::MAX_BUCKETS];
        cumulative[..3].copy_from_slice(&[1, 3, 3]);
        let h = Histogram {
            bounds: &[50, 250, 1_000],
            cumulative,
            count: 4,
            sum: 2_300,
        };
        let mut text = String::new();
        histogram(&mut text, "x_seconds", "help", &h, 1e6);
        assert!(
            text.contains("x_seconds_bucket{le=\"0.00005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("x_seconds_bucket{le=\"0.001\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("x_seconds_bucket{le=\"+Inf\"} 4\n"), "{text}");
        assert!(text.contains("x_seconds_count 4\n"), "{text}");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
