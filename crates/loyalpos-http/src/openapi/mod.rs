//! The API description: an OpenAPI 3.1 document served at `GET /api/v2/openapi.json` (public: it
//! describes the contract, holds no tenant data, and lets Swagger UI and SDK generators fetch it
//! without a token), and Swagger UI at `GET /docs` with its assets from the `swagger-ui-dist`
//! crate (no network at build or run time).
//!
//! The paths come from the route table, which hands its routes to [`document`] (so every routed
//! path is described) and serves the result; each operation names here what it takes and returns,
//! and [`schemas`] derives those schemas from the wire types the handlers deserialise and the
//! views they serialise. Response objects are strict (`required` = every field serde writes,
//! `additionalProperties: false`, api.md §1.3 "null, not omitted"), so the black-box tests that
//! validate real responses against this document catch any drift between the two.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::app::{App, Req};
use crate::auth::Right;
use crate::error::{ApiError, ApiResult};

pub(crate) mod schemas;
use schemas::{
    any, any_object, arr, int, lock_request, merchant_id, obj, obj_loose, r, schemas, string,
};

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
    /// The media type of a 200 answer.
    media: &'static str,
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
            media: "application/json",
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
    /// A 200 answer that is not JSON.
    fn gives_as(mut self, media: &'static str, schema: Value) -> Op {
        self.media = media;
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
                "200": {"description": "OK", "headers": ok_headers, "content": {self.media: {"schema": self.response}}},
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
        )
        .gives_as("text/plain", string()),
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
        (M::GET, "/events") => Op::new(
            "The event stream (Server-Sent Events, `text/event-stream`): the token's visible events",
        )
        .tag("Events")
        .gives_as("text/event-stream", string())
        .note(
            "`Last-Event-ID` (header) or `?after=ID` resumes after that event number; without, the \
             stream starts with new events. `?target=smart.transactions,loyalty.transactions` \
             filters. A comment `: ping` every 15 s; `: gap` first when the resume point is older \
             than the retention.",
        ),
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
                .note("The body is ignored, whatever JSON it holds (PHP encodes an empty one as `[]`).")
                .takes(any())
                .gives(arr(any_object()))
        }
        (M::PUT, "/Smart/Devices/:id/devicePin") => Op::new("Set the device PIN")
            .tag("Smart Devices")
            .requires(r("DevicePinDto"))
            .gives(r("ResultBoolean")),
        (M::GET, "/Smart/Devices/:id/devicePinConfig") => Op::new("Where a device PIN is set")
            .tag("Smart Devices")
            .gives(r("DevicePinConfig")),
        (M::PUT, "/Smart/Devices/:id/pin") => Op::new("Set the user PIN")
            .tag("Smart Devices")
            .requires(r("UserPinDto"))
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
                .requires(r("CheckPasscodeEnabledDto"))
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
                .takes(r("CardPinDto"))
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
            .takes(r("MerchantcardDto"))
            .gives(r("MerchantCard")),
        (M::GET, "/Loyalty/MerchantCards/:merchant/lockReasons") => {
            Op::new("Lock reasons").tag(mcd).gives(arr(r("LockReason")))
        }
        (M::POST, "/Loyalty/MerchantCards/:merchant/createMerchantcards/:cardgroup") => Op::new(
            "Issue new cards",
        )
        .tag(mcd)
        .note(
            "Each new card's `csc` is shown in this answer only: it is never stored in clear \
                     text, so a replay of this request with its Idempotency-Key answers the same \
                     cards without `csc`.",
        )
        .requires(r("CreateMerchantcardsDto"))
        .gives(arr(r("CreatedMerchantCard"))),
        (M::PUT, "/Loyalty/MerchantCards/:id/cardgroup/:cardgroup") => {
            Op::new("Move the card to another group")
                .tag(mcd)
                .gives(r("MerchantCard"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/checkCsc") => Op::new("Check the CSC")
            .tag(mcd)
            .requires(r("CheckCscDto"))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/checkPasscode") => Op::new("Check the passcode")
            .tag(mcd)
            .requires(r("CheckPasscodeDto"))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/getCardBalanceReceipt") => Op::new("Balance receipt")
            .tag(mcd)
            .requires(r("BalanceReceiptDto"))
            .gives(r("BalanceReceipt")),
        (M::GET, "/Loyalty/MerchantCards/:id/lock") => {
            Op::new("Lock status").tag(mcd).gives(r("LockStatus"))
        }
        (M::POST, "/Loyalty/MerchantCards/:id/lock") => Op::new("Lock the card")
            .tag(mcd)
            .requires(lock_request())
            .gives(r("MerchantCard")),
        (M::POST, "/Loyalty/MerchantCards/:id/unlock") => Op::new("Unlock the card")
            .tag(mcd)
            .takes(r("LockDto"))
            .gives(r("MerchantCard")),
        (M::POST, "/Loyalty/MerchantCards/:id/newPasscode") => Op::new("Set a new passcode")
            .tag(mcd)
            .requires(r("NewPasscodeDto"))
            .gives(r("ResultBoolean")),
        (M::POST, "/Loyalty/MerchantCards/:id/resetPasscode") => Op::new("Reset the passcode")
            .tag(mcd)
            .requires(r("ResetPasscodeDto"))
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
                .requires(r("ValidateDto"))
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
            .requires(r("DeliveryDto"))
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
