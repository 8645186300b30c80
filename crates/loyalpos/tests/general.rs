mod common;
use common::*;
use serde_json::json;

on_both_backends! {
    async fn merchant_me_answers_johns_bakery_in_the_exact_wire_shape(app: TestApp) {
        let r = app.get("/General/Merchants/me", PINNED).await;
        assert_eq!(r.ok(), &json!({
            "object": "general.merchants", "id": MERCHANT, "id_old": 100001, "type": "46",
            "user": {"name": null, "forename": null, "surname": null, "companyname": "John's Bakery",
                     "project_name": "loyalpos demo", "address": [], "email": []},
            "parent": null, "assigned_by": [], "invited_by": [], "legal_details": [], "urls": [],
            "store_name": "John's Bakery", "acceptance_points": [], "two_fa": null}));
        let by_alias = app.get("/General/Merchants/MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON", PINNED).await;
        assert_eq!(by_alias.ok()["id"], MERCHANT);
        let list = app.get("/General/Merchants", PINNED).await;
        assert_eq!(list.ok()["count"], 1);
        assert_eq!(&list.body["data"][0], r.ok());
        let cats = app.get("/General/Merchants/me/MerchantCategories", PINNED).await;
        assert_eq!(cats.ok(), &json!([{"id": 5462, "description": "Bäckereien"}]));
    }

    async fn merchant_public_data_is_replaced_by_put_and_served_by_get_public_data(app: TestApp) {
        let token = app.merchant_token().await;
        let body = json!({"legal_details": [{"content": "https://x/imprint", "type": "imprint", "language": "de"}],
                          "urls": [{"type": "website", "url": "https://johns-bakery.example"}]});
        app.put("/General/Merchants/me", PINNED, body.clone()).await.assert_error(403, 2004);
        let r = app.put("/General/Merchants/me", &token, body).await;
        assert_eq!(r.ok()["legal_details"], json!([{"url": "https://x/imprint", "type": "imprint", "content_type": "text/html", "language": "de"}]));
        let p = app.post(&format!("/General/Merchants/{MERCHANT}/getPublicData/GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF"), PINNED, json!({})).await;
        let p = p.ok();
        assert_eq!(p["company"]["companyname"], "John's Bakery");
        assert_eq!(p["company"]["address"]["address_formatted"], "Musterstr. 1a, 09999 Musterstadt");
        assert_eq!(p["merchant_urls"][0]["type"], "website");
        app.post("/General/Merchants/me/getPublicData/GCR_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED, json!({})).await.assert_error(404, 3001);
    }

    async fn stores_list_get_create_update_and_set_default(app: TestApp) {
        let s = app.get(&format!("/General/Stores/{STORE}"), PINNED).await;
        let s = s.ok().clone();
        assert_eq!(s["object"], "general.stores");
        assert_eq!(s["id_old"], "200001");
        assert_eq!(s["merchant"], json!({"object": "general.merchants", "id": MERCHANT}));
        assert_eq!(s["address_formatted"], "Musterstr. 1a, 09999 Musterstadt");
        assert_eq!(s["phone_number_formatted"], "0555/5555555-1");
        assert_eq!(s["open_hours"].as_array().unwrap().len(), 6);
        assert!(s["open_now"].is_boolean());
        for key in ["source", "key", "hash", "geometry", "category_main", "url_googleplus", "open_time", "utc_offset"] {
            assert_eq!(s[key], serde_json::Value::Null, "{key}");
        }
        assert_eq!((s["has_beacon"].as_bool(), s["acceptance_point"].as_bool()), (Some(false), Some(true)));
        let list = app.get("/General/Stores", PINNED).await;
        assert_eq!(list.ok()["data"][0], s);

        let token = app.merchant_token().await;
        app.post("/General/Stores", PINNED, json!({"name": "Filiale"})).await.assert_error(403, 2004);
        app.post("/General/Stores", &token, json!({"phone": "1"})).await.assert_error(400, 4001);
        let created = app.post("/General/Stores", &token, json!({"name": "Filiale Nord", "merchant": "MRC_X",
            "address": {"street": "Hauptstr.", "street_number": "2", "postal_code": "01234", "city": "Nordstadt", "country": "DE"}})).await;
        let created = created.ok().clone();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["merchant"]["id"], MERCHANT);
        assert_eq!(created["address_formatted"], "Hauptstr. 2, 01234 Nordstadt");
        assert_eq!(app.get(&format!("/General/Stores/{id}"), PINNED).await.ok(), &created);
        let updated = app.put(&format!("/General/Stores/{id}"), &token, json!({"name": "Filiale Süd"})).await;
        assert_eq!(updated.ok()["name"], "Filiale Süd");
        assert_eq!(updated.body["address_formatted"], "Hauptstr. 2, 01234 Nordstadt");
        let r = app.post(&format!("/General/Stores/{id}/setDefault"), &token, json!({"reason": "Umzug"})).await;
        assert_eq!(r.ok(), &json!({"result": true}));
        assert_eq!(app.get("/General/Merchants/me", PINNED).await.ok()["store_name"], "Filiale Süd");
        assert_eq!(app.get("/General/Stores", PINNED).await.ok()["count"], 2);
    }
}
