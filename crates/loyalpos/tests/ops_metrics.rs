//! Prometheus metrics (issue 14): `GET /metrics` is scraped and parsed as the text format —
//! requests by route, method, status and error code, latency histograms per route, units per
//! commit, database waits, cache hit ratio, process RSS — and `--metrics-listen` moves them to an
//! address of their own.

mod common;
mod ops_support;
use common::*;
use ops_support::*;

const START: &str = "/api/v2/Smart/Transactions/{id}/start/{method}";

async fn scrape(http: &reqwest::Client, url: String) -> Scrape {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    Scrape::parse(&response.text().await.unwrap())
}

fn basket() -> serde_json::Value {
    card_body(CARD_C, docs_basket(), 796)
}

/// Every histogram family: cumulative buckets ending in +Inf, which equals `_count`.
fn assert_histograms_are_well_formed(s: &Scrape) {
    let histograms: Vec<_> = s
        .types
        .iter()
        .filter(|(_, kind)| *kind == "histogram")
        .map(|(name, _)| name.clone())
        .collect();
    assert!(!histograms.is_empty());
    for name in histograms {
        let counts = s.find(&format!("{name}_count"), &[]);
        for count in counts {
            let mut labels: Vec<(&str, &str)> = count
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let buckets = s.find(&format!("{name}_bucket"), &labels);
            assert!(buckets.len() >= 2, "{name} {labels:?} has buckets");
            let mut previous = 0.0;
            for b in &buckets {
                assert!(b.value >= previous, "{name} buckets are cumulative");
                previous = b.value;
            }
            labels.push(("le", "+Inf"));
            let inf = s.value(&format!("{name}_bucket"), &labels);
            assert_eq!(inf, Some(count.value), "{name}: +Inf bucket = count");
        }
    }
}

on_both_backends! {
    async fn a_scrape_counts_requests_by_route_method_status_and_code(app: TestApp) {
        for _ in 0..2 {
            let stx = app.create_stx(basket()).await;
            app.start(&stx, "cash").await.ok();
        }
        app.start("STX_NOSUCHTRANSACTION0000000000000", "cash").await.assert_error(404, 3001);
        app.get("/General/Merchants/me", "nope").await.assert_error(401, 2003);

        let s = scrape(&app.http, app.url("/metrics")).await;
        let requests = "loyalpos_http_requests_total";
        assert_eq!(s.types.get(requests).map(String::as_str), Some("counter"));
        let ok = [("route", START), ("method", "POST"), ("status", "200"), ("code", "")];
        assert_eq!(s.value(requests, &ok), Some(2.0), "two started transactions");
        let missing = [("route", START), ("method", "POST"), ("status", "404"), ("code", "3001")];
        assert_eq!(s.value(requests, &missing), Some(1.0));
        let refused = [
            ("route", "/api/v2/General/Merchants/{id}"),
            ("method", "GET"),
            ("status", "401"),
            ("code", "2003"),
        ];
        assert_eq!(s.value(requests, &refused), Some(1.0));

        // Latency per route: the start's histogram holds its three requests.
        let latency = "loyalpos_http_request_duration_seconds";
        assert_eq!(s.types.get(latency).map(String::as_str), Some("histogram"));
        let start = [("route", START), ("method", "POST")];
        assert_eq!(s.value(&format!("{latency}_count"), &start), Some(3.0));
        assert!(s.find(&format!("{latency}_bucket"), &start).len() > 5);
        assert_histograms_are_well_formed(&s);

        // The store: commits, units per commit, waits for the database, caches, statements.
        let commits = s.value("loyalpos_store_commits_total", &[]).unwrap();
        assert!(commits >= 4.0, "creates and starts committed: {commits}");
        let units = s.value("loyalpos_store_units_per_commit_count", &[]).unwrap();
        assert_eq!(units, commits, "one observation per commit");
        let sum = s.value("loyalpos_store_units_per_commit_sum", &[]).unwrap();
        assert_eq!(sum, s.value("loyalpos_store_units_total", &[]).unwrap());
        assert!(s.value("loyalpos_store_wait_seconds_count", &[]).unwrap() >= commits);
        assert!(s.value("loyalpos_store_statements_total", &[]).unwrap() > 0.0);
        let ratio = s.value("loyalpos_cache_hit_ratio", &[]).unwrap();
        assert!(ratio > 0.0 && ratio <= 1.0, "the pinned token is cached: {ratio}");
        let rss = s.value("loyalpos_process_resident_memory_bytes", &[]).unwrap();
        assert!(rss > 1_000_000.0, "RSS of a running server: {rss}");

        // The counter goes up with the next request of the same kind.
        app.start("STX_NOSUCHTRANSACTION0000000000000", "cash").await.assert_error(404, 3001);
        let after = scrape(&app.http, app.url("/metrics")).await;
        assert_eq!(after.value(requests, &missing), Some(2.0));
    }
}

async fn metrics_listen_moves_metrics_off_the_api_port(backend: Backend) {
    let Some(db) = Database::fresh(backend).await else {
        return;
    };
    let mut server = LoggedServer::start(&db, &["--metrics-listen", "127.0.0.1:0"]);
    let line = server.next_line();
    let metrics = line
        .strip_prefix("loyalpos metrics on ")
        .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
        .to_owned();
    assert_ne!(metrics, server.base);
    let http = reqwest::Client::new();

    let on_api = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    let reply = TestApp::reply(on_api).await;
    reply.assert_error(404, 3001);
    let created = http
        .post(format!("{}/api/v2/Smart/Transactions", server.base))
        .bearer_auth(PINNED)
        .json(&basket())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);

    let s = scrape(&http, format!("{metrics}/metrics")).await;
    let create = [
        ("route", "/api/v2/Smart/Transactions"),
        ("method", "POST"),
        ("status", "200"),
        ("code", ""),
    ];
    assert_eq!(s.value("loyalpos_http_requests_total", &create), Some(1.0));
    let refused = [("route", "/metrics"), ("status", "404"), ("code", "3001")];
    assert_eq!(s.find("loyalpos_http_requests_total", &refused).len(), 1);
    let elsewhere = http.get(format!("{metrics}/health")).send().await.unwrap();
    assert_eq!(
        elsewhere.status(),
        404,
        "the metrics address serves only /metrics"
    );
    drop(server);
}

#[tokio::test]
async fn metrics_listen_serves_metrics_on_its_own_port_and_not_on_the_api_port_on_sqlite() {
    metrics_listen_moves_metrics_off_the_api_port(Backend::Sqlite).await;
}

#[tokio::test]
async fn metrics_listen_serves_metrics_on_its_own_port_and_not_on_the_api_port_on_postgres() {
    metrics_listen_moves_metrics_off_the_api_port(Backend::Postgres).await;
}

#[tokio::test]
async fn the_scrape_parser_rejects_what_is_not_the_text_format() {
    let good = "# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n";
    let s = Scrape::parse(good);
    assert_eq!(s.value("a_total", &[("x", "1"), ("y", "q\"")]), Some(3.0));
    for bad in [
        "a_total 1\n",
        "# TYPE a_total counter\na_total{x=1} 3\n",
        "# TYPE b gauge\nb x\n",
    ] {
        let parsed = std::panic::catch_unwind(|| Scrape::parse(bad));
        assert!(parsed.is_err(), "accepted {bad:?}");
    }
}
