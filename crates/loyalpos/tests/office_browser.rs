//! The back office driven in a real headless Chromium (office.md §3), on both backends: what a
//! merchant's staff do on the pages shows at the registers and in the API at once.
mod common;
mod office_support;

use common::browser::Browser;
use common::*;
use office_support::DEMO_SIGN_IN;
use serde_json::{Value, json};

/// The demo tenant's "Bonus 10 %" card group (cards C and D).
const BONUS10: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";

async fn browser(app: &TestApp, test: &str) -> Option<Browser> {
    let browser = Browser::start(test).await?;
    browser
        .sign_in(&app.server.base, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1)
        .await;
    assert_eq!(browser.path().await, "/office/dashboard");
    assert_eq!(browser.text("#username").await, DEMO_SIGN_IN.0);
    Some(browser)
}

async fn start_with_card(app: &TestApp, card: &str) -> Reply {
    let stx = app.create_stx(card_body(card, docs_basket(), 796)).await;
    app.start(&stx, "cash").await
}

on_both_backends! {
    async fn a_card_found_and_locked_in_the_office_is_refused_at_the_register(app: TestApp) {
        let Some(b) = browser(&app, "office lock").await else { return };
        b.click_and_load("nav a[href='/office/cards']").await;
        b.fill("#q", &CARD_A[12..]).await;
        b.click_and_load("#search").await;
        let links = b.client.find_all(fantoccini::Locator::Css("a.card-link")).await.unwrap();
        assert_eq!(links.len(), 1, "the last four digits find one card");
        drop(links);
        b.click_and_load("a.card-link").await;
        assert_eq!(b.path().await, format!("/office/cards/{MCD_A}"));
        assert_eq!(b.text("#card-number").await, CARD_A);
        assert_eq!(b.text("#customer").await, "Max Mustermann");
        assert_eq!(b.text("#cash-balance").await, "10,00 €");

        b.select("#reason", "1").await;
        b.fill("#note", "Kunde hat angerufen").await;
        b.click_and_load("#lock").await;
        assert_eq!(b.text("#lock-state").await, "gesperrt (Karte verloren)");
        start_with_card(&app, CARD_A).await.assert_error(400, 4202);

        b.click_and_load("#unlock").await;
        assert_eq!(b.text("#lock-state").await, "aktiv");
        start_with_card(&app, CARD_A).await.ok();
        b.close().await;
    }

    async fn a_correction_booked_in_the_office_is_in_the_api_ledger_with_its_receipt(app: TestApp) {
        let Some(b) = browser(&app, "office correction").await else { return };
        b.goto(&format!("{}/office/cards/{MCD_A}", app.server.base)).await;
        b.select("#kind", "load").await;
        b.fill("#amount", "250").await;
        b.fill("#text", "Kulanz Bon 4711").await;
        b.click_and_load("#book").await;
        assert_eq!(b.text("#done").await, "Erledigt.");
        assert_eq!(b.text("#cash-balance").await, "12,50 €");

        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD_A}"), PINNED).await;
        let newest = ledger.ok()["data"].as_array().unwrap().iter()
            .max_by_key(|t| t["trans_id"].as_i64().unwrap()).unwrap().clone();
        assert_eq!(newest["amount"], 250);
        assert_eq!(newest["balance"], 1250);
        assert_eq!(newest["additional_data"]["correction"], "Kulanz Bon 4711");
        assert_eq!(newest["additional_data"]["office_user"], DEMO_SIGN_IN.0);
        assert_eq!(app.balances(MCD_A).await.0, 1250);

        // The page's ledger shows the booking with its TA code and its receipt as a till slip.
        let ta = newest["trans_id"].as_i64().unwrap().to_string();
        assert_eq!(b.text("#ledger tbody tr:first-child td.ta").await, ta);
        b.click("#ledger tbody tr:first-child summary").await;
        let slip = b.text("#ledger tbody tr:first-child pre.slip").await;
        let receipt: Vec<String> = newest["receipt"].as_array().unwrap().iter()
            .filter_map(|l| l["value"]["value"].as_str().or(l["value"]["text"].as_str()))
            .map(str::to_owned).collect();
        for text in receipt.iter().filter(|t| !t.is_empty()) {
            assert!(slip.contains(text.as_str()), "{text:?} not on the slip:\n{slip}");
        }
        assert!(slip.contains(&ta), "{slip}");
        b.close().await;
    }

    async fn a_register_confirmed_in_the_office_gets_its_token_at_the_next_poll(app: TestApp) {
        let registration = app.token_request(json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
            "client_secret": VENDOR_CLIENT.1, "uuid": "/vendor/acme/cashier/counter-2"})).await;
        let device_code = registration.ok()["device_code"].as_str().unwrap().to_owned();
        let user_code = registration.body["user_code"].as_str().unwrap().to_ascii_uppercase();
        let poll = json!({"grant_type": "device", "client_id": VENDOR_CLIENT.0,
            "client_secret": VENDOR_CLIENT.1, "code": device_code});
        assert_eq!(app.token_request(poll.clone()).await.body["error"], "authorization_pending");

        let Some(b) = browser(&app, "office device confirm").await else { return };
        b.click_and_load("nav a[href='/office/devices']").await;
        b.fill("#user_code", &user_code).await;
        b.select("#store", STORE).await;
        b.click_and_load("#confirm").await;
        let device = b.text("#confirmed-device").await;
        assert!(device.starts_with("SDV_"), "{device}");
        let rows = b.client.find_all(fantoccini::Locator::Css("#devices td.device-id")).await.unwrap();
        let mut listed = Vec::new();
        for row in rows {
            listed.push(row.text().await.unwrap());
        }
        assert!(listed.contains(&device), "{listed:?}");

        let token = app.token_request(poll).await;
        let access = token.ok()["access_token"].as_str().unwrap().to_owned();
        let me = app.get(&format!("/Smart/Devices/{device}"), &access).await;
        assert_eq!(me.ok()["id"], Value::from(device.clone()));
        b.close().await;
    }

    async fn the_bookings_csv_of_the_reports_page_adds_up_to_the_api_ledger(app: TestApp) {
        start_with_card(&app, CARD_A).await.ok();
        let Some(b) = browser(&app, "office bookings csv").await else { return };
        b.click_and_load("nav a[href='/office/reports']").await;
        b.client.execute("document.getElementById('from').value = '2000-01-01'", vec![]).await.unwrap();
        b.click("#full").await;
        // What the form downloads, fetched in the page with the session's cookie.
        let script = "const done = arguments[arguments.length - 1];
            const form = document.getElementById('bookings-form');
            const url = form.action + '?' + new URLSearchParams(new FormData(form)).toString();
            fetch(url, {credentials: 'same-origin'}).then(r => r.text()).then(done);";
        let csv = b.client.execute_async(script, vec![]).await.unwrap();
        let csv = csv.as_str().unwrap().to_owned();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("Zeit;Filiale;Terminal;Karte;TA-Code;Art;Betrag;Bargeld;Bonus"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
        let cents = |field: &str| -> i64 { field.replace(',', "").parse().unwrap() };

        let ledger = app.get("/Loyalty/Transactions?count=500", PINNED).await;
        let ledger = ledger.ok()["data"].as_array().unwrap().clone();
        assert_eq!(rows.len(), ledger.len(), "one row per booking:\n{csv}");
        let api_total: i64 = ledger.iter().map(|t| t["amount"].as_i64().unwrap()).sum();
        assert_eq!(rows.iter().map(|r| cents(r[6])).sum::<i64>(), api_total);
        let card_a: Vec<&Vec<&str>> = rows.iter().filter(|r| r[3] == CARD_A).collect();
        assert!(!card_a.is_empty(), "full numbers were ticked");
        let (cash, bonus, _) = app.balances(MCD_A).await;
        let booked: (i64, i64) = card_a.iter().fold((0, 0), |(c, b), r| (c + cents(r[7]), b + cents(r[8])));
        assert_eq!(booked, (cash, bonus), "card A's rows add up to its balances");
        b.close().await;
    }

    async fn a_bonus_programme_edited_in_the_office_is_used_by_the_next_pre_transaction(app: TestApp) {
        let Some(b) = browser(&app, "office bonus programme").await else { return };
        b.click_and_load("nav a[href='/office/cardgroups']").await;
        b.click_and_load(&format!("a.group-link[href='/office/cardgroups/{BONUS10}']")).await;
        let products = "7;Treuebonus 7 %;111111117;111111117\n19;Treuebonus 19 %;1111111119;1111111119";
        b.fill("#products", products).await;
        b.fill("#sample", "1 796 19").await;
        b.fill("#sample_bonus", "100").await;
        b.click_and_load("#run-preview").await;
        assert_eq!(b.text("#preview-lines td.desc").await, "Treuebonus 19 %");
        assert_eq!(b.text("#bonus-spent").await, "1,00 €");
        assert_eq!(b.text("#missing-sum").await, "6,96 €");
        // The preview saved nothing: a preTransaction still gets the old bonus lines.
        let stx = app.create_stx(card_body(CARD_D, docs_basket(), 796)).await;
        let before = app.pre(&stx).await.ok().clone();
        let descs = |pre: &Value| -> Vec<String> {
            pre["bonus_products"].as_array().unwrap().iter()
                .map(|l| l["desc"].as_str().unwrap().to_owned()).collect()
        };
        assert!(!descs(&before).is_empty() && descs(&before).iter().all(|d| !d.starts_with("Treuebonus")));

        b.click_and_load("#save").await;
        assert_eq!(b.text("#done").await, "Erledigt.");
        let stx = app.create_stx(card_body(CARD_D, docs_basket(), 796)).await;
        let after = app.pre(&stx).await.ok().clone();
        let after = descs(&after);
        assert!(!after.is_empty() && after.iter().all(|d| d.starts_with("Treuebonus")), "{after:?}");
        b.close().await;
    }

    async fn the_dashboard_adds_a_new_booking_live_and_counts_it_in_todays_figures(app: TestApp) {
        let Some(b) = browser(&app, "office live dashboard").await else { return };
        let started = std::time::Instant::now();
        while b.client.find(fantoccini::Locator::Css("#live-state:not([hidden])")).await.is_err() {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "the event stream did not open");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let stx = app.create_stx(card_body(CARD_C, docs_basket(), 796)).await;
        let started_stx = app.start(&stx, "cash").await.ok().clone();
        let ltx = app.ltx_of(&started_stx).await;
        let ta = ltx["trans_id"].as_i64().unwrap().to_string();
        let first_ta = "#bookings tbody tr:first-child td:nth-child(2)";
        let started = std::time::Instant::now();
        while b.text(first_ta).await != ta {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "booking {ta} did not appear");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        b.goto(&format!("{}/office/dashboard", app.server.base)).await;
        let figure = |row: usize, column: usize| format!("#figures tbody tr:nth-child({row}) td:nth-child({column})");
        assert_eq!(b.text(&figure(2, 2)).await, "1", "one booking today");
        let revenue = ltx["revenue"].as_i64().unwrap();
        assert_eq!(b.text(&figure(1, 2)).await, format!("{},{:02} €", revenue / 100, revenue % 100));
        let bars = b.client.find_all(fantoccini::Locator::Css("#chart rect")).await.unwrap();
        assert_eq!(bars.len(), 30, "a bar per day");
        b.close().await;
    }

    async fn a_hostile_customer_name_shows_as_text_in_the_browser(app: TestApp) {
        let hostile = r#"{"forename":"<script>alert(1)</script>","surname":"<img src=x onerror=alert(2)>"}"#;
        raw_sql(&app.db.url, &format!("UPDATE customers SET merchant_contact = '{hostile}' \
            WHERE id = (SELECT customer_id FROM merchantcards WHERE id = '{MCD_A}')")).await;
        let Some(b) = browser(&app, "office escaping").await else { return };
        b.goto(&format!("{}/office/cards/{MCD_A}", app.server.base)).await;
        assert_eq!(b.text("#customer").await, "<script>alert(1)</script> <img src=x onerror=alert(2)>");
        // No script ran: an open alert would make this WebDriver call fail.
        let images = b.client.find_all(fantoccini::Locator::Css("#customer img")).await.unwrap();
        assert!(images.is_empty());
        let title: Value = b.client.execute("return document.title", vec![]).await.unwrap();
        assert_eq!(title, Value::from(format!("{CARD_A} · loyalpos Backoffice")));
        b.close().await;
    }
}
