mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use serde_json::{Value, json};

const M: &str = "MRC_IMPORTTEST00000000000000000001";
const STO: &str = "STO_IMPORTTEST00000000000000000001";
const CRG: &str = "CRG_IMPORTTEST00000000000000000001";
const CUS: &str = "CUS_IMPORTTEST00000000000000000001";
const CRD: &str = "CRD_IMPORTTEST00000000000000000001";
const MCD: &str = "MCD_IMPORTTEST00000000000000000001";
const NUMBER: &str = "9276111122223333";
const CLIENT: (&str, &str) = ("importclient00000000000000000001", "s3cret-import");

fn document() -> Value {
    json!({
        "general.merchants": [{"id": M, "companyname": "Café Import"}],
        "general.contracts": [{"id": "GCR_IMPORTTEST00000000000000000001", "merchant": {"id": M}}],
        "general.stores": [{"id": STO, "merchant": {"id": M}, "name": "Café Import", "is_default": true}],
        "loyalty.cardgroups": [{"id": CRG, "merchant": {"id": M}, "display_name": "Treue",
            "bonus": {"rate": 500, "base": "full"}, "passcode_policy": 2}],
        "loyalty.customers": [{"id": CUS, "merchant": {"id": M},
            "merchant_contact": {"forename": "Ida", "surname": "Import"}, "consent_for_communication": "accepted"}],
        "loyalty.cards": [{"id": CRD, "cardnumber": NUMBER, "created": "2019-01-01T10:00:00+01:00"}],
        "loyalty.merchantcards": [{"id": MCD, "merchant": {"id": M}, "card": {"id": CRD}, "cardgroup": {"id": CRG},
            "customer": {"id": CUS}, "created_for_store": {"id": STO},
            "cash_balance": 1234, "bonus_balance": 56, "points": 7, "csc": "9911", "passcode_pin": 2468}],
        "clients": [{"client_id": CLIENT.0, "client_secret": CLIENT.1, "merchant": {"id": M}, "grants": ["client_credentials"]}]
    })
}

async fn imported_token(app: &TestApp) -> Option<String> {
    let r = app
        .token_request(json!({"grant_type": "client_credentials", "client_id": CLIENT.0, "client_secret": CLIENT.1}))
        .await;
    r.body["access_token"].as_str().map(str::to_owned)
}

on_both_backends! {
    async fn an_import_with_problems_writes_nothing_and_lists_every_json_path(app: TestApp) {
        let mut doc = document();
        doc["loyalty.cards"][0]["cardnumber"] = json!("92761111");
        doc["loyalty.merchantcards"][0]["cardgroup"] = json!({"id": "CRG_UNKNOWN000000000000000000000001"});
        doc["loyalty.merchantcards"][0]["csc"] = json!("12");
        doc["loyalty.cardgroups"][0]["bonus"]["rate"] = json!(20000);
        let (ok, _, err) = import(&app, &doc);
        assert!(!ok);
        for path in ["loyalty.cards[0].cardnumber", "loyalty.merchantcards[0].cardgroup", "loyalty.merchantcards[0].csc", "loyalty.cardgroups[0]"] {
            assert!(err.contains(path), "{path} missing in {err}");
        }
        assert_eq!(imported_token(&app).await, None, "not even the valid parts were written");
        let r = app.post("/Loyalty/MerchantCards/me/validateMerchantcard", PINNED, json!({"cardnumber": NUMBER})).await;
        assert_eq!(r.text, r#"{"isValid":false}"#);
        // no TA code was used either
        let charge = direct(&app, A.mcd, json!({"action": "charge", "amount": 1})).await;
        assert_eq!(charge.ok()["trans_id"], 29187330);
    }

    async fn an_import_keeps_ids_and_secrets_and_books_opening_balances_once(app: TestApp) {
        let (ok, out, err) = import(&app, &document());
        assert!(ok, "{err}");
        assert!(out.contains("loyalty.merchantcards: 1 created, 0 already present"), "{out}");
        let token = imported_token(&app).await.expect("the imported client authenticates");
        let card = app.get(&format!("/Loyalty/MerchantCards/{MCD}"), &token).await;
        let card = card.ok().clone();
        assert_eq!((card["cash_balance"].as_i64(), card["bonus_balance"].as_i64(), card["points"].as_i64(), card["balance"].as_i64()),
            (Some(1234), Some(56), Some(7), Some(1290)));
        assert_eq!((card["passcode"].as_i64(), card["card"]["cardnumber"].as_str()), (Some(2), Some(NUMBER)));
        assert_eq!(card["customer"]["contact"]["name"], "Ida Import");
        assert_eq!(card["card"]["created"], "2019-01-01T10:00:00+01:00");
        // the opening balances are one "Saldovortrag" transaction
        let ltxs = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD}"), &token).await;
        assert_eq!(ltxs.ok()["count"], 1);
        let opening = &ltxs.body["data"][0];
        assert_eq!((opening["description"].as_str(), opening["amount"].as_i64(), opening["balance"].as_i64()), (Some("Saldovortrag"), Some(1290), Some(1290)));
        assert_eq!(opening["bookings"], json!([{"type": "opening", "balance": "cash", "amount": 1234},
            {"type": "opening", "balance": "bonus", "amount": 56}, {"type": "opening", "balance": "points", "amount": 7}]));
        assert_eq!((opening["receipt"].clone(), opening["is_cancelling"].as_i64()), (json!([]), Some(0)));
        // secrets were imported hashed and still verify
        let csc = app.post("/Loyalty/MerchantCards/me/checkCsc", &token, json!({"cardnumber": NUMBER, "csc": "9911"})).await;
        assert_eq!(csc.ok(), &json!({"result": true}));
        let pin = app.post(&format!("/Loyalty/MerchantCards/{MCD}/checkPasscode"), &token, json!({"pin": 2468})).await;
        assert_eq!(pin.ok(), &json!({"result": true}));
        // the opening transaction is never cancelled
        app.post(&format!("/Loyalty/MerchantCards/{MCD}/transaction/me"), &token, json!({"action": "cancel_last"})).await.assert_error(400, 4205);

        // the same document again changes nothing
        let (ok, out, err) = import(&app, &document());
        assert!(ok, "{err}");
        assert!(out.contains("loyalty.merchantcards: 0 created, 1 already present"), "{out}");
        assert!(out.contains("loyalty.cardgroups: 0 created, 1 already present"), "{out}");
        let ltxs = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD}"), &token).await;
        assert_eq!(ltxs.ok()["count"], 1, "no second opening");
        assert_eq!(ledger_sums_for(&app, &token).await, (1234, 56, 7));

        // an existing object with other data is a problem, never overwritten
        let mut changed = document();
        changed["loyalty.cardgroups"][0]["display_name"] = json!("Andere");
        let (ok, _, err) = import(&app, &changed);
        assert!(!ok);
        assert!(err.contains("loyalty.cardgroups[0]"), "{err}");
        let group = app.get(&format!("/Loyalty/Cardgroups/{CRG}"), &token).await;
        assert_eq!(group.ok()["display_name"], "Treue");
        // the imported merchant's objects are its own
        app.get(&format!("/Loyalty/MerchantCards/{MCD}"), PINNED).await.assert_error(404, 3001);
    }
}

async fn ledger_sums_for(app: &TestApp, token: &str) -> (i64, i64, i64) {
    let r = app
        .get(
            &format!("/Loyalty/Transactions?q=merchantcard.id:{MCD}"),
            token,
        )
        .await;
    let mut sums = (0, 0, 0);
    for ltx in r.ok()["data"].as_array().unwrap() {
        for b in ltx["bookings"].as_array().unwrap() {
            let amount = b["amount"].as_i64().unwrap();
            match b["balance"].as_str().unwrap() {
                "cash" => sums.0 += amount,
                "bonus" => sums.1 += amount,
                _ => sums.2 += amount,
            }
        }
    }
    sums
}
