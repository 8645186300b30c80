//! HTTPS on the API port (issue 14): `--tls-cert`/`--tls-key` with a certificate generated per
//! test, a client that trusts only it, the connection limits still in force during the handshake,
//! and a clear start-up error for a missing or unusable key or certificate.

mod common;
mod ops_support;
use common::*;
use ops_support::*;

use std::io::Write;
use std::time::Duration;

struct Certificate {
    dir: std::path::PathBuf,
    cert: String,
    key: String,
    pem: String,
}

impl Certificate {
    /// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
    fn generate() -> Certificate {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let generated = rcgen::generate_simple_self_signed(names).unwrap();
        let dir = std::env::temp_dir().join(format!("loyalpos-tls-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = generated.cert.pem();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &pem).unwrap();
        std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
        Certificate {
            cert: cert.to_string_lossy().into_owned(),
            key: key.to_string_lossy().into_owned(),
            dir,
            pem,
        }
    }

    /// A client that trusts this certificate and no other.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn https_serves_the_api_with_the_given_certificate() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let cert = Certificate::generate();
    let server = LoggedServer::start(
        &db,
        &[
            "--tls-cert",
            &cert.cert,
            "--tls-key",
            &cert.key,
            "--log-format",
            "json",
        ],
    );
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let http = cert.client();

    let me = http
        .get(format!("{}/api/v2/General/Merchants/me", server.base))
        .bearer_auth(PINNED)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["id"], MERCHANT);

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(server.base.replace("https://", "http://") + "/health")
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");

    // A client that does not trust the certificate is refused by its own TLS.
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_err()
    );

    let log = server.stop();
    let lines = json_lines(&log);
    let line = lines
        .iter()
        .find(|l| l["route"] == "/api/v2/General/Merchants/{id}")
        .expect("the request was logged");
    assert_eq!(line["scheme"], "https");
}

#[tokio::test]
async fn a_silent_client_cannot_hold_the_only_connection_slot_in_the_tls_handshake() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let cert = Certificate::generate();
    let server = LoggedServer::start(
        &db,
        &[
            "--tls-cert",
            &cert.cert,
            "--tls-key",
            &cert.key,
            "--max-connections",
            "1",
            "--header-timeout",
            "1",
        ],
    );
    let address = server.base.trim_start_matches("https://").to_owned();
    // Connects and never says a word: without a handshake limit it would keep the slot for ever.
    let mut silent = std::net::TcpStream::connect(&address).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let health = cert
        .client()
        .get(format!("{}/health", server.base))
        .send()
        .await
        .expect("served once the silent client's handshake timed out");
    assert_eq!(health.status(), 200);
    let _ = silent.write_all(b"late");
}

#[tokio::test]
async fn a_missing_or_unusable_key_or_certificate_is_a_clear_startup_error() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let cert = Certificate::generate();
    let missing = cert.dir.join("nope.pem").to_string_lossy().into_owned();

    let err = serve_fails(&db, &["--tls-cert", &cert.cert, "--tls-key", &missing]);
    assert!(
        err.contains("TLS private key") && err.contains(&missing),
        "{err}"
    );

    let err = serve_fails(&db, &["--tls-cert", &missing, "--tls-key", &cert.key]);
    assert!(
        err.contains("TLS certificate") && err.contains(&missing),
        "{err}"
    );

    // A key file given as the certificate: no certificate in it.
    let err = serve_fails(&db, &["--tls-cert", &cert.key, "--tls-key", &cert.key]);
    assert!(err.contains("no certificate"), "{err}");

    // Another certificate's key.
    let other = Certificate::generate();
    let err = serve_fails(&db, &["--tls-cert", &cert.cert, "--tls-key", &other.key]);
    assert!(err.contains("do not belong together"), "{err}");

    let err = serve_fails(&db, &["--tls-cert", &cert.cert]);
    assert!(err.contains("--tls-key"), "{err}");
}

/// The STOMP listener speaks TLS with the same certificate (push.md §2: the SDKs default to
/// `ssl://…:61614`).
#[tokio::test]
async fn stomp_speaks_tls_with_the_apis_certificate() {
    use loyalpos_stomp::{Command as Stomp, Frame, Item, Limits, parse};
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;

    let Some(db) = Database::fresh(Backend::Sqlite).await else {
        return;
    };
    let tls = Certificate::generate();
    let mut server = LoggedServer::start(
        &db,
        &[
            "--tls-cert",
            &tls.cert,
            "--tls-key",
            &tls.key,
            "--stomp-listen",
            "127.0.0.1:0",
        ],
    );
    let line = server.next_line();
    let address = line
        .strip_prefix("loyalpos stomp on tls://")
        .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
        .to_owned();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(tls.pem.as_bytes()).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut stream = connector.connect(name, tcp).await.unwrap();
    let connect = Frame::new(Stomp::Connect)
        .header("accept-version", "1.2")
        .header("login", PINNED)
        .header("passcode", PINNED);
    stream.write_all(&connect.encode()).await.unwrap();
    let mut buf = Vec::new();
    let frame = loop {
        if let Some((Item::Frame(frame), _)) = parse(&buf, &Limits::default()).unwrap() {
            break frame;
        }
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read_buf(&mut buf));
        assert!(read.await.unwrap().unwrap() > 0, "closed before CONNECTED");
    };
    assert_eq!(frame.command, Stomp::Connected);
    server.stop();
}
