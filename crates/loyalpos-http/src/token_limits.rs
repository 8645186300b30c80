//! Failed sign-in limits of `POST /oauth/token` (README "Security"): an API client and a remote
//! address may each fail only so often per minute; beyond that the endpoint answers 429/2006 with
//! `Retry-After` until the minute is over. Only refusals of the credentials count (wrong client
//! secret, password, PIN, refresh token or device code), never a pending device registration.
//! In-process: each server process counts its own attempts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts one API client may make per window.
pub const CLIENT_FAILURES: u32 = 10;
/// Failed attempts one remote address may make per window (several registers may share one).
pub const ADDRESS_FAILURES: u32 = 30;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked keys, ended windows are forgotten (bounded memory).
const PRUNE_ABOVE: usize = 10_000;

/// The keys an attempt counts against, each with its allowance.
pub struct Attempt {
    keys: Vec<(String, u32)>,
}

impl Attempt {
    pub fn new(client_id: Option<&str>, remote: Option<IpAddr>) -> Attempt {
        let mut keys = Vec::with_capacity(2);
        if let Some(id) = client_id {
            keys.push((format!("client {id}"), CLIENT_FAILURES));
        }
        if let Some(ip) = remote {
            keys.push((format!("address {ip}"), ADDRESS_FAILURES));
        }
        Attempt { keys }
    }
}

/// Fixed windows of failed attempts, opened by a key's first failure.
#[derive(Default)]
pub struct TokenFailures {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl TokenFailures {
    /// Whole seconds until the attempt may be made, when one of its keys has used its allowance.
    pub fn blocked(&self, attempt: &Attempt) -> Option<u64> {
        let now = Instant::now();
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        attempt
            .keys
            .iter()
            .filter_map(|(key, allowed)| {
                let (start, failures) = windows.get(key)?;
                let left = WINDOW.checked_sub(now.duration_since(*start))?;
                (failures >= allowed).then(|| left.as_secs() + 1)
            })
            .max()
    }

    pub fn failed(&self, attempt: &Attempt) {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for (key, _) in &attempt.keys {
            let entry = windows.entry(key.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_blocked_after_its_allowance_of_failures_only() {
        let failures = TokenFailures::default();
        let ip = Some("192.0.2.7".parse().unwrap());
        let attempt = Attempt::new(Some("c1"), ip);
        for _ in 0..CLIENT_FAILURES {
            assert_eq!(failures.blocked(&attempt), None);
            failures.failed(&attempt);
        }
        let wait = failures.blocked(&attempt).expect("blocked");
        assert!((1..=60).contains(&wait), "{wait}");
        // Another client from another address is not affected.
        let other = Attempt::new(Some("c2"), Some("192.0.2.8".parse().unwrap()));
        assert_eq!(failures.blocked(&other), None);
    }

    #[test]
    fn an_address_is_blocked_whatever_client_it_names() {
        let failures = TokenFailures::default();
        let ip = Some("192.0.2.9".parse().unwrap());
        for i in 0..ADDRESS_FAILURES {
            failures.failed(&Attempt::new(Some(&format!("client{i}")), ip));
        }
        assert!(failures.blocked(&Attempt::new(Some("fresh"), ip)).is_some());
    }
}
