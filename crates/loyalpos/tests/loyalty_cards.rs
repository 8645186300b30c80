mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use reqwest::Method;
use serde_json::json;

on_both_backends! {
    async fn cards_list_and_get_in_the_exact_wire_shape(app: TestApp) {
        let a = json!({"object": "loyalty.cards", "id": A.crd, "created": "2015-09-28T16:01:20+02:00", "account": null, "cardnumber": A.number});
        assert_eq!(app.get(&format!("/Loyalty/Cards/{}", A.crd), PINNED).await.ok(), &a);
        let list = app.get("/Loyalty/Cards", PINNED).await;
        assert_eq!(list.ok()["count"], 5);
        assert!(list.body["data"].as_array().unwrap().contains(&a));
        let found = app.get(&format!("/Loyalty/Cards?q={}", A.number), PINNED).await;
        assert_eq!(found.ok(), &json!({"count": 1, "data": [a]}));
        assert_eq!(app.get(&format!("/Loyalty/Cards?q={}", A.crd), PINNED).await.ok()["count"], 1);
        app.get("/Loyalty/Cards/CRD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/Loyalty/Cards/9276004429942845", PINNED).await.assert_error(400, 4003);
        let other = other_merchant(&app).await;
        app.get(&format!("/Loyalty/Cards/{}", A.crd), &other.token).await.assert_error(404, 3001);
        assert_eq!(app.get("/Loyalty/Cards", &other.token).await.ok()["count"], 0);
    }

    async fn a_merchant_user_assigns_a_card_to_its_account_and_removes_it(app: TestApp) {
        let user = user_token(&app, "johns-bakery", "demo").await;
        let path = format!("/Loyalty/Cards/{}/assignUser/me", A.crd);
        assert_eq!(app.post(&path, &user, json!({"pin": "0000"})).await.ok(), &json!({"result": true}));
        let card = app.get(&format!("/Loyalty/Cards/{}", A.crd), PINNED).await;
        assert_eq!(card.ok()["account"], json!({"object": "general.accounts", "id": DEMO_USER}));
        let again = app.post(&format!("/Loyalty/Cards/{}/assignUser/{DEMO_USER}", A.crd), &user, json!({})).await;
        assert_eq!(again.ok(), &json!({"result": true}), "already assigned to this account");
        assert_eq!(app.send(Method::DELETE, &path, Some(&user), None).await.ok(), &json!({"result": true}));
        assert_eq!(app.get(&format!("/Loyalty/Cards/{}", A.crd), PINNED).await.ok()["account"], serde_json::Value::Null);
        assert_eq!(app.send(Method::DELETE, &path, Some(&user), None).await.ok(), &json!({"result": false}));
    }

    async fn assign_user_checks_the_passcode_and_refuses_a_card_of_another_account(app: TestApp) {
        let user = user_token(&app, "johns-bakery", "demo").await;
        let path = format!("/Loyalty/Cards/{}/assignUser/me", B.crd);
        // card B has passcode 1234
        app.post(&path, &user, json!({"pin": "1111"})).await.assert_error(400, 4206);
        app.post(&path, &user, json!({})).await.assert_error(400, 4206);
        app.post(&path, &user, json!({"pin": "12a4"})).await.assert_error(400, 4001);
        assert_eq!(app.get(&format!("/Loyalty/Cards/{}", B.crd), PINNED).await.ok()["account"], serde_json::Value::Null);
        assert_eq!(app.post(&path, &user, json!({"pin": "1234"})).await.ok(), &json!({"result": true}));

        app.cli(&["user", "create", "--merchant", MERCHANT, "--username", "anna", "--password", "geheim"]);
        let anna = user_token(&app, "anna", "geheim").await;
        app.post(&path, &anna, json!({"pin": "1234"})).await.assert_error(409, 4103);
        assert_eq!(app.send(Method::DELETE, &path, Some(&anna), None).await.ok(), &json!({"result": false}));
        app.post(&format!("/Loyalty/Cards/{}/assignUser/{DEMO_USER}", C.crd), &anna, json!({})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/Cards/{}/assignUser/ACC_1", C.crd), &anna, json!({})).await.assert_error(400, 4003);
        app.post(&format!("/Loyalty/Cards/{}/assignUser/me", C.crd), PINNED, json!({})).await.assert_error(403, 2004);
        let client = app.merchant_token().await;
        app.post(&format!("/Loyalty/Cards/{}/assignUser/me", C.crd), &client, json!({})).await.assert_error(403, 2004);
        app.send(Method::DELETE, &path, Some(&client), None).await.assert_error(403, 2004);
        app.post("/Loyalty/Cards/CRD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ/assignUser/me", &anna, json!({})).await.assert_error(404, 3001);
    }
}
