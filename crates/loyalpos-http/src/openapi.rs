//! The API description: an OpenAPI 3.1 document served at `GET /api/v2/openapi.json` (public: it
//! describes the contract, holds no tenant data, and lets Swagger UI and SDK generators fetch it
//! without a token), and Swagger UI at `GET /docs` with its assets from the `swagger-ui-dist`
//! crate (no network at build or run time).
//!
//! The paths come from the route table, which hands its routes to [`document`] (so every routed
//! path is described) and serves the result;
//! what each operation takes and returns is written here once, with the exact wire keys of
//! models.md. Response objects are strict (`required` = every field, `additionalProperties:
//! false`, api.md §1.3 "null, not omitted"), so the black-box tests that validate real responses
//! against this document catch any drift between the two.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use loyalpos_domain::card::LOCK_REASONS;
use loyalpos_domain::direct::DirectAction;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::app::{App, Req};
use crate::auth::Right;
use crate::error::{ApiError, ApiResult};

/// `GET /docs`: Swagger UI on the document.
pub async fn docs(_app: Arc<App>, _req: Req) -> ApiResult<Response> {
    swagger_ui(DOCS).await
}

/// `GET /docs/{asset}`: Swagger UI's script and style sheet.
pub async fn docs_asset(_app: Arc<App>, req: Req) -> ApiResult<Response> {
    let asset = req.param(0);
    // Asset names are plain file names; anything else (`?`, `<`, non-ASCII) is no asset, and
    // would not even make a request URI for the UI's router.
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    if !asset.bytes().all(plain) {
        return Err(ApiError::not_found("docs asset", asset));
    }
    swagger_ui(&format!("{DOCS}/{asset}")).await
}

const DOCS: &str = "/docs";
const DOCUMENT: &str = "/api/v2/openapi.json";

async fn swagger_ui(path: &str) -> ApiResult<Response> {
    static UI: OnceLock<axum::Router> = OnceLock::new();
    let ui = UI.get_or_init(|| {
        swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
            uri_prefix: DOCS,
            api_definition: swagger_ui_dist::OpenApiSource::Uri(DOCUMENT),
            title: Some("loyalpos — secuconnect API v2"),
        })
    });
    let request = Request::get(path)
        .body(Body::empty())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let response = ui
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if response.status() != StatusCode::OK {
        return Err(ApiError::not_found("docs asset", path));
    }
    Ok(response)
}

/// Routes that have no operation described here (none of the table's may; a test checks).
pub fn undescribed(routes: &[(Method, &str, Right)]) -> Vec<String> {
    routes
        .iter()
        .filter(|(method, pattern, _)| operation(method, pattern).is_none())
        .map(|(method, pattern, _)| format!("{method} {pattern}"))
        .collect()
}

/// `/api/v2/Smart/Transactions/:id` → `/api/v2/Smart/Transactions/{id}` and its parameter names.
pub fn template(pattern: &str) -> (String, Vec<&str>) {
    let mut names = Vec::new();
    let path = pattern
        .split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => {
                names.push(name);
                format!("{{{name}}}")
            }
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    (path, names)
}

/// A path parameter: an object id where the route takes only that (a malformed one is 400/4003),
/// `me` or an id where the route takes both, a start method, a receipt number, else any text
/// without control characters (C0, DEL, C1: 400/4001, routes::segments).
fn path_param(method: &Method, pattern: &str, name: &str) -> Value {
    const IDS: [(&str, &str, &str); 13] = [
        ("/General/Stores/:id", "id", "STO"),
        ("/Smart/Devices/:id", "id", "SDV"),
        ("/Smart/Transactions/:id", "id", "STX"),
        ("/Loyalty/Transactions/:id", "id", "LTX"),
        ("/Loyalty/Customers/:id", "id", "CUS"),
        ("/Loyalty/Cardgroups/:id", "id", "CRG"),
        ("/Loyalty/Cards/:id", "id", "CRD"),
        ("/Loyalty/MerchantCards/:id", "id", "MCD"),
        ("/getPublicData/:contract", "contract", "GCR"),
        ("/setCustomer/:customer", "customer", "CUS"),
        ("/:cardgroup", "cardgroup", "CRG"),
        ("/General/Merchants/:id", "id", "MRC"),
        ("/:merchant", "merchant", "MRC"),
    ];
    // Merchant card actions that also take `me` with the card number in the body (CardAddress).
    const BY_ADDRESS: [&str; 8] = [
        "/checkCsc",
        "/checkPasscode",
        "/getCardBalanceReceipt",
        "/lock",
        "/newPasscode",
        "/resetPasscode",
        "/transaction/",
        "/unlock",
    ];
    let prefix = IDS
        .iter()
        .find(|(route, param, _)| name == *param && pattern.contains(route))
        .map(|(_, _, prefix)| *prefix);
    let by_address = prefix == Some("MCD")
        && BY_ADDRESS.iter().any(|a| pattern.contains(a))
        && *method != Method::GET;
    match (prefix, name) {
        (Some("MRC"), _) => merchant_id(),
        (Some("MCD"), _) if by_address => {
            json!({"type": "string", "pattern": "^([Mm][Ee]|MCD_[A-Z0-9]{30})$"})
        }
        (Some(prefix), _) => {
            json!({"type": "string", "pattern": format!("^{prefix}_[A-Z0-9]{{30}}$")})
        }
        (None, "account") => json!({"type": "string", "pattern": "^([Mm][Ee]|ACC_[A-Z0-9]{30})$"}),
        (None, "method") if pattern.contains("/start/") => {
            json!({"type": "string", "enum": ["cash", "loyalty", "cashless", "demo"]})
        }
        (None, "receipt") => json!({"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}),
        _ => {
            json!({"type": "string", "minLength": 1, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F/]+$"})
        }
    }
}

/// The document describing `routes` (method, pattern, right), in their order.
pub fn document(routes: &[(Method, &str, Right)]) -> Value {
    let mut paths = Map::new();
    for &(ref method, pattern, right) in routes {
        let (path, names) = template(pattern);
        let op = operation(method, pattern).unwrap_or_else(|| Op::new("Undescribed route"));
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[method.as_str().to_lowercase()] = op.render(method, pattern, &names, right);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "loyalpos — secuconnect API v2 for loyalty at the point of sale",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The secuconnect API v2 (Smart Transactions, Loyalty, General, Smart Devices) as served by loyalpos. \
                Every success is 200 with JSON; every error other than OAuth's carries the error envelope. Lists take \
                count, offset, sort, fields and the q query language (api.md §5).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "OAuth"}, {"name": "Smart Transactions"}, {"name": "Loyalty MerchantCards"},
            {"name": "Loyalty Cards"}, {"name": "Loyalty Cardgroups"}, {"name": "Loyalty Customers"},
            {"name": "Loyalty Transactions"}, {"name": "General"}, {"name": "Smart Devices"}, {"name": "Service"}
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http", "scheme": "bearer",
                    "description": "An access token from POST /oauth/token, sent as `Authorization: Bearer T` (the docs' `Authenticate: Bearer T` works the same)."
                }
            },
            "parameters": list_parameters(),
            "responses": {
                "Error": {
                    "description": "The error envelope (api.md §3): 400, 401, 403, 404, 405, 409, 413, 429, 402, 500, 503.",
                    "headers": {
                        "X-Support-Id": {"$ref": "#/components/headers/SupportId"},
                        "Retry-After": {"$ref": "#/components/headers/RetryAfter"},
                        "Idempotent-Replayed": {"$ref": "#/components/headers/IdempotentReplayed"}
                    },
                    "content": {"application/json": {"schema": r("ErrorEnvelope")}}
                }
            },
            "headers": answer_headers(),
            "schemas": schemas(),
        }
    })
}

// ---- operations ----

/// What one operation takes and returns.
struct Op {
    summary: &'static str,
    tag: &'static str,
    body: Option<Value>,
    body_required: bool,
    response: Value,
    list: bool,
    /// Said after who may call the operation.
    note: Option<&'static str>,
}

impl Op {
    fn new(summary: &'static str) -> Op {
        Op {
            summary,
            tag: "Service",
            body: None,
            body_required: false,
            response: json!({"type": "object"}),
            list: false,
            note: None,
        }
    }
    fn note(mut self, note: &'static str) -> Op {
        self.note = Some(note);
        self
    }
    fn tag(mut self, tag: &'static str) -> Op {
        self.tag = tag;
        self
    }
    fn takes(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    fn requires(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self.body_required = true;
        self
    }
    fn gives(mut self, schema: Value) -> Op {
        self.response = schema;
        self
    }
    fn list_of(mut self, item: &str) -> Op {
        self.list = true;
        self.response = r(&format!("{item}List"));
        self
    }

    fn render(&self, method: &Method, pattern: &str, names: &[&str], right: Right) -> Value {
        let mut parameters: Vec<Value> = names
            .iter()
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_param(method, pattern, name)}))
            .collect();
        if self.list {
            for p in ["count", "offset", "sort", "fields", "q", "expand"] {
                parameters.push(json!({"$ref": format!("#/components/parameters/{p}")}));
            }
        }
        let keyed =
            (method == Method::POST || method == Method::PUT) && pattern.starts_with("/api/v2");
        if keyed {
            parameters.push(json!({"$ref": "#/components/parameters/IdempotencyKey"}));
        }
        let mut ok_headers = json!({"X-Support-Id": {"$ref": "#/components/headers/SupportId"}});
        if keyed {
            ok_headers["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/IdempotentReplayed"});
        }
        let who = match right {
            Right::Public => "No token.",
            Right::Any => "Any token (device, merchant client, merchant user).",
            Right::MerchantLevel => {
                "Merchant client or merchant user token; device tokens get 403/2004."
            }
            Right::DeviceOnly => "Device token only; others get 403/2004.",
            Right::UserOnly => "Merchant user token only; others get 403/2004.",
        };
        let mut op = json!({
            "tags": [self.tag],
            "summary": self.summary,
            "description": match self.note {
                Some(note) => format!("{who} {note}"),
                None => who.to_owned(),
            },
            "operationId": operation_id(method, pattern),
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "headers": ok_headers, "content": {"application/json": {"schema": self.response}}},
                "default": {"$ref": "#/components/responses/Error"}
            }
        });
        if right == Right::Public {
            op["security"] = json!([]);
        }
        if let Some(body) = &self.body {
            op["requestBody"] = if pattern == "/oauth/token" {
                json!({"required": true, "content": {
                    "application/json": {"schema": body},
                    "application/x-www-form-urlencoded": {"schema": body}}})
            } else {
                json!({"required": self.body_required, "content": {"application/json": {"schema": body}}})
            };
        }
        if pattern == "/oauth/token" {
            op["responses"]["default"] = json!({"description": "OAuth error (api.md §2.7)",
                "content": {"application/json": {"schema": r("OAuthError")}}});
        }
        if pattern.starts_with("/docs") {
            op["responses"]["200"] = json!({"description": "Swagger UI", "content": {"text/html": {}, "text/javascript": {}, "text/css": {}}});
        }
        if pattern == "/metrics" {
            op["responses"]["200"] = json!({"description": "Prometheus text format",
                "content": {"text/plain": {"schema": {"type": "string"}}}});
        }
        op
    }
}

fn operation_id(method: &Method, pattern: &str) -> String {
    let mut id = method.as_str().to_lowercase();
    for seg in pattern
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api" && *s != "v2")
    {
        let seg = seg.trim_start_matches(':').replace('.', "_");
        let mut chars = seg.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

/// The operation of a routed (method, pattern); `None` for a route this table does not know.
fn operation(method: &Method, pattern: &str) -> Option<Op> {
    use Method as M;
    let stx = "Smart Transactions";
    let mcd = "Loyalty MerchantCards";
    let path = pattern.strip_prefix("/api/v2").unwrap_or(pattern);
    let m = method.clone();
    Some(match (m, path) {
        (M::GET, "/health") => Op::new("The process is up").gives(r("ServiceStatus")),
        (M::GET, "/ready") => {
            Op::new("The database answers (503 otherwise)").gives(r("ServiceStatus"))
        }
        (M::GET, "/metrics") => Op::new(
            "Store counters in the Prometheus text format (statements, units, commits, cache hits)",
        ),
        (M::POST, "/oauth/token") => Op::new(
            "Token endpoint: client_credentials, device, refresh_token, device_pin, appuser",
        )
        .tag("OAuth")
        .note(
            "After 10 refused credentials of one client or 30 from one address within 60 s, \
             token requests of that client or address get 429/2006 (the API error envelope) with \
             `Retry-After` until the 60 s are over.",
        )
        .requires(r("TokenRequest"))
        .gives(json!({"oneOf": [r("TokenResponse"), r("DeviceRegistration")]})),
        (M::GET, "/openapi.json") => Op::new("This document").gives(json!({"type": "object"})),
        (M::GET, "/docs") => Op::new("Swagger UI"),
        (M::GET, "/docs/:asset") => Op::new("Swagger UI assets"),
        // General
        (M::GET, "/General/Merchants") => Op::new("The token's merchant as a list")
            .tag("General")
            .list_of("Merchant"),
        (M::GET, "/General/Merchants/:id") => Op::new("A merchant (`me` for the token's)")
            .tag("General")
            .gives(r("Merchant")),
        (M::PUT, "/General/Merchants/:id") => {
            Op::new("Update the public data (legal details, urls)")
                .tag("General")
                .takes(r("PublicDataDto"))
                .gives(r("Merchant"))
        }
        (M::GET, "/General/Merchants/:id/MerchantCategories") => Op::new("Merchant categories")
            .tag("General")
            .gives(arr(obj(&[("id", int()), ("description", string())]))),
        (M::POST, "/General/Merchants/:id/getPublicData/:contract") => {
            Op::new("Public data of the merchant")
                .tag("General")
                .takes(any_object())
                .gives(r("PublicData"))
        }
        (M::GET, "/General/Stores") => Op::new("Stores").tag("General").list_of("Store"),
        (M::POST, "/General/Stores") => Op::new("Create a store")
            .tag("General")
            .requires(r("StoreDto"))
            .gives(r("Store")),
        (M::GET, "/General/Stores/:id") => Op::new("A store").tag("General").gives(r("Store")),
        (M::PUT, "/General/Stores/:id") => Op::new("Update a store")
            .tag("General")
            .takes(r("StoreDto"))
            .gives(r("Store")),
        (M::POST, "/General/Stores/:id/setDefault") => {
            Op::new("Make the store the merchant's default")
                .tag("General")
                .takes(obj_loose(&[("reason", string())]))
                .gives(r("ResultBoolean"))
        }
        // Smart Devices
        (M::GET, "/Smart/Devices") => Op::new("Devices").tag("Smart Devices").list_of("Device"),
        (M::POST, "/Smart/Devices") => Op::new("Create a device")
            .tag("Smart Devices")
            .requires(r("DeviceDto"))
            .gives(r("Device")),
        (M::GET, "/Smart/Devices/:id") => {
            Op::new("A device").tag("Smart Devices").gives(r("Device"))
        }
        (M::PUT, "/Smart/Devices/:id") => Op::new("Update a device")
            .tag("Smart Devices")
            .takes(r("DeviceDto"))
            .gives(r("Device")),
        (M::POST, "/Smart/Devices/:id/GetSecubaseConfig") => {
            Op::new("Secubase configuration (always [])")
                .tag("Smart Devices")
                .takes(any_object())
                .gives(arr(any_object()))
        }
        (M::PUT, "/Smart/Devices/:id/devicePin") => Op::new("Set the device PIN")
            .tag("Smart Devices")
            .requires(obj_loose(&[
                ("store_id", string()),
                ("merchant_id", string()),
                ("pin", string()),
            ]))
            .gives(r("ResultBoolean")),
        (M::GET, "/Smart/Devices/:id/devicePinConfig") => Op::new("Where a device PIN is set")
            .tag("Smart Devices")
            .gives(r("DevicePinConfig")),
        (M::PUT, "/Smart/Devices/:id/pin") => Op::new("Set the user PIN")
            .tag("Smart Devices")
            .requires(obj_loose(&[("user_pin", string())]))
            .gives(r("Device")),
        (M::GET, "/Smart/Devices/:id/routing/:type") => {
            Op::new("Routing (not served: always null data)")
                .tag("Smart Devices")
                .gives(any_object())
        }
        // Loyalty Cardgroups
        (M::GET, "/Loyalty/Cardgroups") => Op::new("Card groups")
            .tag("Loyalty Cardgroups")
            .list_of("Cardgroup"),
        (M::POST, "/Loyalty/Cardgroups") => Op::new("Create a card group")
            .tag("Loyalty Cardgroups")
            .requires(r("CardgroupDto"))
            .gives(r("Cardgroup")),
        (M::GET, "/Loyalty/Cardgroups/:id") => Op::new("A card group")
            .tag("Loyalty Cardgroups")
            .gives(r("Cardgroup")),
        (M::PUT, "/Loyalty/Cardgroups/:id") => Op::new("Update a card group")
            .tag("Loyalty Cardgroups")
            .takes(r("CardgroupDto"))
            .gives(r("Cardgroup")),
        (M::POST, "/Loyalty/Cardgroups/:id/checkPasscodeEnabled") => {
            Op::new("Whether an action needs the passcode")
                .tag("Loyalty Cardgroups")
                .requires(loose_requiring(
                    &[
                        (
                            "action",
                            one_of(&[
                                "charge",
                                "discharge",
                                "sale_revenue",
                                "charge_points",
                                "discharge_points",
                                "cashreport",
                                "cash_report",
                            ]),
                        ),
                        ("cardnumber", card_number()),
                    ],
                    &["action"],
                ))
                .gives(r("ResultBoolean"))
        }
        // Loyalty Cards
        (M::GET, "/Loyalty/Cards") => Op::new("Cards with a merchant card here")
            .tag("Loyalty Cards")
            .list_of("Card"),
        (M::GET, "/Loyalty/Cards/:id") => Op::new("A card").tag("Loyalty Cards").gives(r("Card")),
        (M::POST, "/Loyalty/Cards/:id/assignUser/:account") => {
            Op::new("Assign the card to an account")
                .tag("Loyalty Cards")
                .takes(obj_loose(&[("pin", string())]))
                .gives(r("Card"))
        }
        (M::DELETE, "/Loyalty/Cards/:id/assignUser/:account") => {
            Op::new("Remove the card's account")
                .tag("Loyalty Cards")
                .gives(r("Card"))
        }
        // Loyalty Customers
        (M::GET, "/Loyalty/Customers") => Op::new("Loyalty customers")
            .tag("Loyalty Customers")
            .list_of("Customer"),
        (M::POST, "/Loyalty/Customers") => Op::new("Create a customer")
            .tag("Loyalty Customers")
            .takes(r("CustomerDto"))
            .gives(r("Customer")),
        (M::GET, "/Loyalty/Customers/:id") => Op::new("A customer")
            .tag("Loyalty Customers")
            .gives(r("Customer")),
        (M::PUT, "/Loyalty/Customers/:id") => Op::new("Update (or anonymize) a customer")
            .tag("Loyalty Customers")
            .takes(r("CustomerDto"))
            .gives(r("Customer")),
        (M::POST | M::DELETE, "/Loyalty/Customers/:id/assignPaymentContainer/:container") => {
            Op::new("Payment containers (not served)")
                .tag("Loyalty Customers")
                .gives(r("Customer"))
        }
        // Loyalty Transactions
        (M::GET, "/Loyalty/Transactions") => Op::new("The ledger")
            .tag("Loyalty Transactions")
            .list_of("LoyaltyTransaction"),
        (M::GET, "/Loyalty/Transactions/:id") => Op::new("A loyalty transaction")
            .tag("Loyalty Transactions")
            .gives(r("LoyaltyTransaction")),
        // Loyalty MerchantCards
        (M::GET, "/Loyalty/MerchantCards") => {
            Op::new("Merchant cards").tag(mcd).list_of("MerchantCard")
        }
        (M::GET, "/Loyalty/MerchantCards/:id") => {
            Op::new("A merchant card").tag(mcd).gives(r("MerchantCard"))
        }
        (M::PUT, "/Loyalty/MerchantCards/:id") => Op::new("Update expiry date")
            .tag(mcd)
            .takes(obj_loose(&[
                ("expiry_date", nullable(string())),
                ("payment_container", nullable(string())),
                ("additional_data", any_object()),
            ]))
            .gives(r("MerchantCard")),
        (M::GET, "/Loyalty/MerchantCards/:merchant/lockReasons") => Op::new("Lock reasons")
            .tag(mcd)
            .gives(arr(obj(&[("id", int()), ("desc", string())]))),
        (M::POST, "/Loyalty/MerchantCards/:merchant/createMerchantcards/:cardgroup") => Op::new(
            "Issue new cards",
        )
        .tag(mcd)
        .note(
            "Each new card's `csc` is shown in this answer only: it is never stored in clear \
                     text, so a replay of this request with its Idempotency-Key answers the same \
                     cards without `csc`.",
        )
        .requires(loose_requiring(
            &[
                (
                    "cards_amount",
                    json!({"type": "integer", "minimum": 1, "maximum": 100}),
                ),
                ("customer", r("CustomerDto")),
            ],
            &["cards_amount"],
        ))
        .gives(arr(r("CreatedMerchantCard"))),
        (M::PUT, "/Loyalty/MerchantCards/:id/cardgroup/:cardgroup") => {
            Op::new("Move the card to another group")
                .tag(mcd)
                .gives(r("MerchantCard"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/checkCsc") => Op::new("Check the CSC")
            .tag(mcd)
            .requires(loose_requiring(
                &[("cardnumber", card_number()), ("csc", string())],
                &["csc"],
            ))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/checkPasscode") => Op::new("Check the passcode")
            .tag(mcd)
            .requires(loose_requiring(
                &[("cardnumber", card_number()), ("pin", passcode())],
                &["pin"],
            ))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/getCardBalanceReceipt") => Op::new("Balance receipt")
            .tag(mcd)
            .requires(loose_requiring(
                &[("cardnumber", card_number()), ("terminal_id", string())],
                &[],
            ))
            .gives(r("BalanceReceipt")),
        (M::GET, "/Loyalty/MerchantCards/:id/lock") => {
            Op::new("Lock status").tag(mcd).gives(r("LockStatus"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/lock") => Op::new("Lock the card")
            .tag(mcd)
            .requires(r("LockRequest"))
            .gives(r("MerchantCard")),
        (M::POST, "/Loyalty/MerchantCards/:id/unlock") => Op::new("Unlock the card")
            .tag(mcd)
            .takes(r("UnlockRequest"))
            .gives(r("MerchantCard")),
        (M::POST, "/Loyalty/MerchantCards/:id/newPasscode") => Op::new("Set a new passcode")
            .tag(mcd)
            .requires(obj_loose(&[
                ("merchant", merchant_id()),
                ("cardnumber", card_number()),
                ("passcode", int()),
            ]))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/resetPasscode") => Op::new("Reset the passcode")
            .tag(mcd)
            .requires(obj_loose(&[
                ("cardnumber", card_number()),
                ("passcode", int()),
            ]))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/registerCustomer") => {
            Op::new("Register a customer on the card")
                .tag(mcd)
                .requires(r("CustomerDto"))
                .gives(r("MerchantCard"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/setCustomer/:customer") => {
            Op::new("Attach an existing customer")
                .tag(mcd)
                .gives(r("MerchantCard"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/transaction/:target") => {
            Op::new("Direct transaction (charge, discharge, cancel_last …)")
                .tag(mcd)
                .requires(r("DirectTransactionDto"))
                .gives(r("MerchantCardWithReceipt"))
        }
        (M::POST, "/Loyalty/MerchantCards/:any/validateMerchantcard") => {
            Op::new("Validate a card number")
                .tag(mcd)
                .requires(loose_requiring(
                    &[("merchant", string()), ("cardnumber", string())],
                    &["cardnumber"],
                ))
                .gives(r("ValidateResult"))
        }
        (M::GET, "/Loyalty/MerchantCards/:id/virtualTerminalData/:merchant") => {
            Op::new("Virtual terminal data")
                .tag(mcd)
                .gives(r("VirtualTerminalData"))
        }
        // Smart Transactions
        (M::GET, "/Smart/Transactions") => Op::new("Smart transactions")
            .tag(stx)
            .list_of("SmartTransaction"),
        (M::POST, "/Smart/Transactions") => Op::new("Create")
            .tag(stx)
            .requires(r("SmartTransactionDto"))
            .gives(r("SmartTransaction")),
        (M::GET, "/Smart/Transactions/:id") => Op::new("A smart transaction")
            .tag(stx)
            .gives(r("SmartTransaction")),
        (M::PUT, "/Smart/Transactions/:id") => {
            Op::new("Replace (status created or processing; drops the plan)")
                .tag(stx)
                .requires(r("SmartTransactionDto"))
                .gives(r("SmartTransaction"))
        }
        (M::POST, "/Smart/Transactions/:id/preTransaction") => {
            Op::new("Apply the card (bonus lines, missing sum)")
                .tag(stx)
                .gives(r("PreTransactionResult"))
        }
        (M::POST, "/Smart/Transactions/:id/start/:method") => {
            Op::new("Execute: cash, loyalty, cashless, demo")
                .tag(stx)
                .takes(any_object())
                .gives(r("SmartTransaction"))
        }
        (M::POST, "/Smart/Transactions/:id/cancel") => {
            Op::new("Cancel").tag(stx).gives(r("SmartTransaction"))
        }
        (M::POST, "/Smart/Transactions/:receipt/canceltrx") => {
            Op::new("Cancel by receipt number (own device)")
                .tag(stx)
                .gives(r("SmartTransaction"))
        }
        (M::POST, "/Smart/Transactions/:id/abort") => {
            Op::new("Abort").tag(stx).gives(r("SmartTransaction"))
        }
        (M::POST, "/Smart/Transactions/:id/setDelivery") => Op::new("Merge delivery options")
            .tag(stx)
            .requires(loose_requiring(
                &[("delivery_options", any_object())],
                &["delivery_options"],
            ))
            .gives(r("SmartTransaction")),
        (M::POST, "/Smart/Transactions/:id/prepare/:method") => {
            Op::new("Prepare (e-commerce; answers 400/4001)")
                .tag(stx)
                .takes(any_object())
        }
        (M::POST, "/Smart/Transactions/:device/diagnosis") => Op::new("Terminal diagnosis receipt")
            .tag(stx)
            .gives(any_object()),
        (M::POST, "/Smart/Transactions/:device/endOfDay") => {
            Op::new("End of day receipt").tag(stx).gives(any_object())
        }
        (M::POST, "/Smart/Transactions/:id/updatePaymentContainer") => {
            Op::new("Payment container (not served)")
                .tag(stx)
                .takes(any_object())
        }
        _ => return None,
    })
}

/// The response headers every answer or some answers carry (api.md §1, §6).
fn answer_headers() -> Value {
    json!({
        "SupportId": {"description": "The request's support id, also in the error envelope and the log line.",
                      "schema": {"type": "string"}},
        "IdempotentReplayed": {"description": "`true` when the answer is the recorded answer of an earlier request with the same Idempotency-Key.",
                               "schema": {"type": "string", "enum": ["true"]}},
        "RetryAfter": {"description": "Seconds to wait before retrying (429 and some 503 answers).",
                       "schema": {"type": "integer", "minimum": 0}}
    })
}

/// What `sort` accepts (list::params): comma-separated `path[:asc|:desc]`, blanks around the parts.
fn sort_pattern() -> String {
    let path = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*";
    let item = format!(r"\s*(?:{path}\s*(?::\s*(?:[Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])?)?\s*)?");
    format!("^{item}(?:,{item})*$")
}

fn list_parameters() -> Value {
    json!({
        "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": false,
                           "description": "A retry of a POST or PUT with the same key, body and caller gets the first answer again instead of a second effect (api.md §6).",
                           "schema": {"type": "string", "pattern": "^[\\x20-\\x7E]{1,255}$"}},
        "count": {"name": "count", "in": "query", "description": "Page size, default 100; above 1000 counts as 1000.",
                  "schema": {"type": "integer", "minimum": 0}},
        "offset": {"name": "offset", "in": "query", "description": "Zero-based start in the whole result.",
                   "schema": {"type": "integer", "minimum": 0}},
        "sort": {"name": "sort", "in": "query", "description": "`field:asc|desc`, comma-separated, dotted paths; also `sort[field]=asc`. Default: newest first, ties by id.",
                 "schema": {"type": "string", "pattern": sort_pattern()}},
        "fields": {"name": "fields", "in": "query", "description": "Projection: comma list of (dotted) fields; object and id are always kept.",
                   "schema": {"type": "string"}},
        "q": {"name": "q", "in": "query", "description": "Query (api.md §5.1): field:value, \"quoted\", * and ? wildcards, field:[a TO b], AND, OR, NOT, !, parentheses, dotted paths, bare terms. A syntax error is 400/4001 naming the position.",
              "schema": {"type": "string"}, "examples": {"card": {"value": "card.cardnumber:9276004428481652"}, "range": {"value": "status:ok AND created:[2026-01-01 TO 2026-12-31]"}}},
        "expand": {"name": "expand", "in": "query", "description": "Accepted and ignored (also scroll_expire, scroll_id, aggregate, meta, validate, preset).",
                   "schema": {"type": "string"}}
    })
}

// ---- schema helpers ----

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
fn string() -> Value {
    json!({"type": "string"})
}
fn int() -> Value {
    json!({"type": "integer"})
}
fn boolean() -> Value {
    json!({"type": "boolean"})
}
fn none() -> Value {
    json!({"type": "null"})
}
fn constant(value: &str) -> Value {
    json!({"const": value})
}
fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
fn arr(items: Value) -> Value {
    json!({"type": "array", "items": items})
}
fn any_object() -> Value {
    json!({"type": "object"})
}
/// Any JSON value (echoed fields: stored and returned as received).
fn any() -> Value {
    json!({})
}
fn nullable(schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some(t) if schema.as_object().is_some_and(|o| o.len() == 1) => json!({"type": [t, "null"]}),
        _ => json!({"anyOf": [schema, none()]}),
    }
}
/// A response object: exactly these keys, every one present.
fn obj(fields: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}
/// A request object: these keys are read, all optional; unknown keys are ignored (api.md §1.2).
fn obj_loose(fields: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties})
}
/// `obj` with some keys optional.
/// An open object (extra keys are ignored) with these keys required.
fn loose_requiring(fields: &[(&str, Value)], required: &[&str]) -> Value {
    let mut schema = obj_loose(fields);
    schema["required"] = json!(required);
    schema
}
/// A passcode or pin: four digits as an integer.
fn passcode() -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": 9999})
}
/// A card number as the server parses it (4003 otherwise).
fn card_number() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{16}$"})
}
/// `me`, the token's merchant or (demo) an alias; anything else well-formed is 404.
fn merchant_id() -> Value {
    json!({"type": "string", "pattern": "^([Mm][Ee]|MRC_[A-Z0-9]{30})$"})
}
fn obj_optional(fields: &[(&str, Value)], optional: &[&str]) -> Value {
    let mut schema = obj(fields);
    schema["required"] = json!(
        fields
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !optional.contains(k))
            .collect::<Vec<_>>()
    );
    schema
}
fn reference(object: &str) -> Value {
    obj(&[("object", constant(object)), ("id", string())])
}
fn time() -> Value {
    json!({"type": "string", "description": "ISO 8601 with offset, in the configured zone"})
}

fn schemas() -> Value {
    let mut s = Map::new();
    let mut put = |name: &str, schema: Value| {
        s.insert(name.to_owned(), schema);
    };

    // Common (models.md §1)
    put(
        "ErrorEnvelope",
        obj(&[
            ("status", constant("error")),
            ("error", string()),
            ("error_details", string()),
            ("error_user", string()),
            ("code", int()),
            (
                "supportId",
                json!({"type": "string", "pattern": "^[0-9a-f]{32}$"}),
            ),
        ]),
    );
    put(
        "OAuthError",
        obj(&[("error", string()), ("error_description", string())]),
    );
    put(
        "TokenRequest",
        loose_requiring(
            &[
                (
                    "grant_type",
                    one_of(&[
                        "client_credentials",
                        "device",
                        "refresh_token",
                        "device_pin",
                        "appuser",
                    ]),
                ),
                ("client_id", json!({"type": "string", "minLength": 1})),
                ("client_secret", string()),
                ("uuid", string()),
                ("code", string()),
                ("refresh_token", string()),
                ("device_pin", string()),
                ("username", string()),
                ("password", string()),
                ("device", string()),
                ("deviceinfo[name]", string()),
            ],
            &["grant_type", "client_id"],
        ),
    );
    put(
        "TokenResponse",
        obj_optional(
            &[
                ("access_token", string()),
                ("expires_in", int()),
                ("token_type", constant("bearer")),
                ("scope", nullable(string())),
                ("refresh_token", string()),
            ],
            &["refresh_token"],
        ),
    );
    put(
        "DeviceRegistration",
        obj(&[
            ("device_code", string()),
            ("user_code", string()),
            ("verification_url", string()),
            ("expires_in", int()),
            ("interval", int()),
        ]),
    );
    put("ResultBoolean", obj(&[("result", boolean())]));
    put("ServiceStatus", obj(&[("status", string())]));
    for item in [
        "Merchant",
        "Store",
        "Device",
        "Cardgroup",
        "Card",
        "Customer",
        "LoyaltyTransaction",
        "MerchantCard",
        "SmartTransaction",
    ] {
        put(
            &format!("{item}List"),
            obj(&[
                ("count", int()),
                ("data", arr(r(&format!("{item}Projected")))),
            ]),
        );
    }

    // Compact forms (models.md §1.3)
    put("MerchantRef", reference("general.merchants"));
    put("StoreRef", reference("general.stores"));
    put("ContractRef", reference("general.contracts"));
    put("DeviceRef", reference("smart.devices"));
    put(
        "CardRef",
        obj(&[
            ("object", constant("loyalty.cards")),
            ("id", string()),
            ("cardnumber", string()),
            ("created", time()),
        ]),
    );
    put(
        "CardgroupRef",
        obj(&[
            ("object", constant("loyalty.cardgroups")),
            ("id", string()),
            ("display_name", string()),
            ("display_name_raw", string()),
            ("stock_warn_limit", int()),
            ("picture", nullable(string())),
        ]),
    );
    put(
        "CustomerRef",
        obj(&[
            ("object", constant("loyalty.customers")),
            ("id", string()),
            (
                "contact",
                nullable(obj(&[
                    ("name", nullable(string())),
                    ("forename", nullable(string())),
                    ("surname", nullable(string())),
                    ("dob", nullable(string())),
                ])),
            ),
            ("created", time()),
            ("consent_for_communication", nullable(boolean())),
        ]),
    );
    put(
        "Related",
        obj(&[
            ("object", constant("loyalty.transactions")),
            ("id", string()),
            ("trans_id", int()),
            ("ref_type_id", none()),
            ("relation_type", constant("cancellation")),
        ]),
    );
    let address_fields = [
        "type",
        "street",
        "street_number",
        "city",
        "postal_code",
        "country",
        "additional_address_data",
    ];
    // Echoed as sent (models.md §1.4): keys the client left out stay out.
    put(
        "Address",
        obj_optional(
            &address_fields.map(|k| (k, nullable(string()))),
            &address_fields,
        ),
    );
    // The keys the view renders (every one present), so schema and view cannot drift apart.
    let contact: Vec<(&str, Value)> = crate::loyalty::views::CONTACT_KEYS
        .iter()
        .map(|&k| match k {
            "address" => (k, nullable(r("Address"))),
            _ => (k, nullable(string())),
        })
        .collect();
    put("Contact", obj(&contact));
    put(
        "ReceiptLine",
        obj_optional(
            &[
                (
                    "type",
                    one_of(&["separator", "name-value", "textline", "space"]),
                ),
                (
                    "value",
                    json!({"type": "object", "additionalProperties": false, "properties": {
            "caption": string(), "name": string(), "value": string(), "text": string(),
            "decoration": arr(one_of(&["important", "align-left", "align-center", "align-right"]))}}),
                ),
            ],
            &["value"],
        ),
    );

    // General (models.md §4)
    let geo_address = obj(&[
        ("type", nullable(string())),
        (
            "address_components",
            arr(obj(&[
                ("long_name", string()),
                ("short_name", string()),
                ("types", arr(string())),
            ])),
        ),
        ("address_formatted", nullable(string())),
        ("geometry", nullable(any_object())),
    ]);
    put(
        "Merchant",
        obj(&[
            ("object", constant("general.merchants")),
            ("id", string()),
            ("id_old", int()),
            ("type", string()),
            (
                "user",
                obj(&[
                    ("name", nullable(string())),
                    ("forename", nullable(string())),
                    ("surname", nullable(string())),
                    ("companyname", nullable(string())),
                    ("project_name", nullable(string())),
                    ("address", arr(geo_address.clone())),
                    ("email", arr(any_object())),
                ]),
            ),
            ("parent", none()),
            ("assigned_by", arr(any())),
            ("invited_by", arr(any())),
            ("legal_details", arr(any_object())),
            ("urls", arr(any_object())),
            ("store_name", nullable(string())),
            ("acceptance_points", arr(any())),
            ("two_fa", none()),
        ]),
    );
    put(
        "PublicData",
        obj(&[
            ("object", constant("general.merchants")),
            ("id", string()),
            ("legal_details", arr(any_object())),
            ("company", any_object()),
            ("merchant_urls", arr(any_object())),
        ]),
    );
    put(
        "PublicDataDto",
        obj_loose(&[
            ("legal_details", arr(any_object())),
            ("urls", arr(any_object())),
        ]),
    );
    let day_time = obj(&[("day", int()), ("time", string())]);
    // What a request may send (stores::check_open_hours): Sunday = 0, "HHMM" up to "2400".
    let day_time_in = obj(&[
        (
            "day",
            json!({"type": "integer", "minimum": 0, "maximum": 6}),
        ),
        (
            "time",
            json!({"type": "string", "pattern": "^(([01][0-9]|2[0-3])[0-5][0-9]|2400)$"}),
        ),
    ]);
    let open_hours_entry = obj(&[("open", day_time_in.clone()), ("close", day_time_in)]);
    put(
        "Store",
        obj(&[
            ("object", constant("general.stores")),
            ("id", string()),
            ("id_old", string()),
            ("merchant", r("MerchantRef")),
            ("store_name", string()),
            ("facebook_id", nullable(string())),
            ("source", none()),
            ("key", none()),
            ("hash", none()),
            (
                "address_components",
                arr(obj(&[
                    ("long_name", string()),
                    ("short_name", string()),
                    ("types", arr(string())),
                ])),
            ),
            ("address_formatted", nullable(string())),
            ("phone_number_formatted", nullable(string())),
            ("geometry", none()),
            ("name", string()),
            ("name_raw", string()),
            ("photo_main", nullable(string())),
            ("photo", arr(string())),
            ("category_main", none()),
            ("category", arr(any())),
            ("url_googleplus", none()),
            ("url_website", nullable(string())),
            (
                "open_hours",
                arr(obj(&[("open", day_time.clone()), ("close", day_time)])),
            ),
            ("open_now", boolean()),
            ("open_time", none()),
            ("utc_offset", none()),
            ("assigned_by", arr(any())),
            ("invited_by", arr(any())),
            ("has_beacon", boolean()),
            ("acceptance_point", boolean()),
        ]),
    );
    put(
        "StoreDto",
        obj_loose(&[
            ("name", string()),
            ("merchant", any()),
            ("address", r("Address")),
            ("facebook_id", string()),
            ("phone", string()),
            ("url_website", string()),
            ("photo_main", string()),
            ("photo", arr(string())),
            ("open_hours", arr(open_hours_entry)),
        ]),
    );

    // Smart Devices (models.md §5)
    put(
        "Device",
        obj(&[
            ("object", constant("smart.devices")),
            ("id", string()),
            ("created", time()),
            ("updated", nullable(time())),
            ("merchant", r("MerchantRef")),
            (
                "store",
                obj(&[
                    ("object", constant("general.stores")),
                    ("id", string()),
                    ("name", string()),
                ]),
            ),
            ("contract", nullable(r("ContractRef"))),
            ("vendor", nullable(string())),
            ("vendor_uid", nullable(string())),
            (
                "type",
                one_of(&["cashier", "zvt", "shopmodule", "webterminal"]),
            ),
            ("device", nullable(any_object())),
            ("routing", none()),
            ("user_pin", nullable(string())),
            ("products", any_object()),
            ("description", nullable(string())),
            ("tid", nullable(string())),
            ("idle_screen_register", none()),
            ("idle_screen_terminal", none()),
            ("online", boolean()),
            ("refresh", none()),
            ("connection_type", constant("https")),
            ("terminal_type", nullable(string())),
            ("base_version", nullable(string())),
            ("status", nullable(any_object())),
        ]),
    );
    put(
        "DeviceDto",
        obj_loose(&[
            ("merchant", any()),
            ("store", any()),
            // An object, or a device id that becomes the reference `{object, id}`.
            ("device", json!({"anyOf": [any_object(), string(), none()]})),
            ("contract", any()),
            ("vendor", string()),
            ("vendor_uid", string()),
            (
                "type",
                one_of(&["cashier", "zvt", "shopmodule", "webterminal"]),
            ),
            ("description", string()),
            ("tid", string()),
            // null leaves the stored document as it is.
            ("products", nullable(any_object())),
            ("terminal_type", string()),
            ("base_version", string()),
            ("status", nullable(any_object())),
        ]),
    );
    let pin_set = obj(&[("id", nullable(string())), ("auth_password_set", boolean())]);
    put(
        "DevicePinConfig",
        obj(&[
            ("merchant", pin_set.clone()),
            ("store", pin_set.clone()),
            ("smart_device", pin_set),
        ]),
    );

    // Loyalty (models.md §3)
    let merchantcard_fields = vec![
        ("object", constant("loyalty.merchantcards")),
        ("id", string()),
        ("merchant", r("MerchantRef")),
        ("created_for_merchant", r("MerchantRef")),
        ("card", r("CardRef")),
        ("cardgroup", r("CardgroupRef")),
        ("created_for_store", nullable(r("StoreRef"))),
        ("customer", nullable(r("CustomerRef"))),
        ("is_base_card", boolean()),
        ("points", int()),
        ("cash_balance", int()),
        ("bonus_balance", int()),
        ("balance", int()),
        ("last_usage", nullable(time())),
        ("last_charge", nullable(time())),
        ("stock_status", one_of(&["active", "inactive", "stored"])),
        ("lock_status", one_of(&["locked", "unlocked"])),
        ("passcode", int()),
        ("expiry_date", nullable(time())),
        ("payment_container", none()),
        ("customer_assignment_date", nullable(time())),
    ];
    put("MerchantCard", obj(&merchantcard_fields));
    let mut created = merchantcard_fields.clone();
    created.push(("csc", string()));
    let mut created = obj(&created);
    // The CSC is never stored in clear text: a replay with the Idempotency-Key answers without it.
    if let Some(required) = created["required"].as_array_mut() {
        required.retain(|k| k != "csc");
    }
    created["properties"]["csc"]["description"] =
        json!("Shown once; absent when the answer is replayed for an Idempotency-Key.");
    put("CreatedMerchantCard", created);
    let mut with_receipt = merchantcard_fields;
    with_receipt.extend([
        ("receipt_header", arr(r("ReceiptLine"))),
        ("receipt", arr(r("ReceiptLine"))),
        ("trans_id", int()),
        ("amount", int()),
    ]);
    put("MerchantCardWithReceipt", obj(&with_receipt));
    put(
        "Card",
        obj(&[
            ("object", constant("loyalty.cards")),
            ("id", string()),
            ("created", time()),
            ("account", nullable(reference("general.accounts"))),
            ("cardnumber", string()),
        ]),
    );
    let bonus_product = obj(&[
        ("tax", int()),
        ("desc", string()),
        ("articleNumber", nullable(string())),
        ("ean", nullable(string())),
    ]);
    put(
        "Cardgroup",
        obj(&[
            ("object", constant("loyalty.cardgroups")),
            ("id", string()),
            ("merchant", r("MerchantRef")),
            ("display_name", string()),
            ("display_name_raw", string()),
            ("stock_warn_limit", int()),
            ("picture", nullable(string())),
            ("balance_limit", none()),
            ("balance_expiry", boolean()),
            ("cancel_selected", boolean()),
            ("description", nullable(string())),
            ("currency", string()),
            (
                "bonus",
                obj(&[
                    ("rate", int()),
                    ("base", one_of(&["full", "reduced"])),
                    (
                        "filter",
                        obj(&[
                            ("mode", one_of(&["none", "blacklist", "whitelist"])),
                            ("codes", arr(string())),
                        ]),
                    ),
                    ("products", arr(bonus_product.clone())),
                ]),
            ),
            ("overdraft_allowed", boolean()),
            ("overdraft_limit", int()),
            ("passcode_policy", int()),
            ("card_creation_via_stx", boolean()),
        ]),
    );
    put(
        "CardgroupDto",
        obj_loose(&[
            ("display_name", string()),
            ("picture", nullable(string())),
            ("merchant", any()),
            ("cancel_selected", boolean()),
            ("stock_warn_limit", int()),
            ("description", nullable(string())),
            ("currency", string()),
            (
                "bonus",
                obj_loose(&[
                    ("rate", int()),
                    ("base", one_of(&["full", "reduced"])),
                    ("filter", any_object()),
                    ("products", arr(any_object())),
                ]),
            ),
            ("overdraft_allowed", boolean()),
            ("overdraft_limit", int()),
            ("passcode_policy", int()),
            ("card_creation_via_stx", boolean()),
        ]),
    );
    put(
        "Customer",
        obj(&[
            ("object", constant("loyalty.customers")),
            ("id", string()),
            ("created", time()),
            ("merchant", r("MerchantRef")),
            ("contact", nullable(r("Contact"))),
            ("merchant_contact", nullable(r("Contact"))),
            ("account_contact", none()),
            ("payment_container", arr(any())),
            ("customernumber", nullable(string())),
            ("note", nullable(string())),
            ("consent_for_communication", nullable(boolean())),
            ("additional_data", nullable(any_object())),
        ]),
    );
    put(
        "CustomerDto",
        obj_loose(&[
            ("merchant", any()),
            ("merchant_contact", any_object()),
            ("customernumber", nullable(string())),
            ("note", nullable(string())),
            (
                "consent_for_communication",
                json!({"anyOf": [{"type": "boolean"}, {"enum": ["accepted", "declined", "not_set"]}, {"type": "null"}]}),
            ),
            ("additional_data", any_object()),
            ("anonymize", boolean()),
        ]),
    );
    put(
        "LoyaltyTransaction",
        obj(&[
            ("object", constant("loyalty.transactions")),
            ("id", string()),
            ("created", time()),
            ("merchant", r("MerchantRef")),
            ("cardgroup", r("CardgroupRef")),
            ("store", nullable(r("StoreRef"))),
            ("merchantcard", reference("loyalty.merchantcards")),
            ("card", r("CardRef")),
            ("parents", arr(r("Related"))),
            ("children", arr(r("Related"))),
            ("cleared", boolean()),
            ("clearing_information", arr(any())),
            ("trans_id", int()),
            ("tid", nullable(string())),
            ("status", one_of(&["ok", "cancelled"])),
            ("amount", int()),
            ("currency", string()),
            ("balance", int()),
            ("description", string()),
            ("purpose", nullable(string())),
            ("additional_data", nullable(any_object())),
            ("last_change", time()),
            ("receipt", arr(r("ReceiptLine"))),
            ("is_cancelling", int()),
            (
                "bookings",
                arr(obj(&[
                    ("type", string()),
                    ("balance", one_of(&["cash", "bonus", "points"])),
                    ("amount", int()),
                ])),
            ),
            ("revenue", int()),
            (
                "smart_transaction",
                nullable(reference("smart.transactions")),
            ),
        ]),
    );
    put(
        "DirectTransactionDto",
        loose_requiring(
            &[
                (
                    "action",
                    json!({"type": "string", "enum": DirectAction::ALL.map(DirectAction::as_str)}),
                ),
                ("terminal_id", string()),
                ("amount", json!({"type": "integer", "minimum": 1})),
                ("tid", string()),
                ("store", string()),
                ("cardnumber", string()),
                ("bonus_amount", int()),
                ("amount_split_allowed", string()),
                ("merchant_id", string()),
                ("additional_data", any_object()),
            ],
            &["action"],
        ),
    );
    put(
        "BalanceReceipt",
        obj(&[
            ("valid", boolean()),
            ("balance", nullable(int())),
            ("cash_balance", nullable(int())),
            ("bonus_balance", nullable(int())),
            ("zvt_cardgroup", nullable(string())),
            ("points", nullable(int())),
            ("new_passcode", boolean()),
            ("receipt_header", arr(r("ReceiptLine"))),
            ("receipt", arr(r("ReceiptLine"))),
            ("amount_split_enabled", boolean()),
            ("limit_allowed", boolean()),
            ("limit_str", nullable(string())),
            ("limit", nullable(int())),
        ]),
    );
    put(
        "LockRequest",
        loose_requiring(
            &[
                (
                    "reason",
                    json!({"type": "integer", "enum": LOCK_REASONS.map(|(id, _)| id)}),
                ),
                ("note", nullable(string())),
                ("csc", string()),
                ("cardnumber", card_number()),
            ],
            &["reason"],
        ),
    );
    put(
        "UnlockRequest",
        obj_loose(&[
            ("reason", nullable(int())),
            ("note", nullable(string())),
            ("csc", string()),
        ]),
    );
    put(
        "LockStatus",
        obj(&[
            ("lock_status", one_of(&["locked", "unlocked"])),
            ("reason", nullable(int())),
            ("note", nullable(string())),
        ]),
    );
    put(
        "ValidateResult",
        obj_optional(
            &[
                ("isValid", boolean()),
                ("hasPasscode", boolean()),
                ("isLocked", boolean()),
            ],
            &["hasPasscode", "isLocked"],
        ),
    );
    put(
        "VirtualTerminalData",
        obj(&[
            (
                "store",
                obj(&[
                    ("object", constant("general.stores")),
                    ("id", string()),
                    ("name", string()),
                ]),
            ),
            ("tid", nullable(string())),
            ("actions", arr(string())),
            ("gift_terminal", int()),
            ("amount_split_enabled", int()),
            ("disabled", int()),
        ]),
    );

    // Smart Transactions (models.md §2)
    let basket_product = obj(&[
        ("id", int()),
        ("parent", nullable(int())),
        ("articleNumber", nullable(string())),
        ("ean", string()),
        ("desc", string()),
        ("quantity", int()),
        ("priceOne", int()),
        ("tax", int()),
        ("group", arr(any_object())),
        ("serialNumber", nullable(string())),
        ("item_type", string()),
        ("reference_id", nullable(string())),
        ("contract_id", nullable(string())),
        ("sum", nullable(int())),
        ("sub_basket", nullable(arr(any_object()))),
        ("plan_id", nullable(string())),
        ("start_at", nullable(string())),
    ]);
    put("BasketProduct", basket_product);
    put(
        "Ident",
        obj(&[
            ("object", constant("smart.idents")),
            ("id", string()),
            ("prefix", nullable(string())),
            ("name", string()),
            ("type", string()),
            ("value", string()),
            ("valid", boolean()),
            ("merchantcard", nullable(r("MerchantCard"))),
            ("customer", nullable(r("CustomerRef"))),
        ]),
    );
    let echo_object = nullable(any_object());
    put(
        "SmartTransaction",
        obj(&[
            ("object", constant("smart.transactions")),
            ("id", string()),
            (
                "merchant",
                obj(&[
                    ("object", constant("general.merchants")),
                    ("id", string()),
                    ("companyname", string()),
                ]),
            ),
            ("contract", nullable(r("ContractRef"))),
            ("provider_contract", echo_object.clone()),
            ("customer", echo_object.clone()),
            ("shipping_address", echo_object.clone()),
            ("container", echo_object.clone()),
            ("checkin", echo_object.clone()),
            ("device_source", nullable(r("DeviceRef"))),
            ("device_destination", nullable(r("DeviceRef"))),
            ("store", nullable(r("StoreRef"))),
            ("transactions", arr(reference("loyalty.transactions"))),
            ("created", time()),
            ("updated", nullable(time())),
            (
                "status",
                one_of(&["created", "processing", "ok", "failed", "cancelled"]),
            ),
            ("merchantRef", nullable(string())),
            ("transactionRef", nullable(string())),
            ("intent", nullable(string())),
            ("is_demo", boolean()),
            (
                "basket",
                obj(&[
                    ("products", arr(r("BasketProduct"))),
                    ("texts", arr(any())),
                    ("type", string()),
                ]),
            ),
            ("receipt", arr(r("ReceiptLine"))),
            ("receipt_merchant", arr(any())),
            ("receipt_merchant_print", boolean()),
            ("receipt_number", nullable(int())),
            (
                "basket_info",
                obj_optional(
                    &[
                        ("sum", int()),
                        ("gratuity", nullable(int())),
                        ("currency", string()),
                        ("missing_sum", int()),
                    ],
                    &["missing_sum"],
                ),
            ),
            ("idents", arr(r("Ident"))),
            ("payment_method", nullable(string())),
            ("trans_id", nullable(string())),
            ("tax_rate", nullable(int())),
            ("tax_amount", nullable(int())),
            ("cashier", any()),
            ("market", any()),
            ("product", any()),
            ("last_visited_page", any()),
            ("delivery_options", echo_object.clone()),
            ("checkout_links", echo_object.clone()),
            ("communications", echo_object.clone()),
            ("application_context", echo_object.clone()),
            ("payment_context", echo_object),
            ("iframe_url", none()),
            ("prepaid_sales", none()),
            ("payment_links", none()),
            ("payment_instructions", none()),
            ("subscription", none()),
        ]),
    );
    put(
        "SmartTransactionDto",
        obj_loose(&[
            ("merchant", any()),
            (
                "contract",
                nullable(loose_requiring(&[("id", string())], &["id"])),
            ),
            (
                "device_source",
                nullable(loose_requiring(&[("id", string())], &["id"])),
            ),
            ("provider_contract", any_object()),
            ("customer", any_object()),
            ("shipping_address", any_object()),
            ("container", any_object()),
            ("checkin", any_object()),
            ("transactionRef", string()),
            ("merchantRef", string()),
            (
                "basket",
                obj_loose(&[
                    (
                        "products",
                        arr(obj_loose(&[
                            ("id", int()),
                            ("parent", int()),
                            ("articleNumber", json!({"type": ["string", "integer"]})),
                            ("ean", string()),
                            ("desc", string()),
                            ("quantity", int()),
                            ("priceOne", int()),
                            ("tax", int()),
                            ("group", arr(any_object())),
                            ("serialNumber", string()),
                            ("item_type", string()),
                            ("reference_id", string()),
                            ("contract_id", string()),
                            ("sum", int()),
                            ("sub_basket", arr(any_object())),
                            ("plan_id", string()),
                            ("start_at", string()),
                        ])),
                    ),
                    ("type", string()),
                ]),
            ),
            (
                "basket_info",
                obj_loose(&[("sum", int()), ("currency", string()), ("gratuity", int())]),
            ),
            (
                "idents",
                arr(obj_loose(&[
                    ("type", one_of(&["card", "create_card"])),
                    ("value", string()),
                ])),
            ),
            ("tax_amount", int()),
            ("tax_rate", int()),
            ("market", string()),
            ("cashier", string()),
            ("product", string()),
            ("last_visited_page", string()),
            ("trans_id", int()),
            ("payment_method", string()),
            ("is_demo", boolean()),
            ("intent", one_of(&["sale", "order"])),
            ("checkout_links", any_object()),
            ("delivery_options", any_object()),
            ("communications", any_object()),
            ("application_context", any_object()),
            ("payment_context", any_object()),
        ]),
    );
    put(
        "PreTransactionResult",
        obj(&[
            ("missing_sum", int()),
            (
                "bonus_products",
                arr(obj(&[
                    ("id", int()),
                    ("articleNumber", nullable(string())),
                    ("ean", nullable(string())),
                    ("quantity", int()),
                    ("priceOne", int()),
                    ("tax", int()),
                    ("desc", string()),
                    ("serialNumber", none()),
                ])),
            ),
        ]),
    );
    project_list_items(&mut s);
    Value::Object(s)
}

/// A list item as `fields=` may project it: the object's properties, of which only `object` and
/// `id` are always there (api.md §5).
fn project_list_items(s: &mut Map<String, Value>) {
    let items: Vec<String> = s
        .keys()
        .filter_map(|k| k.strip_suffix("List").map(str::to_owned))
        .collect();
    for item in items {
        let mut projected = s[&item].clone();
        projected["required"] = json!(["object", "id"]);
        s.insert(format!("{item}Projected"), projected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_use_braces() {
        assert_eq!(
            template("/api/v2/Smart/Transactions/:id/start/:method"),
            (
                "/api/v2/Smart/Transactions/{id}/start/{method}".to_string(),
                vec!["id", "method"]
            )
        );
    }
}
