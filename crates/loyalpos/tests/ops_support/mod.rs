//! A server whose stderr (its log) is kept, for the operability tests (`ops_*.rs`), and a parser of
//! the Prometheus text format.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::common::{Database, binary};

pub struct LoggedServer {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT` (or `https://…` with TLS).
    pub base: String,
    log: std::path::PathBuf,
}

impl LoggedServer {
    /// `loyalpos serve --demo --listen 127.0.0.1:0` plus `args`, its log at `LOYALPOS_LOG=info` in
    /// a file (neither a terminal nor a pipe).
    pub fn start(db: &Database, args: &[&str]) -> LoggedServer {
        LoggedServer::start_at("info", db, args)
    }

    /// As [`LoggedServer::start`], logging at `level` (`debug`, `info` …).
    pub fn start_at(level: &str, db: &Database, args: &[&str]) -> LoggedServer {
        let log = std::env::temp_dir().join(format!(
            "loyalpos-ops-{}-{}.log",
            std::process::id(),
            rand::random::<u64>()
        ));
        let stderr = std::fs::File::create(&log).unwrap();
        // No STOMP listener unless the test asks for one (parallel servers, one default port).
        let stomp: &[&str] = if args.contains(&"--stomp-listen") {
            &[]
        } else {
            &["--stomp-listen", "off"]
        };
        let mut child = Command::new(binary())
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--database"])
            .arg(&db.url)
            .args(stomp)
            .args(args)
            .env("LOYALPOS_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start loyalpos");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let line = read_line(&mut stdout);
        let base = line
            .strip_prefix("loyalpos listening on ")
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("unexpected first line {line:?}; log:\n{log}")
            })
            .to_owned();
        LoggedServer {
            child,
            stdout,
            base,
            log,
        }
    }

    /// The next line the server printed to stdout.
    pub fn next_line(&mut self) -> String {
        read_line(&mut self.stdout)
    }

    /// Stops the server (so that every line is written) and returns its log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn read_line(stdout: &mut impl BufRead) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.trim().to_owned()
}

/// The JSON log lines of a log written with `--log-format json`; any other line fails the test.
pub fn json_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
        })
        .collect()
}

/// The request line with this support id.
pub fn request_line<'a>(lines: &'a [serde_json::Value], support_id: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|l| l["support_id"] == support_id)
        .unwrap_or_else(|| panic!("no log line for supportId {support_id}"))
}

/// Reads all a child's stream; for tests that pipe stderr.
pub fn read_all(mut stream: impl Read) -> String {
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// One sample of a scrape: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A scrape in the Prometheus text format (0.0.4): its samples and the declared type per family.
#[derive(Debug, Default)]
pub struct Scrape {
    pub samples: Vec<Sample>,
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses a scrape; panics on a line that is not valid text format.
    pub fn parse(text: &str) -> Scrape {
        let mut scrape = Scrape::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                assert!(known.contains(&kind), "unknown type in {line}");
                let before = scrape.types.insert(name.to_owned(), kind.to_owned());
                assert!(before.is_none(), "family {name} declared twice");
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            scrape.samples.push(sample(line));
        }
        for s in &scrape.samples {
            let family = ["_bucket", "_sum", "_count", ""]
                .iter()
                .filter_map(|suffix| s.name.strip_suffix(suffix))
                .find(|f| scrape.types.contains_key(*f));
            assert!(family.is_some(), "sample {} has no # TYPE", s.name);
        }
        scrape
    }

    /// The samples of `name` whose labels include all of `labels`.
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// The one sample of `name` with exactly these labels.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == wanted)
            .map(|s| s.value)
    }
}

fn sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value in {line}"));
    let name = &line[..name_end];
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "bad metric name in {line}"
    );
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut end = None;
        loop {
            let (start, c) = chars
                .next()
                .unwrap_or_else(|| panic!("unclosed {{ in {line}"));
            if c == '}' {
                end = end.or(Some(start + 1));
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = inner[start..].find('=').expect("label=") + start;
            let key = inner[start..eq].trim().to_owned();
            assert_eq!(
                &inner[eq + 1..eq + 2],
                "\"",
                "label value not quoted in {line}"
            );
            while chars.peek().is_some_and(|(i, _)| *i <= eq + 1) {
                chars.next();
            }
            let mut value = String::new();
            loop {
                let (_, c) = chars
                    .next()
                    .unwrap_or_else(|| panic!("unclosed \" in {line}"));
                match c {
                    '"' => break,
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some(other) => value.push(other),
                        None => panic!("dangling escape in {line}"),
                    },
                    other => value.push(other),
                }
            }
            labels.insert(key, value);
        }
        rest = &inner[end.unwrap()..];
    }
    let value = rest.split_whitespace().next().expect("a value");
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v
            .parse()
            .unwrap_or_else(|_| panic!("bad value {v:?} in {line}")),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}
