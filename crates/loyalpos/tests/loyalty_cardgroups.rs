mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use serde_json::{Value, json};

fn bonus10_view() -> Value {
    json!({
        "object": "loyalty.cardgroups", "id": BONUS10,
        "merchant": {"object": "general.merchants", "id": MERCHANT},
        "display_name": "Bonus 10 %", "display_name_raw": "Bonus 10 %", "stock_warn_limit": 0, "picture": null,
        "balance_limit": null, "balance_expiry": false, "cancel_selected": false, "description": null,
        "currency": "EUR",
        "bonus": {"rate": 1000, "base": "reduced", "filter": {"mode": "none", "codes": []},
                  "products": [
                      {"tax": 7, "desc": "Bonus Steuer 7", "articleNumber": "111111117", "ean": "111111117"},
                      {"tax": 19, "desc": "Bonus Steuer 19", "articleNumber": "1111111119", "ean": "1111111119"}]},
        "overdraft_allowed": false, "overdraft_limit": 0, "passcode_policy": 0, "card_creation_via_stx": true})
}

/// Runs the CLI expecting failure; returns its stderr.
fn cli_fails(app: &TestApp, args: &[&str]) -> String {
    let out = std::process::Command::new(binary())
        .args(args)
        .args(["--database", &app.db.url])
        .env("LOYALPOS_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "loyalpos {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

on_both_backends! {
    async fn card_groups_list_and_get_in_the_exact_wire_shape(app: TestApp) {
        let g = app.get(&format!("/Loyalty/Cardgroups/{BONUS10}"), PINNED).await;
        assert_eq!(g.ok(), &bonus10_view());
        let list = app.get("/Loyalty/Cardgroups", PINNED).await;
        assert_eq!(list.ok()["count"], 3);
        let item = list.body["data"].as_array().unwrap().iter().find(|i| i["id"] == BONUS10).unwrap();
        assert_eq!(item, &bonus10_view());
        let punkte = app.get(&format!("/Loyalty/Cardgroups/{PUNKTE}"), PINNED).await;
        assert_eq!(punkte.ok()["picture"], CARD_PICTURE);
        assert_eq!(punkte.body["bonus"], json!({"rate": 0, "base": "full", "filter": {"mode": "none", "codes": []}, "products": []}));
        let geschenk = app.get(&format!("/Loyalty/Cardgroups/{GESCHENKGUTSCHEIN}"), PINNED).await;
        assert_eq!((geschenk.ok()["passcode_policy"].as_i64(), geschenk.body["cancel_selected"].as_bool()), (Some(1), Some(true)));
        // a bare term searches id and display_name
        let found = app.get("/Loyalty/Cardgroups?q=geschenk*", PINNED).await;
        assert_eq!(found.ok()["count"], 1);
        assert_eq!(found.body["data"][0]["id"], GESCHENKGUTSCHEIN);
        app.get("/Loyalty/Cardgroups/CRG_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/Loyalty/Cardgroups/CRG_abc", PINNED).await.assert_error(400, 4003);
    }

    async fn a_put_changes_only_the_fields_present_recursively_inside_bonus(app: TestApp) {
        let path = format!("/Loyalty/Cardgroups/{BONUS10}");
        let blacklist = json!({"bonus": {"filter": {"mode": "blacklist", "codes": ["4260447149502"]}}});
        // examples.md V9c: device tokens may not configure the programme
        app.put(&path, PINNED, blacklist.clone()).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        let r = app.put(&path, &token, blacklist).await;
        let mut expected = bonus10_view();
        expected["bonus"]["filter"] = json!({"mode": "blacklist", "codes": ["4260447149502"]});
        assert_eq!(r.ok(), &expected);
        assert_eq!(app.get(&path, PINNED).await.ok(), &expected);

        let r = app.put(&path, &token, json!({"bonus": {"products": [{"tax": 1900, "desc": "Bonus 19", "articleNumber": 42}]}, "merchant": "MRC_X"})).await;
        assert_eq!(r.ok()["bonus"]["products"], json!([{"tax": 1900, "desc": "Bonus 19", "articleNumber": "42", "ean": null}]));
        assert_eq!(r.body["bonus"]["rate"], 1000);
        assert_eq!(r.body["bonus"]["filter"]["codes"], json!(["4260447149502"]));
        let r = app.put(&path, &token, json!({"display_name": "Bonus 5 %", "bonus": {"rate": 500}, "description": "fünf"})).await;
        assert_eq!((r.ok()["display_name"].as_str(), r.body["display_name_raw"].as_str()), (Some("Bonus 5 %"), Some("Bonus 5 %")));
        assert_eq!((r.body["bonus"]["rate"].as_i64(), r.body["bonus"]["base"].as_str()), (Some(500), Some("reduced")));
        assert_eq!(r.body["description"], "fünf");
        // the merchant card shows the new name of its group
        assert_eq!(merchantcard(&app, C.mcd).await["cardgroup"]["display_name"], "Bonus 5 %");
        app.put(&path, &token, json!({"display_name": " "})).await.assert_error(400, 4001);
    }

    async fn a_new_card_group_has_the_defaults_and_equals_its_get(app: TestApp) {
        app.post("/Loyalty/Cardgroups", PINNED, json!({"display_name": "Kaffee"})).await.assert_error(403, 2004);
        let token = app.merchant_token().await;
        app.post("/Loyalty/Cardgroups", &token, json!({"picture": "x"})).await.assert_error(400, 4001);
        let r = app.post("/Loyalty/Cardgroups", &token, json!({"display_name": "Kaffee", "merchant": {"id": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"},
            "picture": "https://x/kaffee.png", "overdraft_allowed": true, "overdraft_limit": 2000})).await;
        let created = r.ok().clone();
        let id = created["id"].as_str().unwrap();
        assert!(id.starts_with("CRG_") && id.len() == 34, "{id}");
        assert_eq!(created, json!({
            "object": "loyalty.cardgroups", "id": id, "merchant": {"object": "general.merchants", "id": MERCHANT},
            "display_name": "Kaffee", "display_name_raw": "Kaffee", "stock_warn_limit": 0, "picture": "https://x/kaffee.png",
            "balance_limit": null, "balance_expiry": false, "cancel_selected": false, "description": null, "currency": "EUR",
            "bonus": {"rate": 0, "base": "full", "filter": {"mode": "none", "codes": []}, "products": []},
            "overdraft_allowed": true, "overdraft_limit": 2000, "passcode_policy": 0, "card_creation_via_stx": false}));
        assert_eq!(app.get(&format!("/Loyalty/Cardgroups/{id}"), PINNED).await.ok(), &created);
        assert_eq!(app.get("/Loyalty/Cardgroups", PINNED).await.ok()["data"][0], created, "newest first");
    }

    async fn invalid_programme_settings_are_4001_and_a_bad_currency_4002(app: TestApp) {
        let token = app.merchant_token().await;
        let path = format!("/Loyalty/Cardgroups/{BONUS10}");
        for body in [
            json!({"bonus": {"rate": 10001}}),
            json!({"bonus": {"rate": -1}}),
            json!({"bonus": {"rate": "1000"}}),
            json!({"bonus": {"base": "half"}}),
            json!({"bonus": {"filter": {"mode": "greylist"}}}),
            json!({"bonus": {"products": [{"tax": 7, "desc": "a"}, {"tax": 700, "desc": "b"}]}}),
            json!({"bonus": {"products": [{"tax": 7}]}}),
            json!({"overdraft_allowed": true}),
            json!({"passcode_policy": 7}),
            json!({"cancel_selected": "yes"}),
        ] {
            let r = app.put(&path, &token, body.clone()).await;
            r.assert_error(400, 4001);
        }
        app.put(&path, &token, json!({"currency": "eur"})).await.assert_error(400, 4002);
        app.post("/Loyalty/Cardgroups", &token, json!({"display_name": "X", "currency": "EURO"})).await.assert_error(400, 4002);
        // nothing changed
        assert_eq!(app.get(&path, PINNED).await.ok(), &bonus10_view());
    }

    async fn the_currency_cannot_change_once_the_group_has_cards(app: TestApp) {
        let token = app.merchant_token().await;
        app.put(&format!("/Loyalty/Cardgroups/{PUNKTE}"), &token, json!({"currency": "USD"})).await.assert_error(400, 4002);
        let same = app.put(&format!("/Loyalty/Cardgroups/{PUNKTE}"), &token, json!({"currency": "EUR"})).await;
        assert_eq!(same.ok()["currency"], "EUR");
        let created = app.post("/Loyalty/Cardgroups", &token, json!({"display_name": "Dollar"})).await;
        let id = created.ok()["id"].as_str().unwrap().to_owned();
        let r = app.put(&format!("/Loyalty/Cardgroups/{id}"), &token, json!({"currency": "USD"})).await;
        assert_eq!(r.ok()["currency"], "USD");
    }

    async fn check_passcode_enabled_answers_from_the_group_policy(app: TestApp) {
        let ask = |group: &str, body: Value| {
            let path = format!("/Loyalty/Cardgroups/{group}/checkPasscodeEnabled");
            let app = &app;
            async move { app.post(&path, PINNED, body).await }
        };
        // Geschenkgutschein: policy 1 guards every action
        for action in ["charge", "discharge", "sale_revenue", "charge_points", "discharge_points", "cashreport"] {
            assert_eq!(ask(GESCHENKGUTSCHEIN, json!({"action": action})).await.ok(), &json!({"result": true}), "{action}");
            assert_eq!(ask(PUNKTE, json!({"action": action})).await.ok(), &json!({"result": false}), "{action}");
        }
        assert_eq!(ask(GESCHENKGUTSCHEIN, json!({})).await.ok(), &json!({"result": true}));
        assert_eq!(ask(GESCHENKGUTSCHEIN, json!({"cardnumber": B.number, "action": "charge"})).await.ok(), &json!({"result": true}));
        let empty = app.send(reqwest::Method::POST, &format!("/Loyalty/Cardgroups/{PUNKTE}/checkPasscodeEnabled"), Some(PINNED), None).await;
        assert_eq!(empty.ok(), &json!({"result": false}));
        // policy 2 guards only discharges
        let token = app.merchant_token().await;
        app.put(&format!("/Loyalty/Cardgroups/{PUNKTE}"), &token, json!({"passcode_policy": 2})).await.ok();
        assert_eq!(ask(PUNKTE, json!({"action": "discharge"})).await.ok(), &json!({"result": true}));
        assert_eq!(ask(PUNKTE, json!({"action": "charge"})).await.ok(), &json!({"result": false}));
        assert_eq!(merchantcard(&app, A.mcd).await["passcode"], 2, "the card's passcode follows its group");
        ask(PUNKTE, json!({"action": "refund"})).await.assert_error(400, 4001);
        ask(PUNKTE, json!({"cardnumber": "12345"})).await.assert_error(400, 4003);
        ask("CRG_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", json!({})).await.assert_error(404, 3001);
    }

    async fn another_merchants_card_groups_answer_404(app: TestApp) {
        let other = other_merchant(&app).await;
        assert_eq!(app.get("/Loyalty/Cardgroups", &other.token).await.ok(), &json!({"count": 0, "data": []}));
        app.get(&format!("/Loyalty/Cardgroups/{BONUS10}"), &other.token).await.assert_error(404, 3001);
        app.put(&format!("/Loyalty/Cardgroups/{BONUS10}"), &other.token, json!({"bonus": {"rate": 0}})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/Cardgroups/{BONUS10}/checkPasscodeEnabled"), &other.token, json!({})).await.assert_error(404, 3001);
    }

    async fn the_operator_creates_and_updates_card_groups_with_the_cli(app: TestApp) {
        let out = app.cli(&["cardgroup", "create", "--merchant", MERCHANT, "--name", "Kaffeekarte", "--rate", "500",
            "--base", "reduced", "--overdraft-limit", "1000", "--passcode-policy", "2", "--cancel-selected",
            "--card-creation-via-stx", "--currency", "EUR", "--bonus-product", "7:Bonus Steuer 7:111111117:111111117",
            "--filter-mode", "blacklist", "--filter-codes", "4260447149502,4260447149519"]);
        let id = cli_value(&out, "cardgroup");
        let g = app.get(&format!("/Loyalty/Cardgroups/{id}"), PINNED).await;
        let g = g.ok();
        assert_eq!(g["display_name"], "Kaffeekarte");
        assert_eq!(g["bonus"], json!({"rate": 500, "base": "reduced",
            "filter": {"mode": "blacklist", "codes": ["4260447149502", "4260447149519"]},
            "products": [{"tax": 7, "desc": "Bonus Steuer 7", "articleNumber": "111111117", "ean": "111111117"}]}));
        assert_eq!((g["overdraft_allowed"].as_bool(), g["overdraft_limit"].as_i64()), (Some(true), Some(1000)));
        assert_eq!((g["passcode_policy"].as_i64(), g["cancel_selected"].as_bool(), g["card_creation_via_stx"].as_bool()), (Some(2), Some(true), Some(true)));

        app.cli(&["cardgroup", "update", &id, "--rate", "0", "--cancel-selected=false", "--overdraft-limit", "0", "--name", "Kaffee"]);
        // The CLI is another process: the server's cache may show the old group for up to 1 s
        // (README "Caches"); later than that would break the rule.
        let changed_by = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        let g = loop {
            let g = app.get(&format!("/Loyalty/Cardgroups/{id}"), PINNED).await.ok().clone();
            if g["display_name"] == "Kaffee" || std::time::Instant::now() > changed_by {
                break g;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!((g["display_name"].as_str(), g["bonus"]["rate"].as_i64(), g["bonus"]["base"].as_str()), (Some("Kaffee"), Some(0), Some("reduced")));
        assert_eq!((g["cancel_selected"].as_bool(), g["overdraft_allowed"].as_bool()), (Some(false), Some(false)));
        assert_eq!(g["bonus"]["products"].as_array().unwrap().len(), 1, "absent flags keep their value");

        let err = cli_fails(&app, &["cardgroup", "update", &id, "--passcode-policy", "9"]);
        assert!(err.contains("passcode_policy"), "{err}");
        let err = cli_fails(&app, &["cardgroup", "update", PUNKTE, "--currency", "USD"]);
        assert!(err.contains("4002"), "{err}");
        cli_fails(&app, &["cardgroup", "create", "--merchant", "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "--name", "X"]);
    }
}
