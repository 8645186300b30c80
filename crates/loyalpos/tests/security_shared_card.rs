//! Issue 11 item 9: a card with merchant cards at two merchants is assigned to a user account per
//! merchant: each merchant sees, filters on and changes only its own assignment, and another
//! merchant's assignment never blocks (or shows through) its own.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const CARD_A_ID: &str = "CRD_2U7MTNAMM3PMBPAB50C9G2AEHA9GPJ";
const DEMO_USER: &str = "ACC_DEMOJOHNSBAKERY000000000000000";
const M2: &str = "MRC_SHAREDCARD00000000000000000001";
const M2_CLIENT: (&str, &str) = ("sharedcardclient0000000000000001", "s3cret-shared");

/// A second merchant with its own merchant card of demo card A, an API client and a user.
fn second_merchant() -> Value {
    json!({
        "general.merchants": [{"id": M2, "companyname": "Zweite Bäckerei"}],
        "general.stores": [{"id": "STO_SHAREDCARD00000000000000000001", "merchant": {"id": M2}, "name": "Zweite", "is_default": true}],
        "loyalty.cardgroups": [{"id": "CRG_SHAREDCARD00000000000000000001", "merchant": {"id": M2}, "display_name": "Treue"}],
        "loyalty.merchantcards": [{"id": "MCD_SHAREDCARD00000000000000000001", "merchant": {"id": M2},
            "card": {"id": CARD_A_ID}, "cardgroup": {"id": "CRG_SHAREDCARD00000000000000000001"}}],
        "clients": [{"client_id": M2_CLIENT.0, "client_secret": M2_CLIENT.1, "merchant": {"id": M2},
            "grants": ["client_credentials", "appuser"]}],
        "users": [{"username": "zweite", "password": "zweites-passwort", "merchant": {"id": M2}}]
    })
}

async fn token(app: &TestApp, body: Value) -> String {
    let r = app.token_request(body).await;
    r.ok()["access_token"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn a_merchant_sees_and_changes_only_its_own_assignment_of_a_shared_card(app: TestApp) {
        let path = std::env::temp_dir().join(format!("loyalpos-shared-card-{}-{:?}.json", std::process::id(), app.backend));
        std::fs::write(&path, second_merchant().to_string()).unwrap();
        app.cli(&["import", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(&path);

        let demo_user = token(&app, json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0,
            "client_secret": MERCHANT_CLIENT.1, "username": "johns-bakery", "password": "demo"})).await;
        let assign = format!("/Loyalty/Cards/{CARD_A_ID}/assignUser/me");
        assert_eq!(app.post(&assign, &demo_user, json!({})).await.ok(), &json!({"result": true}));

        let m2 = token(&app, json!({"grant_type": "client_credentials", "client_id": M2_CLIENT.0, "client_secret": M2_CLIENT.1})).await;
        let card = app.get(&format!("/Loyalty/Cards/{CARD_A_ID}"), &m2).await;
        assert_eq!(card.ok()["account"], Value::Null, "{}", card.text);
        assert!(!card.text.contains(DEMO_USER));
        let list = app.get("/Loyalty/Cards", &m2).await;
        assert_eq!(list.ok()["count"], 1);
        assert_eq!(list.body["data"][0]["account"], Value::Null);
        let filtered = app.get(&format!("/Loyalty/Cards?q=account.id:{DEMO_USER}"), &m2).await;
        assert_eq!(filtered.ok()["count"], 0, "the other merchant's account is no filter: {}", filtered.text);

        let m2_user = token(&app, json!({"grant_type": "appuser", "client_id": M2_CLIENT.0,
            "client_secret": M2_CLIENT.1, "username": "zweite", "password": "zweites-passwort"})).await;
        // the second merchant assigns the same card to its own user: no 409, nothing of the first
        assert_eq!(app.post(&assign, &m2_user, json!({})).await.ok(), &json!({"result": true}));
        let m2_card = app.get(&format!("/Loyalty/Cards/{CARD_A_ID}"), &m2).await;
        let m2_sees = m2_card.ok()["account"]["id"].as_str().unwrap().to_owned();
        assert!(m2_sees.starts_with("ACC_") && m2_sees != DEMO_USER, "{m2_sees}");
        let m2_filtered = app.get(&format!("/Loyalty/Cards?q=account.id:{m2_sees}"), &m2).await;
        assert_eq!(m2_filtered.ok()["count"], 1);

        // the demo merchant still sees its own assignment, untouched
        let own = app.get(&format!("/Loyalty/Cards/{CARD_A_ID}"), PINNED).await;
        assert_eq!(own.ok()["account"], json!({"object": "general.accounts", "id": DEMO_USER}));
        let own_filtered = app.get(&format!("/Loyalty/Cards?q=account.id:{DEMO_USER}"), PINNED).await;
        assert_eq!(own_filtered.ok()["count"], 1);

        // removing the second merchant's assignment leaves the first one's
        assert_eq!(app.send(Method::DELETE, &assign, Some(&m2_user), None).await.ok(), &json!({"result": true}));
        let m2_card = app.get(&format!("/Loyalty/Cards/{CARD_A_ID}"), &m2).await;
        assert_eq!(m2_card.ok()["account"], Value::Null);
        let own = app.get(&format!("/Loyalty/Cards/{CARD_A_ID}"), PINNED).await;
        assert_eq!(own.ok()["account"]["id"], DEMO_USER);
    }
}
