//! Who the client is behind a reverse proxy (README "Behind a reverse proxy"): `X-Forwarded-For`
//! and `X-Forwarded-Proto` are believed only when the connection comes from a `--trusted-proxy`
//! address; from anyone else they are ignored, so a client cannot pick the address that the
//! failed-sign-in limiter counts or that the log shows.

use std::net::IpAddr;

use axum::http::HeaderMap;
pub use ipnet::IpNet;

/// Marks a connection that arrived over TLS (the server adds it to each request's extensions).
#[derive(Debug, Clone, Copy)]
pub struct Tls;

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most address
/// of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it saw,
/// so only the entries added by trusted proxies can be believed).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted(peer, proxies) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev();
    let mut client = peer;
    for entry in forwarded {
        let Ok(ip) = forwarded_ip(entry) else {
            // An entry that is no address ends what can be believed.
            break;
        };
        client = ip.to_canonical();
        if !trusted(client, proxies) {
            break;
        }
    }
    Some(client)
}

/// An `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:5678`.
fn forwarded_ip(entry: &str) -> Result<IpAddr, ()> {
    let bare = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']'));
    if let Ok(ip) = bare.unwrap_or(entry).parse::<IpAddr>() {
        return Ok(ip);
    }
    entry
        .parse::<std::net::SocketAddr>()
        .map(|s| s.ip())
        .map_err(|_| ())
}

/// `https` or `http` as the client used it: the connection's own, or a trusted proxy's
/// `X-Forwarded-Proto`.
pub fn scheme(
    peer: Option<IpAddr>,
    tls: bool,
    headers: &HeaderMap,
    proxies: &[IpNet],
) -> &'static str {
    let own = if tls { "https" } else { "http" };
    if !peer.is_some_and(|p| trusted(p, proxies)) {
        return own;
    }
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    match forwarded {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let proxies = [net("10.0.0.0/8")];
        assert_eq!(
            client_address(ip("192.0.2.9"), &headers("203.0.113.5"), &proxies),
            ip("192.0.2.9")
        );
    }

    #[test]
    fn a_trusted_chain_yields_the_right_most_untrusted_address() {
        let proxies = [net("10.0.0.0/8"), net("127.0.0.1/32")];
        let h = headers("198.51.100.1, 203.0.113.5, 10.1.2.3");
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &proxies),
            ip("203.0.113.5"),
            "the forged first entry is not believed"
        );
        assert_eq!(
            client_address(
                ip("::ffff:127.0.0.1"),
                &headers("[2001:db8::1]:443"),
                &proxies
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers("[2001:db8::2]"), &proxies),
            ip("2001:db8::2")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers("garbage"), &proxies),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn forwarded_proto_counts_only_from_a_trusted_peer() {
        let proxies = [net("127.0.0.1/32")];
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(scheme(ip("127.0.0.1"), false, &h, &proxies), "https");
        assert_eq!(scheme(ip("192.0.2.9"), false, &h, &proxies), "http");
    }
}
