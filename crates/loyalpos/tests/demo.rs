mod common;
use common::*;

#[tokio::test]
async fn demo_seeding_is_idempotent_and_absent_without_the_flag() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    {
        let _plain = Server::start(&db.url, &[]);
        let http = reqwest::Client::new();
        let r = http
            .get(format!("{}/api/v2/General/Merchants/me", _plain.base))
            .bearer_auth(PINNED)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "no demo data without --demo");
    }
    for _ in 0..2 {
        let server = Server::start(&db.url, &["--demo"]);
        let http = reqwest::Client::new();
        let devices: serde_json::Value = http
            .get(format!("{}/api/v2/Smart/Devices", server.base))
            .bearer_auth(PINNED)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            devices["count"], 3,
            "a second start with --demo duplicates nothing"
        );
    }
    // demo-only behaviour is off when the same database is served without --demo
    let server = Server::start(&db.url, &[]);
    let r = reqwest::Client::new()
        .get(format!("{}/api/v2/General/Merchants/me", server.base))
        .bearer_auth(PINNED)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn sigterm_shuts_the_server_down_cleanly() {
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let mut server = Server::start(&db.url, &["--demo"]);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}
