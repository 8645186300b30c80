//! Admission limits: header size, request target length, per-request time, and the
//! optional per-client rate limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Uri};

use crate::error::{ApiError, ApiResult, Code};

/// Sum of header names and values a request may carry.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Longest request target (path and query) accepted, in bytes: a `q` of ASCII at its length
/// limit fits, even percent-encoded. Beyond 65,534 bytes hyper answers a bare 414 itself.
pub const MAX_URI_BYTES: usize = 16 * 1024;

pub fn check_headers(headers: &HeaderMap) -> ApiResult<()> {
    let size: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            Code::TooLarge,
            format!("headers larger than {MAX_HEADER_BYTES} bytes"),
        ));
    }
    Ok(())
}

pub fn check_uri(uri: &Uri) -> ApiResult<()> {
    let len = uri.path_and_query().map_or(0, |p| p.as_str().len());
    if len > MAX_URI_BYTES {
        return Err(ApiError::new(
            Code::TooLarge,
            format!("request target longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    Ok(())
}

pub fn timed_out(limit: Duration) -> ApiError {
    ApiError::new(
        Code::Unavailable,
        format!(
            "the request took longer than {} s and was rolled back; safe to retry",
            limit.as_secs()
        ),
    )
}

/// Fixed one-second windows per API client; each process counts its own requests.
pub struct RateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        RateLimiter {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn admit(&self, client_id: &str) -> ApiResult<()> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded memory: forget windows that ended long ago once the map grows.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(2));
        }
        let entry = windows.entry(client_id.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(1) {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_second {
            return Err(ApiError::new(
                Code::RateLimited,
                format!(
                    "more than {} requests per second for this API client",
                    self.per_second
                ),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limiter_admits_n_per_second_per_client() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.admit("a").is_ok());
        assert!(limiter.admit("a").is_ok());
        assert_eq!(limiter.admit("a").unwrap_err().code, Code::RateLimited);
        assert!(limiter.admit("b").is_ok(), "clients are counted separately");
    }

    #[test]
    fn oversized_headers_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert("x-big", "x".repeat(MAX_HEADER_BYTES + 1).parse().unwrap());
        assert_eq!(check_headers(&headers).unwrap_err().code, Code::TooLarge);
    }
}
