//! Issue 11 item 4: a card's CSC is never kept in clear text in the idempotency store; a replay of
//! `createMerchantcards` answers the same cards without `csc`.
mod common;
use common::*;
use serde_json::{Value, json};

const BONUS10: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";

async fn issue(app: &TestApp, key: &str) -> (u16, Option<String>, Value, String) {
    let resp = app
        .http
        .post(app.url(&format!(
            "/Loyalty/MerchantCards/me/createMerchantcards/{BONUS10}"
        )))
        .bearer_auth(PINNED)
        .header("Idempotency-Key", key)
        .json(&json!({"cards_amount": 2}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    (status, replayed, serde_json::from_str(&text).unwrap(), text)
}

on_both_backends! {
    async fn a_replayed_card_issue_answers_the_cards_without_their_csc(app: TestApp) {
        let (status, replayed, first, _) = issue(&app, "issue-2-cards").await;
        assert_eq!((status, replayed), (200, None));
        let cards = first.as_array().unwrap();
        assert_eq!(cards.len(), 2);
        assert!(cards.iter().all(|c| c["csc"].as_str().is_some_and(|s| s.len() == 4)), "{first}");

        let (status, replayed, again, text) = issue(&app, "issue-2-cards").await;
        assert_eq!((status, replayed.as_deref()), (200, Some("true")));
        assert!(!text.contains("\"csc\""), "no CSC in a replay: {text}");
        let mut expected = first.clone();
        for c in expected.as_array_mut().unwrap() {
            c.as_object_mut().unwrap().shift_remove("csc");
        }
        assert_eq!(again, expected, "the same cards, nothing else changed");

        // nothing in the stored record holds a CSC either
        let record = stored_body(&app).await;
        for c in cards {
            let csc = c["csc"].as_str().unwrap();
            assert!(!record.contains(&format!("\"csc\":\"{csc}\"")), "{record}");
        }
        assert!(!record.contains("\"csc\""), "{record}");
    }
}

#[tokio::test]
async fn the_api_description_says_a_replay_has_no_csc() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = app.get("/api/v2/openapi.json", PINNED).await;
    let issue = doc.ok()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(path, _)| path.contains("createMerchantcards"))
        .map(|(_, item)| item["post"].clone())
        .expect("the operation is described");
    let description = issue["description"].as_str().unwrap();
    assert!(description.contains("without `csc`"), "{description}");
    let schema = &doc.body["components"]["schemas"]["CreatedMerchantCard"];
    assert!(
        !schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("csc"))
    );
}

/// The recorded answer, read from the database.
async fn stored_body(app: &TestApp) -> String {
    use sqlx::Row;
    let sql = "SELECT body FROM idempotency_keys";
    let rows = if app.db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        rows.iter()
            .map(|r| r.get::<Option<String>, _>(0).unwrap_or_default())
            .collect::<Vec<_>>()
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        rows.iter()
            .map(|r| r.get::<Option<String>, _>(0).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(rows.len(), 1);
    rows.concat()
}
