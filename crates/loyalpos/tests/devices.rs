mod common;
use common::*;
use serde_json::json;

on_both_backends! {
    async fn demo_cash_register_has_the_documented_shape(app: TestApp) {
        let d = app.get(&format!("/Smart/Devices/{CASH_REGISTER}"), PINNED).await;
        let d = d.ok().clone();
        assert_eq!(d["object"], "smart.devices");
        assert_eq!(d["created"], "2020-09-01T08:00:00+02:00");
        assert_eq!(d["updated"], serde_json::Value::Null);
        assert_eq!(d["store"], json!({"object": "general.stores", "id": STORE, "name": "John's Bakery"}));
        assert_eq!(d["contract"], json!({"object": "general.contracts", "id": "GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF"}));
        assert_eq!((d["type"].as_str(), d["vendor"].as_str(), d["tid"].as_str()), (Some("cashier"), Some("unknown"), Some("VT000124")));
        assert_eq!(d["products"], json!({"loyalty": {"enabled": true, "tid": "VT000124", "webterminal_config": null}}));
        assert_eq!(d["connection_type"], "https");
        assert_eq!(d["online"], true, "the pinned token is live");
        let list = app.get("/Smart/Devices?count=10", PINNED).await;
        assert_eq!(list.ok()["count"], 3);
        assert!(list.body["data"].as_array().unwrap().contains(&d));
    }

    async fn devices_are_created_updated_and_duplicate_vendor_uids_refused(app: TestApp) {
        let token = app.merchant_token().await;
        app.post("/Smart/Devices", PINNED, json!({"type": "cashier"})).await.assert_error(403, 2004);
        app.post("/Smart/Devices", &token, json!({"type": "toaster"})).await.assert_error(400, 4001);
        app.post("/Smart/Devices", &token, json!({"type": "cashier", "store": "STO_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"})).await.assert_error(404, 3001);
        let r = app.post("/Smart/Devices", &token, json!({"type": "cashier", "vendor": "acme", "vendor_uid": "/vendor/acme/cashier/9", "tid": "VT9", "store": {"id": STORE}})).await;
        let d = r.ok().clone();
        let id = d["id"].as_str().unwrap().to_owned();
        assert_eq!(d["online"], false);
        assert_eq!(d["products"]["loyalty"]["tid"], "VT9");
        app.post("/Smart/Devices", &token, json!({"type": "zvt", "vendor_uid": "/vendor/acme/cashier/9"})).await.assert_error(409, 4103);
        let u = app.put(&format!("/Smart/Devices/{id}"), &token, json!({"description": "Kasse 2"})).await;
        assert_eq!(u.ok()["description"], "Kasse 2");
        assert!(u.body["updated"].is_string());
        let p = app.put(&format!("/Smart/Devices/{id}/pin"), &token, json!({"user_pin": "1234"})).await;
        assert_eq!(p.ok()["user_pin"], "1234");
        let routed = app.get(&format!("/Smart/Devices/{id}/routing/cashier"), &token).await;
        assert_eq!(routed.ok()["routing"], serde_json::Value::Null);
        let cfg = app.post(&format!("/Smart/Devices/{id}/GetSecubaseConfig"), PINNED, json!({"terminal_type": "x"})).await;
        assert_eq!(cfg.ok(), &json!([]));
    }

    async fn device_pin_is_set_through_the_api_and_then_opens_the_device_pin_grant(app: TestApp) {
        let token = app.merchant_token().await;
        let id = app.post("/Smart/Devices", &token, json!({"type": "zvt", "vendor_uid": "/vendor/x/serial/1"})).await.ok()["id"].as_str().unwrap().to_owned();
        let before = app.get(&format!("/Smart/Devices/{id}/devicePinConfig"), &token).await;
        assert_eq!(before.ok()["smart_device"], json!({"id": id, "auth_password_set": false}));
        assert_eq!(before.body["merchant"]["auth_password_set"], true, "the demo has a merchant user");
        app.put(&format!("/Smart/Devices/{id}/devicePin"), &token, json!({"merchant_id": MERCHANT, "pin": "short"})).await.assert_error(400, 4001);
        app.put(&format!("/Smart/Devices/{id}/devicePin"), &token, json!({"merchant_id": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "pin": "longenough1"})).await.assert_error(404, 3001);
        let r = app.put(&format!("/Smart/Devices/{id}/devicePin"), &token, json!({"merchant_id": MERCHANT, "pin": "longenough1"})).await;
        assert_eq!(r.ok(), &json!({"result": true}));
        let after = app.get(&format!("/Smart/Devices/{id}/devicePinConfig"), &token).await;
        assert_eq!(after.ok()["smart_device"]["auth_password_set"], true);
        let grant = app.token_request(json!({"grant_type": "device_pin", "client_id": TERMINAL_CLIENT.0, "client_secret": TERMINAL_CLIENT.1, "uuid": "/vendor/x/serial/1", "device_pin": "longenough1"})).await;
        assert!(grant.ok()["access_token"].is_string());
    }
}
