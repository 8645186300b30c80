//! The devices page's rename and move (office.md §2 "Devices") and the card group page's currency
//! (office.md §2 "Card groups"), over plain HTTP on both backends: each change is the API's own
//! update, seen through the API, written to the audit trail, refused to staff and kept within the
//! merchant.
mod common;
mod loyalty_support;
mod office_support;

use common::*;
use loyalty_support::*;
use office_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The demo register as the API shows it.
async fn register_device(app: &TestApp) -> Value {
    device(app, CASH_REGISTER).await
}

async fn device(app: &TestApp, id: &str) -> Value {
    let token = app.merchant_token().await;
    app.get(&format!("/Smart/Devices/{id}"), &token)
        .await
        .ok()
        .clone()
}

/// A new store of the demo merchant, made through the API; returns its id.
async fn new_store(app: &TestApp, name: &str) -> String {
    let token = app.merchant_token().await;
    let made = app
        .post("/General/Stores", &token, json!({ "name": name }))
        .await;
    made.ok()["id"].as_str().unwrap().to_owned()
}

/// The devices page's CSRF token for this session.
async fn devices_token(office: &mut Office) -> String {
    let page = office.get("/office/devices").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.csrf()
}

async fn rename(office: &mut Office, id: &str, name: &str) -> Page {
    let token = devices_token(office).await;
    let path = format!("/office/devices/{id}/rename");
    office
        .post(&path, &[("csrf", &token), ("name", name)])
        .await
}

async fn move_to(office: &mut Office, id: &str, store: &str) -> Page {
    let token = devices_token(office).await;
    let path = format!("/office/devices/{id}/move");
    office
        .post(&path, &[("csrf", &token), ("store", store)])
        .await
}

fn redirected_to_devices(page: &Page) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/office/devices"));
}

/// A staff user of the demo merchant, signed in.
async fn staff(app: &TestApp) -> Office {
    app.cli(&[
        "user",
        "create",
        "--merchant",
        MERCHANT,
        "--username",
        "theke",
        "--password",
        "pw-theke",
        "--role",
        "staff",
    ]);
    Office::signed_in(app, "theke", "pw-theke").await
}

on_both_backends! {
    async fn an_admin_renames_a_device_and_the_api_shows_the_new_name(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let renamed = rename(&mut office, CASH_REGISTER, "  Kasse Theke <1>  ").await;
        redirected_to_devices(&renamed);
        let api = register_device(&app).await;
        assert_eq!(api["description"], "Kasse Theke <1>", "trimmed: {api}");
        assert!(api["updated"].is_string(), "{api}");

        let page = office.get("/office/devices").await;
        assert!(page.body.contains("value=\"Kasse Theke &#60;1&#62;\""), "{}", page.body);
        let audit = office.get("/office/audit").await;
        for expected in ["device_rename", CASH_REGISTER, "Kasse Theke &#60;1&#62;", "user:johns-bakery"] {
            assert!(audit.body.contains(expected), "{expected} missing: {}", audit.body);
        }
    }

    async fn an_admin_moves_a_device_to_another_store_and_the_api_shows_it_there(app: TestApp) {
        let north = new_store(&app, "Filiale Nord").await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let page = office.get("/office/devices").await;
        assert!(page.body.contains(&format!("<option value=\"{STORE}\" selected>")), "{}", page.body);

        redirected_to_devices(&move_to(&mut office, CASH_REGISTER, &north).await);
        let api = register_device(&app).await;
        assert_eq!((api["store"]["id"].as_str(), api["store"]["name"].as_str()),
            (Some(north.as_str()), Some("Filiale Nord")), "{api}");
        // The register's next sale is booked in its new store.
        let sale = app.create_stx(card_body(CARD_B, docs_basket(), 796)).await;
        assert_eq!(app.stx(&sale).await["store"]["id"], north.as_str());
        let page = office.get("/office/devices").await;
        assert!(page.body.contains(&format!("<option value=\"{north}\" selected>")), "{}", page.body);
        let audit = office.get("/office/audit").await;
        for expected in ["device_move", CASH_REGISTER, north.as_str(), "Filiale Nord"] {
            assert!(audit.body.contains(expected), "{expected} missing: {}", audit.body);
        }

        // And back: the move is the API's store change, in either direction.
        redirected_to_devices(&move_to(&mut office, CASH_REGISTER, STORE).await);
        assert_eq!(register_device(&app).await["store"]["id"], STORE);
    }

    async fn an_empty_or_too_long_name_is_refused_with_400_and_nothing_changes(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let before = register_device(&app).await;
        let too_long = "K".repeat(81);
        for name in ["", "   ", too_long.as_str()] {
            let refused = rename(&mut office, CASH_REGISTER, name).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name:?}: {}", refused.body);
            assert!(refused.body.contains("(Code 4001)"), "{}", refused.body);
        }
        office.get("/office/devices?lang=en").await;
        let explained = rename(&mut office, CASH_REGISTER, "").await;
        assert!(explained.body.contains("name: 1 to 80 characters"), "{}", explained.body);
        let token = devices_token(&mut office).await;
        let nameless = office.post(&format!("/office/devices/{CASH_REGISTER}/rename"), &[("csrf", &token)]).await;
        assert_eq!(nameless.status, StatusCode::BAD_REQUEST, "no name field at all");
        for store in ["", "Filiale Nord"] {
            let refused = move_to(&mut office, CASH_REGISTER, store).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{store:?}: {}", refused.body);
        }
        assert_eq!(register_device(&app).await, before, "nothing changed");
        let audit = office.get("/office/audit").await;
        assert!(!audit.body.contains("device_rename") && !audit.body.contains("device_move"));

        // Eighty characters (not bytes) are a name.
        let longest = "Ä".repeat(80);
        redirected_to_devices(&rename(&mut office, CASH_REGISTER, &longest).await);
        assert_eq!(register_device(&app).await["description"], longest.as_str());
    }

    async fn a_staff_user_is_refused_renaming_and_moving_a_device_and_nothing_changes(app: TestApp) {
        let north = new_store(&app, "Filiale Nord").await;
        let before = register_device(&app).await;
        let mut staff = staff(&app).await;
        let page = staff.get("/office/devices").await;
        assert_eq!(page.status, StatusCode::OK, "staff see the devices list");
        assert!(page.body.contains(CASH_REGISTER), "{}", page.body);
        assert!(!page.body.contains("/rename") && !page.body.contains("/move"), "no forms for staff");

        let token = staff.get("/office/dashboard").await.csrf();
        let renamed = staff.post(&format!("/office/devices/{CASH_REGISTER}/rename"),
            &[("csrf", &token), ("name", "Von Staff")]).await;
        assert_eq!(renamed.status, StatusCode::FORBIDDEN, "{}", renamed.body);
        let moved = staff.post(&format!("/office/devices/{CASH_REGISTER}/move"),
            &[("csrf", &token), ("store", &north)]).await;
        assert_eq!(moved.status, StatusCode::FORBIDDEN, "{}", moved.body);
        assert_eq!(register_device(&app).await, before, "nothing changed");

        // Without the session's token even an admin changes nothing (403).
        let mut admin = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let forged = admin.post(&format!("/office/devices/{CASH_REGISTER}/rename"),
            &[("csrf", "forged"), ("name", "Gefälscht")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(register_device(&app).await, before, "nothing changed");
    }

    async fn another_merchants_device_or_store_is_404_and_nothing_changes(app: TestApp) {
        let other = other_merchant(&app).await;
        let their_store = app.post("/General/Stores", &other.token, json!({"name": "Fremde Filiale"})).await;
        let their_store = their_store.ok()["id"].as_str().unwrap().to_owned();
        let their_device = app.post("/Smart/Devices", &other.token,
            json!({"type": "cashier", "description": "Fremde Kasse"})).await;
        let their_device = their_device.ok()["id"].as_str().unwrap().to_owned();
        let theirs_before = app.get(&format!("/Smart/Devices/{their_device}"), &other.token).await.ok().clone();
        let ours_before = register_device(&app).await;

        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let page = office.get("/office/devices").await;
        assert!(!page.body.contains(&their_device) && !page.body.contains("Fremde"), "{}", page.body);
        for refused in [
            rename(&mut office, &their_device, "Gekapert").await,
            move_to(&mut office, &their_device, STORE).await,
            move_to(&mut office, CASH_REGISTER, &their_store).await,
            move_to(&mut office, CASH_REGISTER, "STO_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ").await,
        ] {
            assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
        }
        let theirs = app.get(&format!("/Smart/Devices/{their_device}"), &other.token).await;
        assert_eq!(theirs.ok(), &theirs_before, "their device is untouched");
        assert_eq!(register_device(&app).await, ours_before, "ours stays in our store");
    }
}

/// The card group form as the page posts it, with this currency.
fn group_form<'a>(token: &'a str, name: &'a str, currency: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("display_name", name),
        ("currency", currency),
        ("rate", "0"),
        ("base", "full"),
        ("filter_mode", "none"),
        ("filter_codes", ""),
        ("overdraft_limit", "0"),
        ("passcode_policy", "0"),
        ("products", ""),
    ]
}

async fn group(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/Loyalty/Cardgroups/{id}"), PINNED)
        .await
        .ok()
        .clone()
}

on_both_backends! {
    async fn an_admin_changes_the_currency_of_a_card_group_without_cards_and_the_api_shows_it(app: TestApp) {
        let token = app.merchant_token().await;
        let made = app.post("/Loyalty/Cardgroups", &token, json!({"display_name": "Franken"})).await;
        let id = made.ok()["id"].as_str().unwrap().to_owned();
        let path = format!("/office/cardgroups/{id}");
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let page = office.get(&path).await;
        assert!(page.body.contains("name=\"currency\" value=\"EUR\""), "{}", page.body);

        // The API's rule: three upper-case letters (4002), nothing changes.
        for bad in ["chf", "CHFR", "", "C1F"] {
            let refused = office.post(&path, &group_form(&page.csrf(), "Franken", bad)).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", refused.body);
            assert!(refused.body.contains("(Code 4002)"), "{}", refused.body);
        }
        assert_eq!(group(&app, &id).await["currency"], "EUR");
        office.get(&format!("{path}?lang=en")).await;
        let explained = office.post(&path, &group_form(&page.csrf(), "Franken", "chf")).await;
        assert!(explained.body.contains("is not an ISO 4217 code"), "{}", explained.body);

        let saved = office.post(&path, &group_form(&page.csrf(), "Franken", " CHF ")).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(saved.location.as_deref(), Some(format!("{path}?done=1").as_str()));
        assert_eq!(group(&app, &id).await["currency"], "CHF");
        let page = office.get(&path).await;
        assert!(page.body.contains("name=\"currency\" value=\"CHF\""), "{}", page.body);
        let audit = office.get("/office/audit").await;
        for expected in ["cardgroup_update", id.as_str(), "currency CHF"] {
            assert!(audit.body.contains(expected), "{expected} missing: {}", audit.body);
        }
    }

    async fn a_card_group_with_cards_keeps_its_currency_and_the_page_says_why(app: TestApp) {
        let path = format!("/office/cardgroups/{BONUS10}");
        let before = group(&app, BONUS10).await;
        assert_eq!(before["currency"], "EUR");
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = office.get(&path).await.csrf();
        let mut form = group_form(&token, "Bonus 10 %", "CHF");
        form.iter_mut().filter(|(k, _)| *k == "rate").for_each(|f| f.1 = "1000");
        let refused = office.post(&path, &form).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("(Code 4002)"), "{}", refused.body);
        office.get(&format!("{path}?lang=en")).await;
        let explained = office.post(&path, &form).await;
        assert_eq!(explained.status, StatusCode::BAD_REQUEST);
        assert!(explained.body.contains("the card group has cards in EUR; its currency cannot change"),
            "{}", explained.body);
        assert_eq!(group(&app, BONUS10).await, before, "nothing changed");

        // A staff user cannot even try.
        let mut staff = staff(&app).await;
        let staff_token = staff.get("/office/dashboard").await.csrf();
        let empty_group = app.post("/Loyalty/Cardgroups", &app.merchant_token().await,
            json!({"display_name": "Leer"})).await;
        let empty_group = empty_group.ok()["id"].as_str().unwrap().to_owned();
        let forbidden = staff.post(&format!("/office/cardgroups/{empty_group}"),
            &group_form(&staff_token, "Leer", "USD")).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{}", forbidden.body);
        assert_eq!(group(&app, &empty_group).await["currency"], "EUR");
    }
}
