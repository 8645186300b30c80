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
    ledger_of(app, mcd).await.len()
}

/// The card's loyalty transactions as the API's ledger shows them.
async fn ledger_of(app: &TestApp, mcd: &str) -> Vec<serde_json::Value> {
    let ledger = app
        .get(
            &format!("/Loyalty/Transactions?q=merchantcard.id:{mcd}"),
            PINNED,
        )
        .await;
    ledger.ok()["data"].as_array().unwrap().clone()
}

/// The card's loyalty transaction with the highest TA code.
async fn newest_ltx(app: &TestApp, mcd: &str) -> serde_json::Value {
    ledger_of(app, mcd)
        .await
        .into_iter()
        .max_by_key(|t| t["trans_id"].as_i64().unwrap())
        .unwrap()
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

/// How many transactions a list page shows, and whether it links to the next page.
fn listed(page: &Page) -> (usize, bool) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (
        page.body.matches("class=\"transaction\"").count(),
        page.body.contains("rel=\"next\""),
    )
}

/// A sale on `card`: created and started cash; returns the transaction id.
async fn cash_sale(app: &TestApp, card: &str, basket: serde_json::Value, sum: i64) -> String {
    let stx = app.create_stx(card_body(card, basket, sum)).await;
    assert_eq!(app.start(&stx, "cash").await.ok()["status"], "ok");
    stx
}

on_both_backends! {
    async fn the_transactions_list_filters_by_card_status_and_amount_and_pages_in_the_database(app: TestApp) {
        let booked = cash_sale(&app, CARD_B, docs_basket(), 796).await;
        let open = app.create_stx(card_body(CARD_B, one_line("4000000000017", "Torte", 1500, 7), 1500)).await;
        let small = cash_sale(&app, CARD_C, one_line("4000000000024", "Brezel", 250, 7), 250).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;

        // The card filter finds what booked on the card (the open transaction has not).
        let on_b = office.get(&format!("/office/transactions?card={CARD_B}")).await;
        assert!(on_b.body.contains(&booked) && !on_b.body.contains(&open) && !on_b.body.contains(&small), "{}", on_b.body);
        let open_ones = office.get("/office/transactions?status=created&min=15&max=15,00").await;
        assert!(open_ones.body.contains(&open) && !open_ones.body.contains(&booked), "{}", open_ones.body);
        let by_amount = office.get("/office/transactions?min=2,50&max=2.5").await;
        assert!(by_amount.body.contains(&small) && !by_amount.body.contains(&booked), "{}", by_amount.body);
        let long_ago = office.get("/office/transactions?day=2001-01-01").await;
        assert_eq!(listed(&long_ago), (0, false));
        for unknown in ["store=STO_NOTHERE", "device=SDV_NOTHERE"] {
            assert_eq!(listed(&office.get(&format!("/office/transactions?{unknown}")).await), (0, false));
        }
        let bad = office.get("/office/transactions?min=7%E2%82%AC").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);

        // 26 transactions of 0,07 €: a page of 25 that links to the next, which holds the last.
        for _ in 0..26 {
            app.create_stx(card_body(CARD_D, one_line("4000000000031", "Bonbon", 7, 7), 7)).await;
        }
        let first = office.get("/office/transactions?min=0,07&max=0,07").await;
        assert_eq!(listed(&first), (25, true));
        let second = office.get("/office/transactions?min=0%2C07&max=0%2C07&page=1").await;
        assert_eq!(listed(&second), (1, false));
        assert!(second.body.contains("rel=\"prev\""));

        // Another merchant's user sees none of it.
        let other = other_merchant(&app).await;
        app.cli(&["user", "create", "--merchant", &other.id, "--username", "other-owner", "--password", "pw-other"]);
        let mut stranger = Office::signed_in(&app, "other-owner", "pw-other").await;
        assert_eq!(stranger.get(&format!("/office/transactions/{booked}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(listed(&stranger.get("/office/transactions").await), (0, false));
    }

    async fn cancelling_a_transaction_on_its_page_reverses_its_booking_in_the_api_ledger(app: TestApp) {
        let stx = cash_sale(&app, CARD_B, docs_basket(), 796).await;
        let ledger_before = ledger_size(&app, MCD_B).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let path = format!("/office/transactions/{stx}");
        let page = office.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let ta = app.stx(&stx).await["trans_id"].as_str().unwrap().to_owned();
        for shown in ["Sandwich Romano", "7,96 €", "abgeschlossen", "id=\"receipt-slip\"", ta.as_str(), MCD_B, "id=\"cancel\""] {
            assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
        }

        // Without the session's token: 403 and nothing happens.
        let refused = office.post(&format!("{path}/cancel"), &[("csrf", "forged")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(app.stx(&stx).await["status"], "ok");

        let cancelled = office.post(&format!("{path}/cancel"), &[("csrf", &page.csrf())]).await;
        assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
        assert_eq!(cancelled.location.as_deref(), Some(format!("{path}?done=1").as_str()));
        assert_eq!(app.stx(&stx).await["status"], "cancelled");
        assert_eq!(ledger_size(&app, MCD_B).await, ledger_before + 1, "the reversal is a booking of the card");
        let after = office.get(&path).await;
        assert!(after.body.contains("storniert") && !after.body.contains("id=\"cancel\""), "{}", after.body);
        assert_eq!(after.body.matches("class=\"booking\"").count(), 2, "the booking and its reversal");
        let audit = office.get("/office/audit").await;
        assert!(audit.body.contains("transaction_cancel") && audit.body.contains(&stx), "{}", audit.body);
    }
}

/// The dashboard's number of bookings in the last 30 days.
fn period_bookings(page: &Page) -> i64 {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let figures = &page.body[page.body.find("id=\"figures\"").expect("the figures table")..];
    let row = figures
        .split("<tr>")
        .find(|r| r.contains(">Buchungen<"))
        .expect("the bookings row");
    let period = row
        .split("<td class=\"num\">")
        .nth(2)
        .expect("the period's cell");
    period.split('<').next().unwrap().parse().unwrap()
}

on_both_backends! {
    async fn an_ended_day_is_summed_once_and_kept_until_an_import_books_into_the_past(app: TestApp) {
        let stx = cash_sale(&app, CARD_C, docs_basket(), 796).await;
        let moved = |days: i64| format!("UPDATE loyalty_transactions SET created = created - {} \
            WHERE smart_transaction_id = '{stx}'", days * 86_400);
        raw_sql(&app.db.url, &moved(3)).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let counted = period_bookings(&office.get("/office/dashboard").await);
        assert!(counted >= 1, "the booking three days ago is in the period");

        // Three days ago has ended: its sums were kept, so moving the booking out of the period
        // behind the server's back changes nothing on the dashboard.
        raw_sql(&app.db.url, &moved(100)).await;
        assert_eq!(period_bookings(&office.get("/office/dashboard").await), counted);

        // An import books opening balances, possibly into past days: the kept days are forgotten
        // and summed again (the opening, long ago, is not in the period; the moved booking is gone).
        let doc = serde_json::json!({
            "loyalty.cards": [{"id": "CRD_OFFICEFIGURES00000000000000001", "cardnumber": "9276000099990001"}],
            "loyalty.merchantcards": [{"id": "MCD_OFFICEFIGURES00000000000000001", "merchant": {"id": MERCHANT},
                "card": {"id": "CRD_OFFICEFIGURES00000000000000001"},
                "cardgroup": {"id": "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK"}, "cash_balance": 500,
                "opening_transaction": {"created": "2001-02-03T12:00:00Z"}}]
        });
        let (ok, _, err) = import(&app, &doc);
        assert!(ok, "import failed: {err}");
        assert_eq!(period_bookings(&office.get("/office/dashboard").await), counted - 1);
    }
}

/// The calendar date `days` before `date` (`YYYY-MM-DD`), by the proleptic Gregorian calendar.
fn days_before(date: &str, days: i64) -> String {
    let parts: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    // Days since 1970-01-01 and back (H. Hinnant's civil-date algorithms).
    let (y, m, d) = (parts[0] - i64::from(parts[1] <= 2), parts[1], parts[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let z = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468 - days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
}

#[test]
fn days_before_crosses_months_years_and_leap_days() {
    assert_eq!(days_before("2026-12-03", 3), "2026-11-30");
    assert_eq!(days_before("2026-01-02", 3), "2025-12-30");
    assert_eq!(days_before("2024-03-01", 1), "2024-02-29");
    assert_eq!(days_before("2026-12-03", 0), "2026-12-03");
}

/// The end-of-day CSV's lines of one day, without the header.
async fn end_of_day_lines(office: &mut Office, from: &str, to: &str, day: &str) -> Vec<String> {
    let csv = office
        .get(&format!(
            "/office/reports/end-of-day.csv?from={from}&to={to}"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    csv.body
        .lines()
        .filter(|l| l.starts_with(day))
        .map(str::to_owned)
        .collect()
}

on_both_backends! {
    async fn an_ended_days_payments_are_kept_until_one_of_its_transactions_changes(app: TestApp) {
        let first = cash_sale(&app, CARD_B, docs_basket(), 796).await;
        let second = cash_sale(&app, CARD_C, docs_basket(), 796).await;
        let moved = |stx: &str, days: i64| format!("UPDATE smart_transactions SET created = created - {} \
            WHERE id = '{stx}'", days * 86_400);
        raw_sql(&app.db.url, &moved(&first, 3)).await;
        raw_sql(&app.db.url, &moved(&second, 3)).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let reports = office.get("/office/reports").await;
        let marker = "id=\"eod-from\" name=\"from\" type=\"date\" value=\"";
        let start = reports.body.find(marker).expect("the end-of-day form") + marker.len();
        let today = reports.body[start..].split('"').next().unwrap().to_owned();
        let (from, day) = (days_before(&today, 30), days_before(&today, 3));
        let both = vec![format!("{day};{CASH_REGISTER};cash;2;15,92")];
        assert_eq!(end_of_day_lines(&mut office, &from, &today, &day).await, both);

        // The day has ended: its sums were kept, so moving a transaction out of it behind the
        // server's back changes nothing.
        raw_sql(&app.db.url, &moved(&second, 100)).await;
        assert_eq!(end_of_day_lines(&mut office, &from, &today, &day).await, both);

        // Cancelling the first (a change to a transaction of that day) forgets the kept day: it is
        // summed again, without the cancelled one and without the moved one.
        app.cancel(&first).await.ok();
        assert_eq!(end_of_day_lines(&mut office, &from, &today, &day).await, Vec::<String>::new());
    }
}

/// The id of a new customer from the redirect after the customer form.
fn created_customer(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.clone().unwrap();
    let id = location
        .strip_prefix("/office/customers/")
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    assert!(id.starts_with("CUS_"), "{location}");
    id.to_owned()
}

/// The customer of a merchant card, as the API names it.
async fn customer_of(app: &TestApp, mcd: &str) -> String {
    let card = app
        .get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED)
        .await;
    card.ok()["customer"]["id"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn a_customer_made_and_edited_on_the_pages_is_the_apis_customer_and_the_search_finds_them(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = office.get("/office/customers/new").await.csrf();
        let made = office.post("/office/customers", &[("csrf", &token), ("forename", "Erika"),
            ("surname", "Mustermann"), ("email", "erika@example.com"), ("city", "Berlin"),
            ("customernumber", "K-4711")]).await;
        let id = created_customer(&made);
        let api = app.get(&format!("/Loyalty/Customers/{id}"), PINNED).await;
        let contact = &api.ok()["merchant_contact"];
        assert_eq!((contact["surname"].as_str(), contact["address"]["city"].as_str()), (Some("Mustermann"), Some("Berlin")), "{}", api.text);
        assert_eq!(api.body["customernumber"], "K-4711");

        let edited = office.post(&format!("/office/customers/{id}"), &[("csrf", &token), ("forename", "Erika"),
            ("surname", "Musterfrau"), ("email", ""), ("city", "Berlin")]).await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        let api = app.get(&format!("/Loyalty/Customers/{id}"), PINNED).await;
        let contact = &api.ok()["merchant_contact"];
        assert_eq!(contact["surname"], "Musterfrau");
        assert!(contact["email"].is_null(), "an emptied field is removed: {contact}");
        assert_eq!(api.body["customernumber"], "K-4711", "an empty number field leaves the number");

        for q in ["musterfrau", "K-4711"] {
            let found = office.get(&format!("/office/customers?q={q}")).await;
            assert!(found.body.contains(&id), "{q}: {}", found.body);
        }
        assert!(office.get("/office/customers?q=nobody-at-all").await.body.contains("id=\"no-results\""));
        let nameless = office.post("/office/customers", &[("csrf", &token), ("forename", "Nur")]).await;
        assert_eq!(nameless.status, StatusCode::BAD_REQUEST, "{}", nameless.body);

        // A demo customer's page lists their card.
        let holder = customer_of(&app, MCD_A).await;
        let page = office.get(&format!("/office/customers/{holder}")).await;
        assert!(page.body.contains(MCD_A) && page.body.contains(CARD_A), "{}", page.body);
    }

    async fn anonymising_asks_twice_then_clears_every_personal_field_and_keeps_the_card(app: TestApp) {
        let holder = customer_of(&app, MCD_A).await;
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let asked = office.get(&format!("/office/customers/{holder}/anonymise")).await;
        assert_eq!(asked.status, StatusCode::OK);
        assert!(asked.body.contains("id=\"confirmed\""), "{}", asked.body);
        let path = format!("/office/customers/{holder}/anonymise");
        let unconfirmed = office.post(&path, &[("csrf", &asked.csrf())]).await;
        assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST, "{}", unconfirmed.body);
        let before = app.get(&format!("/Loyalty/Customers/{holder}"), PINNED).await;
        assert!(before.ok()["merchant_contact"].is_object(), "nothing changed yet: {}", before.text);
        let balance_before = balances(&app, MCD_A).await;

        let done = office.post(&path, &[("csrf", &asked.csrf()), ("confirmed", "yes")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let after = app.get(&format!("/Loyalty/Customers/{holder}"), PINNED).await;
        for field in ["merchant_contact", "customernumber", "note"] {
            assert!(after.ok()[field].is_null(), "{field}: {}", after.text);
        }
        assert_eq!(customer_of(&app, MCD_A).await, holder, "the card keeps its customer");
        assert_eq!(balances(&app, MCD_A).await, balance_before);
        let audit = office.get("/office/audit").await;
        assert!(audit.body.contains("customer_anonymise") && audit.body.contains(&holder));

        let other = other_merchant(&app).await;
        app.cli(&["user", "create", "--merchant", &other.id, "--username", "other-owner", "--password", "pw-other"]);
        let mut stranger = Office::signed_in(&app, "other-owner", "pw-other").await;
        assert_eq!(stranger.get(&format!("/office/customers/{holder}")).await.status, StatusCode::NOT_FOUND);
    }
}

/// The account id of a user, from the users page's forms.
fn user_id_on(page: &Page, username: &str) -> String {
    let row = page
        .body
        .split("<tr class=\"user\">")
        .find(|r| r.contains(&format!(">{username}")))
        .expect("the user's row");
    let start = row.find("/office/users/").expect("the user's forms") + "/office/users/".len();
    row[start..].split('/').next().unwrap().to_owned()
}

on_both_backends! {
    async fn an_admin_creates_a_staff_user_sets_roles_resets_passwords_and_disables_but_never_themselves(app: TestApp) {
        let mut admin = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = admin.get("/office/users").await.csrf();
        let short = admin.post("/office/users", &[("csrf", &token), ("username", "verkauf-1"), ("password", "kurz"), ("role", "staff")]).await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST, "{}", short.body);
        let made = admin.post("/office/users", &[("csrf", &token), ("username", "verkauf-1"), ("password", "lang-genug-123"), ("role", "staff")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let taken = admin.post("/office/users", &[("csrf", &token), ("username", "verkauf-1"), ("password", "lang-genug-123"), ("role", "staff")]).await;
        assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.body);

        let mut staff = Office::signed_in(&app, "verkauf-1", "lang-genug-123").await;
        assert_eq!(staff.get("/office/users").await.status, StatusCode::FORBIDDEN);
        let staff_token = staff.get("/office/dashboard").await.csrf();
        let sneaky = staff.post("/office/users", &[("csrf", &staff_token), ("username", "sneaky"), ("password", "lang-genug-123"), ("role", "admin")]).await;
        assert_eq!(sneaky.status, StatusCode::FORBIDDEN);

        let id = user_id_on(&admin.get("/office/users").await, "verkauf-1");
        let promoted = admin.post(&format!("/office/users/{id}/role"), &[("csrf", &token), ("role", "admin")]).await;
        assert_eq!(promoted.status, StatusCode::SEE_OTHER, "{}", promoted.body);
        assert_eq!(staff.get("/office/users").await.status, StatusCode::OK, "the role counts at the next request");

        // A new password ends the user's sessions; the old one no longer signs in.
        let reset = admin.post(&format!("/office/users/{id}/password"), &[("csrf", &token), ("password", "noch-ein-passwort")]).await;
        assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
        assert_eq!(staff.get("/office/dashboard").await.location.as_deref(), Some("/office/signin?ended=1"));
        assert_eq!(Office::new(&app).sign_in("verkauf-1", "lang-genug-123").await.status, StatusCode::UNAUTHORIZED);
        Office::signed_in(&app, "verkauf-1", "noch-ein-passwort").await;

        let disabled = admin.post(&format!("/office/users/{id}/disable"), &[("csrf", &token)]).await;
        assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
        assert_eq!(Office::new(&app).sign_in("verkauf-1", "noch-ein-passwort").await.status, StatusCode::UNAUTHORIZED);

        // Not oneself (the merchant keeps the acting admin), and not another merchant's user.
        let list = app.cli(&["user", "list", "--merchant", MERCHANT]);
        let me = list.lines().find(|l| l.contains("johns-bakery")).unwrap().split_whitespace().next().unwrap().to_owned();
        for action in ["disable", "role"] {
            let refused = admin.post(&format!("/office/users/{me}/{action}"), &[("csrf", &token), ("role", "staff")]).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{action}: {}", refused.body);
        }
        let other = other_merchant(&app).await;
        let out = app.cli(&["user", "create", "--merchant", &other.id, "--username", "other-owner", "--password", "pw-other"]);
        let foreign = app.cli(&["user", "list", "--merchant", &other.id]);
        let foreign = foreign.lines().find(|l| l.contains("other-owner")).unwrap_or_else(|| panic!("{out}")).split_whitespace().next().unwrap().to_owned();
        let refused = admin.post(&format!("/office/users/{foreign}/disable"), &[("csrf", &token)]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        Office::signed_in(&app, "other-owner", "pw-other").await;
    }
}

/// How many merchant cards the demo merchant has, as the API counts them.
async fn merchantcards_count(app: &TestApp) -> i64 {
    let listed = app.get("/Loyalty/MerchantCards?count=1", PINNED).await;
    listed.ok()["count"].as_i64().unwrap()
}

on_both_backends! {
    async fn issuing_cards_on_the_card_group_page_answers_their_numbers_and_cscs_once_as_csv(app: TestApp) {
        const GROUP: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
        let path = format!("/office/cardgroups/{GROUP}");
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = office.get(&path).await.csrf();
        let before = merchantcards_count(&app).await;
        let csv = office.post(&format!("{path}/issue"), &[("csrf", &token), ("count", "3"), ("prefix", "92761")]).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
        let mut lines = csv.body.lines();
        assert_eq!(lines.next(), Some("card_number;csc;merchantcard_id"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
        assert_eq!(rows.len(), 3);
        for row in &rows {
            let (number, csc, mcd) = (row[0], row[1], row[2]);
            assert!(number.len() == 16 && number.starts_with("92761"), "{number}");
            assert!(csc.len() == 4 && csc.bytes().all(|b| b.is_ascii_digit()), "{csc}");
            let card = app.get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED).await;
            assert_eq!(card.ok()["card"]["cardnumber"], number);
            assert_eq!(card.body["cardgroup"]["id"], GROUP);
        }
        assert_eq!(merchantcards_count(&app).await, before + 3);

        for count in ["0", "1001", "drei"] {
            let refused = office.post(&format!("{path}/issue"), &[("csrf", &token), ("count", count)]).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{count}: {}", refused.body);
        }
        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "tresen", "--password", "pw-tresen", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "tresen", "pw-tresen").await;
        let staff_token = staff.get("/office/dashboard").await.csrf();
        let refused = staff.post(&format!("{path}/issue"), &[("csrf", &staff_token), ("count", "5")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(merchantcards_count(&app).await, before + 3, "nothing issued for staff");
        let audit = office.get("/office/audit").await;
        assert!(audit.body.contains("cards_issue") && audit.body.contains("3 cards, prefix 92761"), "{}", audit.body);
    }
}

on_both_backends! {
    async fn stores_are_created_edited_and_made_default_on_the_page_as_the_api_sees_them(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let token = office.get("/office/stores").await.csrf();
        let made = office.post("/office/stores", &[("csrf", &token), ("name", "Filiale Nord"), ("street", "Hauptstr."),
            ("street_number", "2"), ("postal_code", "01234"), ("city", "Nordstadt"), ("country", "DE")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let list = office.get("/office/stores").await;
        let row = list.body.split("<tr class=\"store\">").find(|r| r.contains("Filiale Nord")).expect("the new store");
        let id = row.split("/office/stores/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let api = app.get(&format!("/General/Stores/{id}"), PINNED).await;
        assert_eq!(api.ok()["address_formatted"], "Hauptstr. 2, 01234 Nordstadt", "{}", api.text);

        let edited = office.post(&format!("/office/stores/{id}"), &[("csrf", &token), ("name", "Filiale Süd"),
            ("street", "Hauptstr."), ("street_number", "2"), ("postal_code", "01234"), ("city", "Südstadt")]).await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        let api = app.get(&format!("/General/Stores/{id}"), PINNED).await;
        assert_eq!((api.ok()["name"].as_str(), api.body["address_formatted"].as_str()),
            (Some("Filiale Süd"), Some("Hauptstr. 2, 01234 Südstadt")));
        let nameless = office.post(&format!("/office/stores/{id}"), &[("csrf", &token), ("name", " ")]).await;
        assert_eq!(nameless.status, StatusCode::BAD_REQUEST);

        let default = office.post(&format!("/office/stores/{id}/default"), &[("csrf", &token)]).await;
        assert_eq!(default.status, StatusCode::SEE_OTHER, "{}", default.body);
        assert_eq!(app.get("/General/Merchants/me", PINNED).await.ok()["store_name"], "Filiale Süd");

        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "tresen", "--password", "pw-tresen", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "tresen", "pw-tresen").await;
        assert_eq!(staff.get("/office/stores").await.status, StatusCode::FORBIDDEN);
        let staff_token = staff.get("/office/dashboard").await.csrf();
        let refused = staff.post("/office/stores", &[("csrf", &staff_token), ("name", "Schwarzbau")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/General/Stores", PINNED).await.ok()["count"], 2, "nothing made for staff");
    }
}

on_both_backends! {
    async fn the_end_of_day_report_totals_completed_payments_per_device_day_and_method(app: TestApp) {
        cash_sale(&app, CARD_B, docs_basket(), 796).await;
        let by_terminal = app.create_stx(serde_json::json!({"basket": {"products": [{"id": 1, "desc": "Torte",
            "quantity": 1, "priceOne": 1200, "tax": 7}]}, "basket_info": {"sum": 1200}})).await;
        assert_eq!(app.start(&by_terminal, "cashless").await.ok()["status"], "ok");
        let declined = app.create_stx(serde_json::json!({"basket": {"products": [{"id": 1, "desc": "Abgelehnt",
            "quantity": 1, "priceOne": 1111, "tax": 7}]}, "basket_info": {"sum": 1111}})).await;
        app.start(&declined, "cashless").await.assert_error(402, 4301);
        let cancelled = cash_sale(&app, CARD_C, one_line("4000000000017", "Storno", 500, 7), 500).await;
        app.cancel(&cancelled).await.ok();
        let end_of_day = app.send(reqwest::Method::POST, &format!("/Smart/Transactions/{CASH_REGISTER}/endOfDay"), Some(PINNED), None).await;
        end_of_day.ok();

        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let reports = office.get("/office/reports").await;
        let marker = "id=\"eod-from\" name=\"from\" type=\"date\" value=\"";
        let start = reports.body.find(marker).expect("the end-of-day form") + marker.len();
        let today = reports.body[start..].split('"').next().unwrap().to_owned();

        let csv = office.get(&format!("/office/reports/end-of-day.csv?from={today}&to={today}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines, vec![
            "day;device;payment_method;payments;amount".to_owned(),
            format!("{today};{CASH_REGISTER};cash;1;7,96"),
            format!("{today};{CASH_REGISTER};cashless;1;12,00"),
        ], "the failed, the cancelled and the end of day itself are no payments");
        let page = office.get(&format!("/office/reports/end-of-day?from={today}&to={today}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body.matches("class=\"eod-line\"").count(), 2);
        assert_eq!(page.body.matches("class=\"eod-total\"").count(), 2, "one total per payment method");
        assert!(page.body.contains("12,00 €") && page.body.contains("7,96 €"), "{}", page.body);

        for period in ["from=2026-01-01&to=2026-03-01", "from=2026-03-02&to=2026-03-01", "from=gestern&to=heute"] {
            let refused = office.get(&format!("/office/reports/end-of-day?{period}")).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{period}");
        }
    }
    async fn bonus_corrections_book_on_the_bonus_balance_with_a_receipt_and_never_below_zero(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let (cash, bonus, points) = balances(&app, MCD_A).await;
        let credited = office.card_form(MCD_A, "correction",
            &[("kind", "bonus_credit"), ("amount", "250"), ("text", "Aktion Herbst")]).await;
        assert_eq!(credited.status, StatusCode::SEE_OTHER, "{}", credited.body);
        assert_eq!(balances(&app, MCD_A).await, (cash, bonus + 250, points));
        let newest = newest_ltx(&app, MCD_A).await;
        assert_eq!(newest["description"], "Bonuskorrektur");
        assert_eq!(newest["amount"], 250);
        assert_eq!(newest["bookings"], serde_json::json!([{"type": "bonus_collected", "balance": "bonus", "amount": 250}]));
        assert!(newest["receipt"].to_string().contains("Bonuskorrektur:"), "{}", newest["receipt"]);
        assert_eq!(newest["additional_data"]["correction"], "Aktion Herbst");

        let too_much = (bonus + 251).to_string();
        let refused = office.card_form(MCD_A, "correction",
            &[("kind", "bonus_debit"), ("amount", &too_much), ("text", "zu viel")]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(balances(&app, MCD_A).await, (cash, bonus + 250, points));

        let debited = office.card_form(MCD_A, "correction",
            &[("kind", "bonus_debit"), ("amount", "100"), ("text", "Fehlbuchung")]).await;
        assert_eq!(debited.status, StatusCode::SEE_OTHER, "{}", debited.body);
        assert_eq!(balances(&app, MCD_A).await, (cash, bonus + 150, points));
        assert_eq!(newest_ltx(&app, MCD_A).await["bookings"],
            serde_json::json!([{"type": "bonus_spent", "balance": "bonus", "amount": -100}]));
        assert_eq!(ledger_sums(&app, MCD_A).await, balances(&app, MCD_A).await);
    }

    async fn a_booking_is_cancelled_from_the_card_page_and_the_api_ledger_shows_the_storno(app: TestApp) {
        let mut office = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let before = balances(&app, MCD_A).await;
        for amount in ["300", "120"] {
            let booked = office.card_form(MCD_A, "correction",
                &[("kind", "bonus_credit"), ("amount", amount), ("text", "Test")]).await;
            assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        }
        let newest = newest_ltx(&app, MCD_A).await;
        let newest_id = newest["id"].as_str().unwrap().to_owned();
        let page = office.get(&format!("/office/cards/{MCD_A}")).await;
        assert_eq!(page.body.matches("class=\"cancel-booking\"").count(), 1,
            "only the most recent booking may be cancelled (cancel_selected is off)");
        assert!(page.body.contains(&format!("/bookings/{newest_id}/cancel")));

        // An older booking is refused by the API's rule, nothing changes.
        let older = ledger_of(&app, MCD_A).await.into_iter()
            .find(|t| t["amount"] == 300).unwrap()["id"].as_str().unwrap().to_owned();
        let token = page.csrf();
        let refused = office.post(&format!("/office/cards/{MCD_A}/bookings/{older}/cancel"), &[("csrf", &token)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        // Another card's booking is unknown under this card.
        let elsewhere = office.post(&format!("/office/cards/{MCD_B}/bookings/{newest_id}/cancel"), &[("csrf", &token)]).await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);
        // Without the CSRF token: 403.
        let forged = office.post(&format!("/office/cards/{MCD_A}/bookings/{newest_id}/cancel"), &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(balances(&app, MCD_A).await.1, before.1 + 420);

        let cancelled = office.post(&format!("/office/cards/{MCD_A}/bookings/{newest_id}/cancel"), &[("csrf", &token)]).await;
        assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
        assert_eq!(balances(&app, MCD_A).await.1, before.1 + 300);
        let storno = newest_ltx(&app, MCD_A).await;
        assert_eq!(storno["description"], "Storno");
        assert!(storno["receipt"].to_string().contains("STORNO"), "{}", storno["receipt"]);
        assert_eq!(storno["bookings"], serde_json::json!([{"type": "bonus_collected", "balance": "bonus", "amount": -120}]));
        let original = ledger_of(&app, MCD_A).await.into_iter().find(|t| t["id"] == newest_id.as_str()).unwrap();
        assert_eq!(original["status"], "cancelled");
        // Now the older one is the most recent cancellable booking.
        let page = office.get(&format!("/office/cards/{MCD_A}")).await;
        assert!(page.body.contains(&format!("/bookings/{older}/cancel")));
        let audit = office.get("/office/audit").await;
        assert!(audit.body.contains("booking_cancel"), "the storno is audited");
    }
    async fn the_printable_bookings_page_lists_the_periods_bookings_with_page_sums_from_the_ledger(app: TestApp) {
        let mut admin = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        for (kind, amount) in [("load", "700"), ("bonus_credit", "55"), ("discharge", "200")] {
            let booked = admin.card_form(MCD_A, "correction", &[("kind", kind), ("amount", amount), ("text", "Bericht")]).await;
            assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        }
        let reports = admin.get("/office/reports").await;
        let title = reports.body.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
        assert!(!title.contains('<'), "the title is text only: {title}");
        assert!(reports.body.contains("formaction=\"/office/reports/bookings\""));

        let period = "from=2000-01-01&to=2099-12-31";
        let page = admin.get(&format!("/office/reports/bookings?{period}&lang=en")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let all = app.get("/Loyalty/Transactions?count=1000", PINNED).await;
        let ledger = all.ok()["data"].as_array().unwrap().clone();
        for ltx in &ledger {
            let ta = format!("<td class=\"ta\">{}</td>", ltx["trans_id"]);
            assert!(page.body.contains(&ta), "TA {} missing", ltx["trans_id"]);
        }
        assert!(page.body.contains("927600******2845") && !page.body.contains(CARD_A), "masked numbers");
        // The page's sums are the sums of the API ledger's bookings on every card of the period.
        let (mut cash, mut bonus) = (0, 0);
        for booking in ledger.iter().flat_map(|t| t["bookings"].as_array().unwrap()) {
            let amount = booking["amount"].as_i64().unwrap();
            match booking["balance"].as_str().unwrap() {
                "cash" => cash += amount,
                "bonus" => bonus += amount,
                _ => {}
            }
        }
        let sums = page.body.split("class=\"page-sum\"").nth(1).expect("a sums row");
        let cell = |class: &str| sums.split(&format!("class=\"num {class}\">")).nth(1).unwrap().split('<').next().unwrap().replace(',', "");
        let euros = |cents: i64| format!("{}€{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100);
        assert_eq!((cell("cash"), cell("bonus")), (euros(cash), euros(bonus)), "{sums}");
        assert!(!page.body.contains("id=\"next-page\""), "one page holds them all");

        // Keyset paging: after the second newest TA code only the newest booking is left.
        let mut codes: Vec<i64> = ledger.iter().map(|t| t["trans_id"].as_i64().unwrap()).collect();
        codes.sort();
        let after = codes[codes.len() - 2];
        let rest = admin.get(&format!("/office/reports/bookings?{period}&after={after}")).await;
        assert_eq!(rest.body.matches("class=\"booking-line\"").count(), 1, "{}", rest.body);

        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "printer",
            "--password", "pw-printer", "--role", "staff"]);
        let mut staff = Office::signed_in(&app, "printer", "pw-printer").await;
        assert_eq!(staff.get(&format!("/office/reports/bookings?{period}")).await.status, StatusCode::OK);
        assert_eq!(staff.get(&format!("/office/reports/bookings?{period}&full=1")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(staff.get("/office/reports/bookings?from=2026-02-01&to=2026-01-01").await.status, StatusCode::BAD_REQUEST);
        assert!(admin.get("/office/audit").await.body.contains("bookings page"), "the export is audited");
    }
}
