//! The installation-wide operator of the back office (office.md §1) over plain HTTP, on both
//! backends: `loyalpos user create --operator` makes it; it sees every merchant read-only, works
//! in the one it switches into as that merchant's admin (the audit names the operator), and a
//! merchant user never reaches the merchants list.
mod common;
mod loyalty_support;
mod office_support;

use common::*;
use loyalty_support::*;
use office_support::*;
use reqwest::StatusCode;

const OPERATOR: (&str, &str) = ("ops-anna", "pw-operator-1");

async fn lock_status(app: &TestApp, mcd: &str) -> String {
    let card = app
        .get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED)
        .await;
    card.ok()["lock_status"].as_str().unwrap().to_owned()
}

/// `loyalpos user create --operator`; its account id.
fn create_operator(app: &TestApp) -> String {
    let out = app.cli(&[
        "user",
        "create",
        "--operator",
        "--username",
        OPERATOR.0,
        "--password",
        OPERATOR.1,
    ]);
    cli_value(&out, "user")
}

/// The operator signed in: it lands on the merchants page.
async fn operator_office(app: &TestApp) -> Office {
    let mut office = Office::new(app);
    let page = office.sign_in(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/office/merchants"));
    office
}

/// Switches the operator's session into `merchant` with the merchants page's CSRF token.
async fn switch_into(office: &mut Office, merchant: &str) -> Page {
    let token = office.get("/office/merchants").await.csrf();
    office
        .post(
            "/office/merchants/switch",
            &[("csrf", &token), ("merchant", merchant)],
        )
        .await
}

fn sent_to_merchants(page: &Page) -> bool {
    page.status == StatusCode::SEE_OTHER && page.location.as_deref() == Some("/office/merchants")
}

on_both_backends! {
    async fn the_cli_creates_an_operator_that_sees_every_merchant_after_sign_in(app: TestApp) {
        let other = other_merchant(&app).await;
        let id = create_operator(&app);
        assert!(id.starts_with("ACC_"), "{id}");
        let listed = app.cli(&["user", "list"]);
        let line = listed.lines().find(|l| l.contains(OPERATOR.0)).expect("the operator is listed");
        assert!(line.contains(&id) && line.contains("\toperator\t"), "{line}");
        let mut office = operator_office(&app).await;
        let page = office.get("/office/merchants").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for expected in [MERCHANT, other.id.as_str(), "Other Bakery", "id=\"operator-banner\""] {
            assert!(page.body.contains(expected), "{expected} missing: {}", page.body);
        }
        assert!(!page.body.contains("id=\"operator-merchant\""), "in no merchant yet");
        assert!(!page.body.contains("href=\"/office/cards\""), "no merchant pages in the navigation");
    }

    async fn an_operator_outside_any_merchant_is_sent_to_the_merchants_page_and_changes_nothing(app: TestApp) {
        create_operator(&app);
        let mut office = operator_office(&app).await;
        for path in ["/office/dashboard".to_owned(), format!("/office/cards/{MCD_A}"), "/office/cards".to_owned(),
                     "/office/audit".to_owned(), "/office/users".to_owned(), "/office/reports/bookings.csv".to_owned()] {
            let page = office.get(&path).await;
            assert!(sent_to_merchants(&page), "{path}: {} {:?}", page.status, page.location);
            assert!(!page.body.contains(MCD_A), "{path}");
        }
        let token = office.get("/office/merchants").await.csrf();
        let lock = office.post(&format!("/office/cards/{MCD_A}/lock"), &[("csrf", &token), ("reason", "1")]).await;
        assert!(sent_to_merchants(&lock), "{} {:?}", lock.status, lock.location);
        let user = office.post("/office/users", &[("csrf", &token), ("username", "sneaky"),
            ("password", "pw-sneaky-123"), ("role", "admin")]).await;
        assert!(sent_to_merchants(&user));
        assert_eq!(lock_status(&app, MCD_A).await, "unlocked");
        assert!(!app.cli(&["user", "list"]).contains("sneaky"), "no user was created");
        // Switching needs the session's CSRF token too.
        let forged = office.post("/office/merchants/switch", &[("csrf", "0123abcd"), ("merchant", MERCHANT)]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(sent_to_merchants(&office.get("/office/dashboard").await));
    }

    async fn an_operator_switched_into_a_merchant_locks_its_card_and_the_audit_names_the_operator(app: TestApp) {
        create_operator(&app);
        let mut office = operator_office(&app).await;
        let switched = switch_into(&mut office, MERCHANT).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.body);
        assert_eq!(switched.location.as_deref(), Some("/office/dashboard"));
        let card = office.get(&format!("/office/cards/{MCD_A}")).await;
        assert_eq!(card.status, StatusCode::OK, "{}", card.body);
        assert!(card.body.contains("id=\"operator-merchant\"") && card.body.contains(MERCHANT),
            "the banner names the merchant: {}", card.body);
        let locked = office.card_form(MCD_A, "lock", &[("reason", "2")]).await;
        assert_eq!(locked.status, StatusCode::SEE_OTHER, "{}", locked.body);
        assert_eq!(lock_status(&app, MCD_A).await, "locked");
        let audit = office.get("/office/audit").await;
        for expected in ["operator:ops-anna", "operator_switch_in", "card_lock", MCD_A] {
            assert!(audit.body.contains(expected), "{expected} missing: {}", audit.body);
        }
        assert!(!audit.body.contains("user:ops-anna"), "the operator is never shown as a merchant user");
        // The merchant's own admin reads the same entries.
        let mut owner = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        assert!(owner.get("/office/audit").await.body.contains("operator:ops-anna"));
    }

    async fn switching_to_another_merchant_shows_its_data_and_not_the_first_ones(app: TestApp) {
        let other = other_merchant(&app).await;
        create_operator(&app);
        let mut office = operator_office(&app).await;
        switch_into(&mut office, MERCHANT).await;
        let cards = office.get("/office/cards").await;
        assert!(cards.body.contains(MCD_A), "A's cards: {}", cards.body);
        let switched = switch_into(&mut office, &other.id).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.body);
        let cards = office.get("/office/cards").await;
        assert_eq!(cards.status, StatusCode::OK);
        assert!(!cards.body.contains(MCD_A), "B's cards page shows none of A's: {}", cards.body);
        assert!(cards.body.contains(&other.id) && cards.body.contains("Other Bakery"), "the banner names B");
        assert_eq!(office.get(&format!("/office/cards/{MCD_A}")).await.status, StatusCode::NOT_FOUND);
        let token = cards.csrf();
        let lock = office.post(&format!("/office/cards/{MCD_A}/lock"), &[("csrf", &token), ("reason", "1")]).await;
        assert_eq!(lock.status, StatusCode::NOT_FOUND);
        assert_eq!(lock_status(&app, MCD_A).await, "unlocked");
        // Leaving: back to the read-only merchants list.
        let left = office.post("/office/merchants/leave", &[("csrf", &token)]).await;
        assert!(sent_to_merchants(&left), "{} {:?}", left.status, left.location);
        assert!(sent_to_merchants(&office.get("/office/cards").await));
    }

    async fn a_merchant_admin_gets_403_on_the_merchants_page_and_cannot_switch(app: TestApp) {
        let other = other_merchant(&app).await;
        let mut owner = Office::signed_in(&app, DEMO_SIGN_IN.0, DEMO_SIGN_IN.1).await;
        let page = owner.get("/office/merchants").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
        assert!(!page.body.contains(&other.id));
        let token = owner.get("/office/dashboard").await.csrf();
        let switch = owner.post("/office/merchants/switch", &[("csrf", &token), ("merchant", &other.id)]).await;
        assert_eq!(switch.status, StatusCode::FORBIDDEN);
        let leave = owner.post("/office/merchants/leave", &[("csrf", &token)]).await;
        assert_eq!(leave.status, StatusCode::FORBIDDEN);
        assert_eq!(owner.get(&format!("/office/cards/{MCD_A}")).await.status, StatusCode::OK,
            "still its own merchant's pages");
        assert!(!owner.get("/office/dashboard").await.body.contains("operator-banner"));
    }

    async fn an_operator_is_locked_out_like_anyone_no_user_of_the_api_and_ended_by_disable(app: TestApp) {
        create_operator(&app);
        let mut office = operator_office(&app).await;
        switch_into(&mut office, MERCHANT).await;
        // Five failures lock its username like any other's.
        let mut guesser = Office::new(&app);
        for _ in 0..5 {
            guesser.sign_in(OPERATOR.0, "wrong").await;
        }
        assert_eq!(guesser.sign_in(OPERATOR.0, OPERATOR.1).await.status, StatusCode::TOO_MANY_REQUESTS);
        // The appuser grant knows no operator.
        let grant = app.token_request(serde_json::json!({"grant_type": "appuser",
            "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1,
            "username": OPERATOR.0, "password": OPERATOR.1})).await;
        assert!(grant.status.is_client_error(), "{} {}", grant.status, grant.text);
        // `loyalpos user disable` ends its session at once.
        app.cli(&["user", "disable", OPERATOR.0]);
        let ended = office.get("/office/dashboard").await;
        assert_eq!(ended.location.as_deref(), Some("/office/signin?ended=1"));
    }
}
