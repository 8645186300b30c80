//! Cross-origin requests from browser registers and the JS SDK (`serve --cors-origin`).
//!
//! Without configured origins no CORS header is sent, so browsers keep refusing cross-origin calls.
//! Named origins may send credentials; `*` admits every origin and therefore never credentials
//! (browsers refuse `*` together with `Access-Control-Allow-Credentials`).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers at all (the default).
    #[default]
    Off,
    /// `*`: any origin, without credentials.
    Any,
    /// These exact origins (`https://kasse.example:8443`), with credentials.
    Named(Vec<HeaderValue>),
}

impl CorsOrigins {
    /// Parses the `--cors-origin` values: `*` alone, or origins `scheme://host[:port]` without a
    /// path.
    pub fn parse(origins: &[String]) -> Result<CorsOrigins, String> {
        if origins.is_empty() {
            return Ok(CorsOrigins::Off);
        }
        if origins.iter().any(|o| o == "*") {
            return if origins.len() == 1 {
                Ok(CorsOrigins::Any)
            } else {
                Err("--cors-origin '*' cannot be combined with named origins".into())
            };
        }
        origins
            .iter()
            .map(|o| named_origin(o))
            .collect::<Result<_, _>>()
            .map(CorsOrigins::Named)
    }

    /// The layer answering preflights and decorating answers, or none when CORS is off.
    pub fn layer(&self) -> Option<CorsLayer> {
        let layer = CorsLayer::new()
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers(REQUEST_HEADERS.map(HeaderName::from_static))
            .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
            .max_age(Duration::from_secs(600));
        match self {
            CorsOrigins::Off => None,
            CorsOrigins::Any => Some(layer.allow_origin(AllowOrigin::any())),
            CorsOrigins::Named(origins) => Some(
                layer
                    .allow_origin(AllowOrigin::list(origins.iter().cloned()))
                    .allow_credentials(true),
            ),
        }
    }
}

/// What registers send: the token (the docs also spell it `Authenticate`), JSON, the retry key.
const REQUEST_HEADERS: [&str; 6] = [
    "authorization",
    "authenticate",
    "content-type",
    "accept",
    "accept-language",
    "idempotency-key",
];

/// What a browser client may read besides the safelisted answer headers.
const EXPOSED_HEADERS: [&str; 4] = [
    "x-support-id",
    "idempotent-replayed",
    "retry-after",
    "allow",
];

fn named_origin(origin: &str) -> Result<HeaderValue, String> {
    let invalid =
        || format!("--cors-origin {origin:?} is not an origin like https://kasse.example");
    let (scheme, rest) = origin.split_once("://").ok_or_else(invalid)?;
    let host_ok = !rest.is_empty() && !rest.contains(['/', '?', '#', '*', ' ']) && rest.is_ascii();
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(invalid());
    }
    HeaderValue::from_str(origin).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_alone_admits_any_origin_and_named_origins_are_kept() {
        assert_eq!(CorsOrigins::parse(&[]).unwrap(), CorsOrigins::Off);
        assert_eq!(CorsOrigins::parse(&["*".into()]).unwrap(), CorsOrigins::Any);
        let named = CorsOrigins::parse(&["https://kasse.example:8443".into()]).unwrap();
        assert_eq!(
            named,
            CorsOrigins::Named(vec![HeaderValue::from_static("https://kasse.example:8443")])
        );
        assert!(CorsOrigins::Off.layer().is_none());
    }

    #[test]
    fn star_with_named_origins_and_non_origins_are_refused() {
        for bad in [
            vec!["*".to_string(), "https://a.example".to_string()],
            vec!["kasse.example".to_string()],
            vec!["https://a.example/path".to_string()],
            vec!["ftp://a.example".to_string()],
            vec!["https://".to_string()],
        ] {
            assert!(CorsOrigins::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
