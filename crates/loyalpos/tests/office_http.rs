//! The back office's guards (office.md §1, §3) over plain HTTP, on both backends: the lockout,
//! the session's end, CSRF, roles, merchants kept apart, escaping and the security headers.
mod common;
mod loyalty_support;
mod office_support;

use common::*;
use loyalty_support::*;
use office_support::*;
use reqwest::StatusCode;

async fn lock_status(app: &TestApp, mcd: &str) -> String {
    let card = app
        .get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED)
        .await;
    card.ok()["lock_status"].as_str().unwrap().to_owned()
}

async fn ledger_size(app: &TestApp, mcd: &str) -> usize {
    let ledger = app
        .get(
            &format!("/Loyalty/Transactions?q=merchantcard.id:{mcd}"),
            PINNED,
        )
        .await;
    ledger.ok()["data"].as_array().unwrap().len()
}

/// The demo tenant's "Bonus 10 %" card group as the API shows it.
async fn bonus10(app: &TestApp) -> serde_json::Value {
    let group = app
        .get(
            "/Loyalty/Cardgroups/CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK",
            PINNED,
        )
        .await;
    group.ok().clone()
}

/// A register's device registration: its device code and the user code it shows.
async fn register(app: &TestApp, uuid: &str) -> (String, String) {
    let r = app
        .token_request(
            serde_json::json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
        "client_secret": VENDOR_CLIENT.1, "uuid": uuid}),
        )
        .await;
    let device_code = r.ok()["device_code"].as_str().unwrap().to_owned();
    (
        device_code,
        r.body["user_code"].as_str().unwrap().to_owned(),
    )
}

on_both_backends! {
    async fn five_failed_sign_ins_lock_a_username_without_telling_whether_it_exists(app: TestApp) {
        for username in ["johns-bakery", "nobody-here"] {
            let mut office = Office::new(&app);
            for attempt in 1..=5 {
                let page = office.sign_in(username, "wrong").await;
                let expected = if attempt < 5 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
                assert_eq!(page.status, expected, "attempt {attempt} for {username}");
                assert!(page.set_cookie.is_none());
                let said_locked = page.body.contains("15 Minuten gesperrt");
                assert_eq!(said_locked, attempt == 5, "attempt {attempt}: {}", page.body);
            }
            // Locked: even the right password does not sign in, and the answer is the same.
            let page = office.sign_in(username, "demo").await;
            assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
            assert!(page.set_cookie.is_none() && page.body.contains("15 Minuten gesperrt"));
        }
    }

    async fn the_demo_user_signs_in_with_an_http_only_strict_session_cookie(app: TestApp) {
        let mut office = Office::new(&app);
        let page = office.sign_in(DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let cookie = page.set_cookie.unwrap();
        assert!(cookie.starts_with("loyalpos_office="), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/office"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP without --office-secure-cookies: {cookie}");
        let dashboard = office.get("/office/dashboard").await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(dashboard.body.contains("johns-bakery"));
    }

    async fn a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let lock = format!("/office/cards/{MCD_A}/lock");
        let missing = office.post(&lock, &[("reason", "1")]).await;
        let wrong = office.post(&lock, &[("csrf", "0123abcd"), ("reason", "1")]).await;
        let other_session = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let mut other_session = other_session;
        let foreign_token = other_session.get("/office/dashboard").await.csrf();
        let foreign = office.post(&lock, &[("csrf", &foreign_token), ("reason", "1")]).await;
        for page in [missing, wrong, foreign] {
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
        }
        assert_eq!(lock_status(&app, MCD_A).await, "unlocked");
        let locked = office.card_form(MCD_A, "lock", &[("reason", "1")]).await;
        assert_eq!(locked.status, StatusCode::SEE_OTHER, "{}", locked.body);
        assert_eq!(lock_status(&app, MCD_A).await, "locked");
    }

    async fn an_idle_or_old_session_ends_and_the_sign_in_page_says_so(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        assert_eq!(office.get("/office/cards").await.status, StatusCode::OK);
        raw_sql(&app.db.url, "UPDATE office_sessions SET last_seen = last_seen - 1800").await;
        let idle = office.get("/office/cards").await;
        assert_eq!(idle.status, StatusCode::SEE_OTHER);
        assert_eq!(idle.location.as_deref(), Some("/office/signin?ended=1"));
        let page = office.get("/office/signin?ended=1").await;
        assert!(page.body.contains("Sitzung ist abgelaufen"), "{}", page.body);

        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        raw_sql(&app.db.url, "UPDATE office_sessions SET created = created - 43200").await;
        let old = office.get("/office/cards").await;
        assert_eq!(old.location.as_deref(), Some("/office/signin?ended=1"), "12 hours after sign-in");
    }

    async fn sign_out_and_disabling_the_user_end_the_session(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let cookie = office.cookie.clone();
        let token = office.get("/office/dashboard").await.csrf();
        let out = office.post("/office/signout", &[("csrf", &token)]).await;
        assert_eq!(out.location.as_deref(), Some("/office/signin"));
        assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
        office.cookie = cookie;
        assert_eq!(office.get("/office/cards").await.status, StatusCode::SEE_OTHER, "the old cookie is dead");

        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "clerk", "--password", "pw-clerk"]);
        let mut clerk = Office::signed_in(&app, "clerk", "pw-clerk").await;
        assert_eq!(clerk.get("/office/cards").await.status, StatusCode::OK);
        app.cli(&["user", "disable", "clerk"]);
        assert_eq!(clerk.get("/office/cards").await.status, StatusCode::SEE_OTHER);
    }

    async fn a_staff_user_is_refused_a_correction_booking_and_nothing_changes(app: TestApp) {
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "counter",
            "--password", "pw-counter", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "counter", "pw-counter").await;
        let card = staff.get(&format!("/office/cards/{MCD_A}")).await;
        assert_eq!(card.status, StatusCode::OK);
        assert!(!card.body.contains("correction-form"), "staff see no correction form");
        let before = (balances(&app, MCD_A).await, ledger_size(&app, MCD_A).await);
        let refused = staff.card_form(MCD_A, "correction",
            &[("kind", "load"), ("amount", "500"), ("text", "try")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!((balances(&app, MCD_A).await, ledger_size(&app, MCD_A).await), before);
        // Staff may lock a card (cards are theirs).
        let locked = staff.card_form(MCD_A, "lock", &[("reason", "2")]).await;
        assert_eq!(locked.status, StatusCode::SEE_OTHER);
    }

    async fn a_user_of_another_merchant_gets_404_for_this_merchants_card(app: TestApp) {
        let other = other_merchant(&app).await;
        app.cli(&["user", "create", "--merchant", &other.id, "--username", "other-owner", "--password", "pw-other"]);
        let mut office = Office::signed_in(&app, "other-owner", "pw-other").await;
        assert_eq!(office.get(&format!("/office/cards/{MCD_A}")).await.status, StatusCode::NOT_FOUND);
        let token = office.get("/office/dashboard").await.csrf();
        let lock = office.post(&format!("/office/cards/{MCD_A}/lock"), &[("csrf", &token), ("reason", "1")]).await;
        assert_eq!(lock.status, StatusCode::NOT_FOUND);
        assert_eq!(lock_status(&app, MCD_A).await, "unlocked");
        let found = office.get(&format!("/office/cards?q={}", &CARD_A[12..])).await;
        assert!(!found.body.contains(MCD_A), "the search shows only the merchant's cards");
    }

    async fn hostile_customer_names_are_escaped_and_no_page_has_inline_script(app: TestApp) {
        let hostile = r#"{"forename":"<script>alert(1)</script>","surname":"<b>Bold</b>"}"#;
        raw_sql(&app.db.url, &format!("UPDATE customers SET merchant_contact = '{hostile}' \
            WHERE id = (SELECT customer_id FROM merchantcards WHERE id = '{MCD_A}')")).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        for path in [format!("/office/cards/{MCD_A}"), "/office/cards?q=script".to_owned()] {
            let page = office.get(&path).await;
            assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#60;b&#62;Bold&#60;/b&#62;"), "{path}: {}", page.body);
            assert!(!page.body.contains("<script"), "{path}");
        }
        for path in ["/office/dashboard", "/office/cards", "/office/audit", "/office/signin"] {
            let page = office.get(path).await;
            let csp = page.csp.unwrap_or_else(|| panic!("{path} has no CSP"));
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
            assert!(!page.body.contains(" style="), "{path}");
            for script in page.body.split("<script").skip(1) {
                assert!(script.starts_with(" src=\"/office/static/") && script.contains("></script>"),
                    "{path}: only the office's own script files, nothing inline");
            }
        }
    }

    async fn a_rejected_registration_is_refused_at_its_poll_and_staff_cannot_confirm(app: TestApp) {
        let poll = |code: &str| serde_json::json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
            "client_secret": VENDOR_CLIENT.1, "code": code});
        let (code, user_code) = register(&app, "/vendor/acme/cashier/reject-me").await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = office.get("/office/devices").await.csrf();
        let rejected = office.post("/office/devices/reject", &[("csrf", &token), ("user_code", &user_code)]).await;
        assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.body);
        assert_eq!(app.token_request(poll(&code)).await.body["error"], "invalid_grant");
        let again = office.post("/office/devices/confirm", &[("csrf", &token), ("user_code", &user_code)]).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND, "a used code is unknown");

        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "till-staff",
            "--password", "pw-staff", "--role", "staff"]);
        let (code, user_code) = register(&app, "/vendor/acme/cashier/staff-try").await;
        let mut staff = Office::signed_in(&app, "till-staff", "pw-staff").await;
        let page = staff.get("/office/devices").await;
        assert!(!page.body.contains("registration-form"));
        let token = page.csrf();
        let refused = staff.post("/office/devices/confirm", &[("csrf", &token), ("user_code", &user_code)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(app.token_request(poll(&code)).await.body["error"], "authorization_pending");
    }

    async fn the_bookings_csv_masks_card_numbers_and_full_numbers_are_admin_only(app: TestApp) {
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "books",
            "--password", "pw-books", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "books", "pw-books").await;
        let masked = staff.get("/office/reports/bookings.csv?from=2000-01-01&to=2099-12-31").await;
        assert_eq!(masked.status, StatusCode::OK);
        assert!(masked.body.contains("927600******2845"), "{}", masked.body);
        assert!(!masked.body.contains(CARD_A));
        let full = staff.get("/office/reports/bookings.csv?from=2000-01-01&to=2099-12-31&full=1").await;
        assert_eq!(full.status, StatusCode::FORBIDDEN);
        let bad = staff.get("/office/reports/bookings.csv?from=2026-02-01&to=2026-01-01").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    }

    async fn card_groups_are_admin_pages_and_a_bad_edit_changes_nothing(app: TestApp) {
        let group = "/office/cardgroups/CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
        let before = bonus10(&app).await;
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "shop-staff",
            "--password", "pw-shop", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "shop-staff", "pw-shop").await;
        assert_eq!(staff.get("/office/cardgroups").await.status, StatusCode::FORBIDDEN);
        assert_eq!(staff.get(group).await.status, StatusCode::FORBIDDEN);
        let token = staff.get("/office/dashboard").await.csrf();
        let fields = |token: &str, rate: &str| -> Vec<(String, String)> {
            [("csrf", token), ("display_name", "Bonus 10 %"), ("rate", rate), ("base", "full"),
             ("filter_mode", "none"), ("filter_codes", ""), ("overdraft_limit", "0"),
             ("passcode_policy", "0"), ("products", "")]
                .iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let form = fields(&token, "2000");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(staff.post(group, &form).await.status, StatusCode::FORBIDDEN);

        let mut admin = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = admin.get(group).await.csrf();
        for (rate, base) in [("zehn", "full"), ("1000", "half")] {
            let mut form = fields(&token, rate);
            form.iter_mut().filter(|(k, _)| k == "base").for_each(|f| f.1 = base.to_owned());
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(admin.post(group, &form).await.status, StatusCode::BAD_REQUEST, "{rate} {base}");
        }
        assert_eq!(bonus10(&app).await, before, "nothing changed");
    }

    async fn the_language_follows_the_browser_until_switched_and_the_session_keeps_the_switch(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let german = office.get(&format!("/office/cards/{MCD_A}")).await;
        assert!(german.body.contains("10,00 €") && german.body.contains("Kartennummer"));
        let english = office.get(&format!("/office/cards/{MCD_A}?lang=en")).await;
        assert!(english.body.contains("€10.00") && english.body.contains("Card number"));
        let kept = office.get("/office/cards").await;
        assert!(kept.body.contains("<html lang=\"en\">"), "the switch is kept in the session");
    }

    async fn every_office_change_is_in_the_audit_trail_with_its_user(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        office.card_form(MCD_A, "lock", &[("reason", "1"), ("note", "Fundbüro")]).await;
        office.card_form(MCD_A, "unlock", &[]).await;
        office.card_form(MCD_A, "correction", &[("kind", "load"), ("amount", "120"), ("text", "Kulanz")]).await;
        let audit = office.get("/office/audit").await;
        for expected in ["sign_in", "card_lock", "reason 1: Fundbüro", "card_unlock", "card_correction", "Kulanz", "user:johns-bakery"] {
            assert!(audit.body.contains(expected), "{expected} missing: {}", audit.body);
        }
    }
}
