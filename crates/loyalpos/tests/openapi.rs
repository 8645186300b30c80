//! The API description (README "Lists, q and the API description"): `GET /api/v2/openapi.json` is a
//! valid OpenAPI 3.1 document that lists every routed path, Swagger UI is served at `/docs`, and real
//! responses validate against the schemas the document gives for their operation.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The official OpenAPI 3.1 schema (OpenAPI Initiative, Apache-2.0), kept here so the check
/// needs no network.
const OAS_31_SCHEMA: &str = include_str!("openapi/oas-3.1-schema-2022-10-07.json");

async fn document(app: &TestApp) -> Value {
    let r = app
        .send(Method::GET, "/api/v2/openapi.json", None, None)
        .await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.ok().clone()
}

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The operation of `method path` in the document, with its path template.
fn operation<'d>(doc: &'d Value, method: &Method, path: &str) -> (&'d str, &'d Value) {
    let path = path.split('?').next().unwrap();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (template, item) = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(template, item)| {
            let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            item.get(method.as_str().to_lowercase()).is_some()
                && t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t.eq_ignore_ascii_case(s))
        })
        .unwrap_or_else(|| panic!("no operation for {method} {path}"));
    (template, &item[method.as_str().to_lowercase()])
}

/// `schema` as a standalone schema that resolves the document's references.
fn standalone(doc: &Value, schema: Value) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    })
}

/// The schema the operation gives for an answer of `status` (or its `default`), as a standalone
/// schema.
fn answer_schema(doc: &Value, method: &Method, path: &str, status: u16) -> Value {
    let (template, op) = operation(doc, method, path);
    let responses = &op["responses"];
    let mut response = match &responses[status.to_string()] {
        Value::Null => &responses["default"],
        given => given,
    };
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = &doc["components"]["responses"][name];
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    assert!(schema.is_object(), "{method} {template}: no JSON schema");
    standalone(doc, schema)
}

/// The schema of `method path`'s JSON request body, as a standalone schema.
fn request_schema(doc: &Value, method: &Method, path: &str) -> Value {
    let (template, op) = operation(doc, method, path);
    let schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {template}: takes no JSON body"
    );
    standalone(doc, schema)
}

/// Sends a request whose body validates against the document's request schema, asserts it answers
/// the `expected` status and that the answer validates against the document's schema for that
/// status; returns the answer.
async fn checked(
    app: &TestApp,
    doc: &Value,
    expected: u16,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let outside = ["/api", "/oauth", "/health", "/ready"]
        .iter()
        .any(|p| path.starts_with(p));
    let full = if !outside {
        format!("/api/v2{path}")
    } else {
        path.to_owned()
    };
    if let Some(body) = &body {
        let problems = errors(&request_schema(doc, &method, &full), body);
        assert!(
            problems.is_empty(),
            "{method} {path}: the request does not match the document:\n{}",
            problems.join("\n")
        );
    }
    let r = app.send(method.clone(), path, token, body).await;
    let status = r.status.as_u16();
    assert_eq!(status, expected, "{method} {path}: {}", r.text);
    let schema = answer_schema(doc, &method, &full, status);
    let problems = errors(&schema, &r.body);
    assert!(
        problems.is_empty(),
        "{method} {path} ({status}) does not match the document:\n{}\n{}",
        problems.join("\n"),
        r.text
    );
    r.body
}

#[tokio::test]
async fn the_document_is_valid_openapi_31_and_lists_every_routed_path() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let meta: Value = serde_json::from_str(OAS_31_SCHEMA).unwrap();
    let problems = errors(&meta, &doc);
    assert!(
        problems.is_empty(),
        "not OpenAPI 3.1:\n{}",
        problems.join("\n")
    );
    for (method, pattern, _) in loyalpos_http::routes::routed() {
        let (template, _) = loyalpos_http::openapi::template(pattern);
        let op = &doc["paths"][&template][method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {template} missing from the document"
        );
        assert_ne!(op["summary"], "Undescribed route", "{method} {template}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // every component schema is itself a valid JSON schema
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let standalone = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [schema], "components": doc["components"]});
        assert!(jsonschema::validator_for(&standalone).is_ok(), "{name}");
    }
}

#[tokio::test]
async fn the_document_lists_the_idempotency_key_and_the_answer_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = document(&app).await;
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["$ref"].as_str())
            .map(|r| r.rsplit('/').next().unwrap().to_owned())
            .collect()
    };
    let create = &doc["paths"]["/api/v2/Smart/Transactions"]["post"];
    assert!(names(create).contains(&"IdempotencyKey".to_owned()));
    assert!(
        !names(&doc["paths"]["/api/v2/Smart/Transactions"]["get"])
            .contains(&"IdempotencyKey".to_owned())
    );
    let key = &doc["components"]["parameters"]["IdempotencyKey"];
    assert_eq!(
        (key["name"].as_str(), key["in"].as_str()),
        (Some("Idempotency-Key"), Some("header"))
    );
    let ok_headers = create["responses"]["200"]["headers"].as_object().unwrap();
    assert!(
        ok_headers.contains_key("X-Support-Id") && ok_headers.contains_key("Idempotent-Replayed")
    );
    let error_headers = doc["components"]["responses"]["Error"]["headers"]
        .as_object()
        .unwrap();
    for name in ["X-Support-Id", "Retry-After", "Idempotent-Replayed"] {
        assert!(error_headers.contains_key(name), "{name}");
    }
    for name in ["SupportId", "IdempotentReplayed", "RetryAfter"] {
        assert!(
            doc["components"]["headers"][name]["schema"].is_object(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn answers_that_are_not_json_carry_the_media_type_the_document_gives() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = document(&app).await;
    for (path, token, served) in [
        ("/api/v2/events", Some(PINNED), "text/event-stream"),
        ("/metrics", None, "text/plain"),
        ("/health", None, "application/json"),
    ] {
        let mut request = app.http.get(app.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        // Only the head is read: the event stream's body does not end.
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        let media = answer.headers()["content-type"].to_str().unwrap();
        let essence = media.split(';').next().unwrap().trim();
        assert_eq!(essence, served, "{path}");
        let (template, op) = operation(&doc, &Method::GET, path);
        let documented: Vec<&String> = op["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{template}: no 200 content"))
            .keys()
            .collect();
        assert_eq!(documented, [served], "{template}");
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let at = |path: &str| format!("{}{path}", app.server.base);
    let page = app.http.get(at("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/api/v2/openapi.json") && html.contains("/docs/swagger-ui-bundle.js"),
        "{html}"
    );
    for (asset, kind) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        let r = app
            .http
            .get(at(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        assert_eq!(r.headers()["content-type"].to_str().unwrap(), kind);
        assert!(r.bytes().await.unwrap().len() > 10_000, "{asset}");
    }
    let missing = TestApp::reply(app.http.get(at("/docs/nothing.js")).send().await.unwrap()).await;
    missing.assert_error(404, 3001);
}

on_both_backends! {
    async fn real_responses_validate_against_the_document(app: TestApp) {
        let doc = document(&app).await;
        let token_answer = checked(&app, &doc, 200, Method::POST, "/oauth/token", None, Some(json!({
            "grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": MERCHANT_CLIENT.1}))).await;
        let merchant_token = token_answer["access_token"].as_str().unwrap().to_owned();
        let t = Some(PINNED);
        // General and devices
        checked(&app, &doc, 200, Method::GET, "/General/Merchants/me", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/General/Merchants", t, None).await;
        checked(&app, &doc, 200, Method::GET, &format!("/General/Stores/{STORE}"), t, None).await;
        let store = checked(&app, &doc, 200, Method::POST, "/General/Stores", Some(&merchant_token), Some(json!({"name": "Filiale Nord",
            "address": {"street": "Hauptstr.", "street_number": "2", "postal_code": "01234", "city": "Nordstadt", "country": "DE"}}))).await;
        assert_eq!(store["name"], "Filiale Nord");
        checked(&app, &doc, 200, Method::GET, "/General/Stores", t, None).await;
        checked(&app, &doc, 200, Method::GET, &format!("/Smart/Devices/{CASH_REGISTER}"), t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Smart/Devices", t, None).await;
        checked(&app, &doc, 200, Method::POST, "/Smart/Devices", Some(&merchant_token), Some(json!({"type": "zvt", "vendor_uid": "/vendor/x/serial/9"}))).await;
        checked(&app, &doc, 200, Method::GET, &format!("/Smart/Devices/{CASH_REGISTER}/devicePinConfig"), t, None).await;
        let public = checked(&app, &doc, 200, Method::POST, "/General/Merchants/me/getPublicData/GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF", t, Some(json!({}))).await;
        assert!(public["company"]["address"]["address_components"].is_array(), "{public}");
        checked(&app, &doc, 200, Method::POST, &format!("/General/Stores/{STORE}/setDefault"), Some(&merchant_token), Some(json!({}))).await;
        let registration = checked(&app, &doc, 200, Method::POST, "/oauth/token", None, Some(json!({
            "grant_type": "device", "client_id": VENDOR_CLIENT.0, "client_secret": VENDOR_CLIENT.1, "uuid": "/vendor/acme/cashier/openapi"}))).await;
        assert!(registration["user_code"].is_string());
        checked(&app, &doc, 400, Method::POST, "/oauth/token", None, Some(json!({
            "grant_type": "client_credentials", "client_id": MERCHANT_CLIENT.0, "client_secret": "wrong"}))).await;
        // Smart transactions: created, after preTransaction, after start, cancelled
        let created = checked(&app, &doc, 200, Method::POST, "/Smart/Transactions", t, Some(card_body(CARD_A, docs_basket(), 796))).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let plan = checked(&app, &doc, 200, Method::POST, &format!("/Smart/Transactions/{id}/preTransaction"), t, None).await;
        assert!(plan["missing_sum"].is_i64(), "{plan}");
        checked(&app, &doc, 200, Method::GET, &format!("/Smart/Transactions/{id}"), t, None).await;
        let started = checked(&app, &doc, 200, Method::POST, &format!("/Smart/Transactions/{id}/start/cash"), t, None).await;
        assert_eq!(started["status"], "ok");
        assert!(!started["receipt"].as_array().unwrap().is_empty());
        checked(&app, &doc, 200, Method::POST, &format!("/Smart/Transactions/{id}/cancel"), t, None).await;
        checked(&app, &doc, 200, Method::GET, &format!("/Smart/Transactions/{SEED_STX}"), t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Smart/Transactions?count=3", t, None).await;
        // Loyalty
        checked(&app, &doc, 200, Method::GET, &format!("/Loyalty/MerchantCards/{MCD_A}"), t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/MerchantCards?q=card.cardnumber:9276004428481652", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/MerchantCards/me/lockReasons", t, None).await;
        checked(&app, &doc, 200, Method::GET, &format!("/Loyalty/MerchantCards/{MCD_E}/lock"), t, None).await;
        checked(&app, &doc, 200, Method::GET, &format!("/Loyalty/MerchantCards/{MCD_A}/virtualTerminalData/me"), t, None).await;
        checked(&app, &doc, 200, Method::POST, "/Loyalty/MerchantCards/me/validateMerchantcard", t, Some(json!({"cardnumber": CARD_B}))).await;
        checked(&app, &doc, 200, Method::POST, "/Loyalty/MerchantCards/me/validateMerchantcard", t, Some(json!({"cardnumber": "9276000000000000"}))).await;
        checked(&app, &doc, 200, Method::POST, &format!("/Loyalty/MerchantCards/{MCD_A}/getCardBalanceReceipt"), t, Some(json!({"cardnumber": CARD_A}))).await;
        checked(&app, &doc, 200, Method::POST, &format!("/Loyalty/MerchantCards/{MCD_A}/transaction/me"), t, Some(json!({"action": "charge", "amount": 500, "amount_split_allowed": "1"}))).await;
        checked(&app, &doc, 200, Method::POST, &format!("/Loyalty/MerchantCards/{MCD_A}/lock"), t, Some(json!({"reason": 2, "note": "verloren"}))).await;
        checked(&app, &doc, 200, Method::POST, &format!("/Loyalty/MerchantCards/{MCD_A}/unlock"), t, Some(json!({"reason": 1, "note": "wiedergefunden"}))).await;
        let issued = checked(&app, &doc, 200, Method::POST, "/Loyalty/MerchantCards/me/createMerchantcards/CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK", t, Some(json!({"cards_amount": 1}))).await;
        assert!(issued[0]["csc"].is_string());
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Cardgroups/CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Cardgroups", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Cards?count=2", t, None).await;
        checked(&app, &doc, 200, Method::POST, "/Loyalty/Customers", t, Some(json!({"merchant_contact": {"forename": "Erika", "surname": "Muster",
            "address": {"street": "Weg", "city": "Ort"}}, "customernumber": "K-1", "additional_data": {"x": 1}}))).await;
        // null, as the SDKs send an unset field, is accepted and documented
        let unset = checked(&app, &doc, 200, Method::POST, "/Loyalty/Customers", t, Some(json!({"customernumber": "K-2",
            "merchant_contact": null, "additional_data": null}))).await;
        assert_eq!(unset["additional_data"], Value::Null, "{unset}");
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Customers", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Transactions/LTX_DEMOOPENING0000000000000000002", t, None).await;
        checked(&app, &doc, 200, Method::GET, "/Loyalty/Transactions?count=1000", t, None).await;
        // Errors carry the envelope
        checked(&app, &doc, 400, Method::GET, "/Loyalty/MerchantCards?q=(card.cardnumber", t, None).await;
        checked(&app, &doc, 404, Method::GET, "/Loyalty/MerchantCards/MCD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", t, None).await;
        checked(&app, &doc, 401, Method::GET, "/General/Merchants/me", Some("nope"), None).await;
        // Service routes
        checked(&app, &doc, 200, Method::GET, "/health", None, None).await;
        checked(&app, &doc, 200, Method::GET, "/ready", None, None).await;
    }
}
