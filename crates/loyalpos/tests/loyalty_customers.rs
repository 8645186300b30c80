mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The full Contact: every key present, null when unset.
fn contact(fields: Value) -> Value {
    let mut full = json!({"name": null, "forename": null, "surname": null, "companyname": null, "salutation": null,
        "gender": null, "title": null, "email": null, "phone": null, "mobile": null, "fax": null, "dob": null,
        "picture": null, "url_website": null, "birthplace": null, "nationality": null, "address": null});
    for (k, v) in fields.as_object().unwrap() {
        full[k] = v.clone();
    }
    full
}

fn max_mustermann() -> Value {
    let c = contact(
        json!({"name": "Max Mustermann", "forename": "Max", "surname": "Mustermann", "dob": "2018-02-14T00:00:00+00:00"}),
    );
    json!({"object": "loyalty.customers", "id": CUSTOMER, "created": "2018-05-03T10:14:06+02:00",
        "merchant": {"object": "general.merchants", "id": MERCHANT},
        "contact": c, "merchant_contact": c, "account_contact": null, "payment_container": [],
        "customernumber": null, "note": null, "consent_for_communication": true, "additional_data": null})
}

on_both_backends! {
    async fn the_demo_customer_lists_and_gets_in_the_exact_wire_shape(app: TestApp) {
        let r = app.get(&format!("/Loyalty/Customers/{CUSTOMER}"), PINNED).await;
        assert_eq!(r.ok(), &max_mustermann());
        let list = app.get("/Loyalty/Customers", PINNED).await;
        assert_eq!(list.ok(), &json!({"count": 1, "data": [max_mustermann()]}));
        assert_eq!(app.get("/Loyalty/Customers?q=mustermann", PINNED).await.ok()["count"], 1);
        assert_eq!(app.get("/Loyalty/Customers?q=meier", PINNED).await.ok()["count"], 0);
        app.get("/Loyalty/Customers/CUS_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/Loyalty/Customers/CUS_1", PINNED).await.assert_error(400, 4003);
    }

    async fn a_customer_is_created_and_then_updated_field_by_field(app: TestApp) {
        let r = app.post("/Loyalty/Customers", PINNED, json!({"merchant": {"id": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"},
            "merchant_contact": {"forename": "Erika", "surname": "Musterfrau", "email": "erika@example.com",
                "address": {"street": "Hauptstr.", "street_number": "5", "city": "Berlin", "postal_code": "10115", "country": "DE"}},
            "customernumber": "K-42", "consent_for_communication": "not_set", "additional_data": {"tier": "gold"}})).await;
        let created = r.ok().clone();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("CUS_") && id.len() == 34);
        let erika = contact(json!({"name": "Erika Musterfrau", "forename": "Erika", "surname": "Musterfrau", "email": "erika@example.com",
            "address": {"street": "Hauptstr.", "street_number": "5", "city": "Berlin", "postal_code": "10115", "country": "DE"}}));
        assert_eq!((created["contact"].clone(), created["merchant_contact"].clone()), (erika.clone(), erika));
        assert_eq!(created["merchant"]["id"], MERCHANT);
        assert_eq!((created["customernumber"].as_str(), created["consent_for_communication"].clone()), (Some("K-42"), Value::Null));
        assert_eq!(created["additional_data"], json!({"tier": "gold"}));
        assert_eq!(app.get(&format!("/Loyalty/Customers/{id}"), PINNED).await.ok(), &created);
        assert_eq!(app.get("/Loyalty/Customers", PINNED).await.ok()["data"][0], created, "newest first");
        assert_eq!(app.get("/Loyalty/Customers?q=erika@example.com", PINNED).await.ok()["count"], 1);
        assert_eq!(app.get("/Loyalty/Customers?q=K-42", PINNED).await.ok()["count"], 1);

        let path = format!("/Loyalty/Customers/{id}");
        let r = app.put(&path, PINNED, json!({"note": "VIP", "consent_for_communication": true})).await;
        let mut expected = created.clone();
        expected["note"] = json!("VIP");
        expected["consent_for_communication"] = json!(true);
        assert_eq!(r.ok(), &expected);
        let r = app.put(&path, PINNED, json!({"consent_for_communication": "declined", "merchant_contact": {"name": "E. M.", "forename": "Erika"}})).await;
        assert_eq!(r.ok()["consent_for_communication"], false);
        assert_eq!(r.body["contact"], contact(json!({"name": "E. M.", "forename": "Erika"})));
        assert_eq!(r.body["customernumber"], "K-42");
        for body in [json!({"consent_for_communication": "maybe"}), json!({"consent_for_communication": 1}),
                     json!({"merchant_contact": "Erika"}), json!({"customernumber": 42}), json!({"additional_data": [1]})] {
            app.put(&path, PINNED, body).await.assert_error(400, 4001);
        }
        app.put("/Loyalty/Customers/CUS_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED, json!({"note": "x"})).await.assert_error(404, 3001);
    }

    async fn anonymize_clears_every_personal_field_and_cards_keep_the_customer(app: TestApp) {
        app.put(&format!("/Loyalty/Customers/{CUSTOMER}"), PINNED, json!({"note": "Stammkunde", "customernumber": "7", "additional_data": {"a": 1}})).await.ok();
        let r = app.put(&format!("/Loyalty/Customers/{CUSTOMER}"), PINNED, json!({"anonymize": true})).await;
        assert_eq!(r.ok(), &json!({"object": "loyalty.customers", "id": CUSTOMER, "created": "2018-05-03T10:14:06+02:00",
            "merchant": {"object": "general.merchants", "id": MERCHANT},
            "contact": null, "merchant_contact": null, "account_contact": null, "payment_container": [],
            "customernumber": null, "note": null, "consent_for_communication": null, "additional_data": null}));
        let card = merchantcard(&app, A.mcd).await;
        assert_eq!(card["customer"], json!({"object": "loyalty.customers", "id": CUSTOMER, "contact": null,
            "created": "2018-05-03T10:14:06+02:00", "consent_for_communication": null}));
        let r = app.put(&format!("/Loyalty/Customers/{CUSTOMER}"), PINNED, json!({"anonymize": false})).await;
        assert_eq!(r.ok()["contact"], Value::Null, "irreversible");
    }

    async fn payment_containers_are_not_served_and_other_merchants_customers_are_404(app: TestApp) {
        let path = format!("/Loyalty/Customers/{CUSTOMER}/assignPaymentContainer/PCT_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
        app.post(&path, PINNED, json!({})).await.assert_error(404, 3001);
        app.send(Method::DELETE, &path, Some(PINNED), None).await.assert_error(404, 3001);
        let other = other_merchant(&app).await;
        assert_eq!(app.get("/Loyalty/Customers", &other.token).await.ok(), &json!({"count": 0, "data": []}));
        app.get(&format!("/Loyalty/Customers/{CUSTOMER}"), &other.token).await.assert_error(404, 3001);
        app.put(&format!("/Loyalty/Customers/{CUSTOMER}"), &other.token, json!({"anonymize": true})).await.assert_error(404, 3001);
        app.post(&format!("/Loyalty/MerchantCards/{}/setCustomer/{CUSTOMER}", A.mcd), &other.token, json!({})).await.assert_error(404, 3001);
        let mine = app.post("/Loyalty/Customers", &other.token, json!({"customernumber": "1"})).await;
        let mine = mine.ok()["id"].as_str().unwrap().to_owned();
        app.post(&format!("/Loyalty/MerchantCards/{}/setCustomer/{mine}", A.mcd), PINNED, json!({})).await.assert_error(404, 3001);
        assert_eq!(app.get(&format!("/Loyalty/Customers/{CUSTOMER}"), PINNED).await.ok(), &max_mustermann());
    }
}
