//! `loyalpos import` against import.md: users, devices with a PIN, installation-wide clients,
//! references to objects imported earlier, and all-or-nothing refusals of duplicates.
mod common;

use common::*;
use serde_json::{Value, json};

const M: &str = "MRC_CONTRACTIMPORT0000000000000001";
const GCR: &str = "GCR_CONTRACTIMPORT0000000000000001";
const STO: &str = "STO_CONTRACTIMPORT0000000000000001";
const CRG: &str = "CRG_CONTRACTIMPORT0000000000000001";
const SDV: &str = "SDV_CONTRACTIMPORT0000000000000001";
const SDV2: &str = "SDV_CONTRACTIMPORT0000000000000002";
const UUID: &str = "/vendor/ingenico/serial/contractimport1";
const UUID2: &str = "/vendor/ingenico/serial/contractimport2";
const PIN: &str = "Imp0rtedPin-4711";
const USER: (&str, &str) = ("cafe-import", "imported password");
const MERCHANT_APP: (&str, &str) = ("contractimportmerchant0000000001", "merchant-app-secret");
const TERMINAL_APP: (&str, &str) = ("contractimportterminal0000000001", "terminal-app-secret");
const VENDOR_APP: (&str, &str) = ("contractimportvendor000000000001", "vendor-app-secret");

/// The first document: a merchant with store, contract, card group, a device with a PIN, a user,
/// two merchant clients and one installation-wide vendor client.
fn base_document() -> Value {
    json!({
        "general.merchants": [{"id": M, "companyname": "Café Vertrag"}],
        "general.contracts": [{"id": GCR, "merchant": {"id": M}}],
        "general.stores": [{"id": STO, "merchant": {"id": M}, "name": "Café Vertrag", "is_default": true}],
        "smart.devices": [{"id": SDV, "merchant": {"id": M}, "store": {"id": STO}, "type": "zvt",
            "vendor": "ingenico", "vendor_uid": UUID, "device_pin": PIN}],
        "loyalty.cardgroups": [{"id": CRG, "merchant": {"id": M}, "display_name": "Vertragskarte"}],
        "clients": [
            {"client_id": MERCHANT_APP.0, "client_secret": MERCHANT_APP.1, "merchant": {"id": M},
                "grants": ["client_credentials", "appuser", "refresh_token"]},
            {"client_id": TERMINAL_APP.0, "client_secret": TERMINAL_APP.1, "merchant": {"id": M},
                "grants": ["device_pin"]},
            {"client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1}
        ],
        "users": [{"username": USER.0, "password": USER.1, "merchant": {"id": M}}]
    })
}

fn import_ok(app: &TestApp, doc: &Value) -> String {
    let (ok, out, err) = import(app, doc);
    assert!(ok, "import failed: {err}");
    out
}

async fn merchant_app_token(app: &TestApp) -> String {
    let r = app
        .token_request(json!({"grant_type": "client_credentials", "client_id": MERCHANT_APP.0, "client_secret": MERCHANT_APP.1}))
        .await;
    r.ok()["access_token"].as_str().unwrap().to_owned()
}

/// Objects for the demo merchant that a refused document also carries: none of them may appear.
const NEW_CRG: &str = "CRG_CONTRACTREFUSED000000000000001";
const NEW_CUS: &str = "CUS_CONTRACTREFUSED000000000000001";
const NEW_STO: &str = "STO_CONTRACTREFUSED000000000000001";
const NEW_CRD: &str = "CRD_CONTRACTREFUSED000000000000001";
const NEW_MCD: &str = "MCD_CONTRACTREFUSED000000000000001";
const NEW_NUMBER: &str = "9276000011112222";

/// A valid document for the demo merchant (which is already in the database).
fn valid_demo_document() -> Value {
    json!({
        "general.stores": [{"id": NEW_STO, "merchant": {"id": MERCHANT}, "name": "Filiale Nord"}],
        "loyalty.cardgroups": [{"id": NEW_CRG, "merchant": {"id": MERCHANT}, "display_name": "Neu"}],
        "loyalty.customers": [{"id": NEW_CUS, "merchant": {"id": MERCHANT},
            "merchant_contact": {"forename": "Nina", "surname": "Neu"}}],
        "loyalty.cards": [{"id": NEW_CRD, "cardnumber": NEW_NUMBER}],
        "loyalty.merchantcards": [{"id": NEW_MCD, "merchant": {"id": MERCHANT}, "card": {"id": NEW_CRD},
            "cardgroup": {"id": NEW_CRG}, "customer": {"id": NEW_CUS}, "cash_balance": 500}]
    })
}

/// Asserts that no object of `valid_demo_document` exists (checked through the API).
async fn nothing_of_the_demo_document_exists(app: &TestApp) {
    let token = app.merchant_token().await;
    for path in [
        format!("/Loyalty/Cardgroups/{NEW_CRG}"),
        format!("/Loyalty/Customers/{NEW_CUS}"),
        format!("/Loyalty/MerchantCards/{NEW_MCD}"),
        format!("/General/Stores/{NEW_STO}"),
    ] {
        app.get(&path, &token).await.assert_error(404, 3001);
    }
    let r = app
        .get(
            &format!("/Loyalty/MerchantCards?q=card.cardnumber:{NEW_NUMBER}"),
            &token,
        )
        .await;
    assert_eq!(r.ok()["count"], 0, "{}", r.text);
}

/// Imports a refused document: non-zero exit, `expected` in the message, nothing written.
async fn refused(app: &TestApp, doc: &Value, expected: &[&str]) {
    let (ok, out, err) = import(app, doc);
    assert!(!ok, "the import must fail; stdout: {out}");
    for e in expected {
        assert!(err.contains(e), "{e:?} missing in {err}");
    }
    nothing_of_the_demo_document_exists(app).await;
}

on_both_backends! {
    async fn an_imported_user_logs_in_with_the_appuser_grant_using_the_imported_password(app: TestApp) {
        let out = import_ok(&app, &base_document());
        assert!(out.contains("users: 1 created, 0 already present"), "{out}");
        assert!(!out.contains(USER.1), "the password is never printed back: {out}");
        let r = app.token_request(json!({"grant_type": "appuser", "client_id": MERCHANT_APP.0, "client_secret": MERCHANT_APP.1,
            "username": USER.0, "password": USER.1})).await;
        let grant = r.ok().clone();
        assert_eq!(grant["refresh_token"].as_str().map(str::len), Some(40), "{}", r.text);
        assert_eq!(grant["scope"], Value::Null);
        let me = app.get("/General/Merchants/me", grant["access_token"].as_str().unwrap()).await;
        assert_eq!(me.ok()["id"], M);
        assert_eq!(me.body["user"]["companyname"], "Café Vertrag");
        let wrong = app.token_request(json!({"grant_type": "appuser", "client_id": MERCHANT_APP.0, "client_secret": MERCHANT_APP.1,
            "username": USER.0, "password": "not the password"})).await;
        assert_eq!((wrong.status.as_u16(), wrong.body["error"].as_str()), (400, Some("invalid_grant")), "{}", wrong.text);
    }

    async fn an_imported_device_pin_opens_the_device_pin_grant_for_that_device(app: TestApp) {
        let out = import_ok(&app, &base_document());
        assert!(out.contains("smart.devices: 1 created, 0 already present"), "{out}");
        assert!(!out.contains(PIN), "the PIN is never printed back: {out}");
        let r = app.token_request(json!({"grant_type": "device_pin", "client_id": TERMINAL_APP.0, "client_secret": TERMINAL_APP.1,
            "uuid": UUID, "device_pin": PIN})).await;
        let grant = r.ok().clone();
        assert!(grant.get("refresh_token").is_none(), "{}", r.text);
        let token = grant["access_token"].as_str().unwrap().to_owned();
        // the token is a device token of the imported device: it fixes device_source and store
        let stx = app.post("/Smart/Transactions", &token, json!({"basket": {"products": []}, "basket_info": {"sum": 0}})).await;
        let stx = stx.ok().clone();
        assert_eq!(stx["device_source"]["id"], SDV, "{stx}");
        assert_eq!(stx["store"]["id"], STO, "{stx}");
        assert_eq!(stx["merchant"]["id"], M, "{stx}");
        let wrong = app.token_request(json!({"grant_type": "device_pin", "client_id": TERMINAL_APP.0, "client_secret": TERMINAL_APP.1,
            "uuid": UUID, "device_pin": "Imp0rtedPin-4712"})).await;
        assert_eq!((wrong.status.as_u16(), wrong.body["error"].as_str()), (400, Some("invalid_grant")), "{}", wrong.text);
    }

    async fn an_imported_installation_wide_client_registers_a_device_for_the_merchant_that_confirms_it(app: TestApp) {
        let out = import_ok(&app, &base_document());
        assert!(out.contains("clients: 3 created, 0 already present"), "{out}");
        assert!(!out.contains(VENDOR_APP.1), "the secret is never printed back: {out}");
        // bound to no merchant: client_credentials (which needs a merchant) gives no token
        let cc = app.token_request(json!({"grant_type": "client_credentials", "client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1})).await;
        assert_eq!(cc.status.as_u16(), 400, "{}", cc.text);
        assert!(cc.body.get("access_token").is_none(), "{}", cc.text);
        // the device flow works, and the operator binds the registration to the imported merchant
        let a = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1,
            "uuid": "/vendor/unknown/cashier/contractimport"})).await;
        let a = a.ok().clone();
        let code = a["device_code"].as_str().unwrap().to_owned();
        let user_code = a["user_code"].as_str().unwrap().to_owned();
        app.cli(&["device", "confirm", &user_code, "--merchant", M]);
        let b = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1, "code": code})).await;
        let b = b.ok().clone();
        assert_eq!(b["refresh_token"].as_str().map(str::len), Some(40));
        let me = app.get("/General/Merchants/me", b["access_token"].as_str().unwrap()).await;
        assert_eq!(me.ok()["id"], M);
        // the same client may also register a device for the demo merchant
        let a2 = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1,
            "uuid": "/vendor/unknown/cashier/contractimport2"})).await;
        let a2 = a2.ok().clone();
        app.cli(&["device", "confirm", a2["user_code"].as_str().unwrap(), "--merchant", MERCHANT]);
        let b2 = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_APP.0, "client_secret": VENDOR_APP.1,
            "code": a2["device_code"]})).await;
        let me2 = app.get("/General/Merchants/me", b2.ok()["access_token"].as_str().unwrap()).await;
        assert_eq!(me2.ok()["id"], MERCHANT);
    }

    async fn a_second_import_may_reference_a_card_group_and_store_imported_earlier(app: TestApp) {
        import_ok(&app, &base_document());
        let crd = "CRD_CONTRACTIMPORT0000000000000001";
        let mcd = "MCD_CONTRACTIMPORT0000000000000001";
        let number = "9276000099990001";
        let second = json!({
            "smart.devices": [{"id": SDV2, "merchant": {"id": M}, "store": {"id": STO}, "type": "cashier", "vendor_uid": UUID2}],
            "loyalty.cards": [{"id": crd, "cardnumber": number}],
            "loyalty.merchantcards": [{"id": mcd, "merchant": {"id": M}, "card": {"object": "loyalty.cards", "id": crd},
                "cardgroup": {"object": "loyalty.cardgroups", "id": CRG}, "created_for_store": {"object": "general.stores", "id": STO},
                "cash_balance": 700, "bonus_balance": 30}]
        });
        let out = import_ok(&app, &second);
        assert!(out.contains("loyalty.merchantcards: 1 created, 0 already present"), "{out}");
        assert!(out.contains("smart.devices: 1 created, 0 already present"), "{out}");
        let token = merchant_app_token(&app).await;
        let card = app.get(&format!("/Loyalty/MerchantCards/{mcd}"), &token).await;
        let card = card.ok().clone();
        assert_eq!(card["cardgroup"]["id"], CRG);
        assert_eq!(card["cardgroup"]["display_name"], "Vertragskarte");
        assert_eq!(card["created_for_store"]["id"], STO);
        assert_eq!(card["card"]["cardnumber"], number);
        // opening balances 700 + 30 = 730
        assert_eq!((card["cash_balance"].as_i64(), card["bonus_balance"].as_i64(), card["balance"].as_i64()), (Some(700), Some(30), Some(730)));
        let device = app.get(&format!("/Smart/Devices/{SDV2}"), &token).await;
        assert_eq!(device.ok()["store"]["id"], STO);
        // the first document again is still "already present" throughout
        let again = import_ok(&app, &base_document());
        assert!(again.contains("loyalty.cardgroups: 0 created, 1 already present"), "{again}");
        assert!(again.contains("general.stores: 0 created, 1 already present"), "{again}");
    }

    async fn a_reference_to_an_object_of_another_merchant_in_the_database_is_refused(app: TestApp) {
        import_ok(&app, &base_document());
        // the demo merchant's card may not join the imported merchant's group
        let mut doc = valid_demo_document();
        doc["loyalty.merchantcards"][0]["cardgroup"] = json!({"id": CRG});
        refused(&app, &doc, &["loyalty.merchantcards[0].cardgroup"]).await;
    }

    async fn a_duplicate_id_within_the_document_refuses_the_whole_document(app: TestApp) {
        let mut doc = valid_demo_document();
        doc["loyalty.cardgroups"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": NEW_CRG, "merchant": {"id": MERCHANT}, "display_name": "Doppelt"}));
        refused(&app, &doc, &["loyalty.cardgroups[1]", "duplicate id"]).await;
        // the same document without the duplicate imports
        let out = import_ok(&app, &valid_demo_document());
        assert!(out.contains("loyalty.cardgroups: 1 created, 0 already present"), "{out}");
    }

    async fn a_duplicate_card_number_within_the_document_refuses_the_whole_document(app: TestApp) {
        let mut doc = valid_demo_document();
        doc["loyalty.cards"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "CRD_CONTRACTREFUSED000000000000002", "cardnumber": NEW_NUMBER}));
        refused(&app, &doc, &["loyalty.cards[1].cardnumber", "duplicate card number"]).await;
        app.get("/Loyalty/Cards/CRD_CONTRACTREFUSED000000000000002", PINNED).await.assert_error(404, 3001);
    }

    async fn an_id_already_in_the_database_with_other_data_refuses_the_whole_document(app: TestApp) {
        let mut doc = valid_demo_document();
        // card A's id with another number
        doc["loyalty.cards"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "CRD_2U7MTNAMM3PMBPAB50C9G2AEHA9GPJ", "cardnumber": "9276000011113333"}));
        refused(&app, &doc, &["loyalty.cards[1]"]).await;
        // the Punkte group's id under another name
        let mut doc = valid_demo_document();
        doc["loyalty.cardgroups"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "CRG_2BESGJNETJJRZVVYS8R7JWGVWK4PRZ", "merchant": {"id": MERCHANT}, "display_name": "Anders"}));
        refused(&app, &doc, &["loyalty.cardgroups[1]"]).await;
        let group = app.get("/Loyalty/Cardgroups/CRG_2BESGJNETJJRZVVYS8R7JWGVWK4PRZ", PINNED).await;
        assert_eq!(group.ok()["display_name"], "Punkte");
        let card_a = app.get(&format!("/Loyalty/MerchantCards/{MCD_A}"), PINNED).await;
        assert_eq!(card_a.ok()["card"]["cardnumber"], CARD_A);
    }

    async fn a_card_number_already_in_the_database_refuses_the_whole_document(app: TestApp) {
        let mut doc = valid_demo_document();
        doc["loyalty.cards"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "CRD_CONTRACTREFUSED000000000000003", "cardnumber": CARD_A}));
        refused(&app, &doc, &["loyalty.cards[1].cardnumber", "already used"]).await;
        app.get("/Loyalty/Cards/CRD_CONTRACTREFUSED000000000000003", PINNED).await.assert_error(404, 3001);
        // card A is unchanged
        let r = app.get(&format!("/Loyalty/MerchantCards?q=card.cardnumber:{CARD_A}"), PINNED).await;
        assert_eq!(r.ok()["count"], 1);
        assert_eq!(r.body["data"][0]["id"], MCD_A);
    }
}
