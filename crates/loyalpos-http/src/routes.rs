//! The route table, the one source of dispatch ([`resolve`]) and of the API description it serves
//! ([`openapi::document`] of [`routed`]). Paths follow
//! `/{Product}/{Resource}[/{id}[/{action}[/{arg}]]]`; literal segments match case-insensitively,
//! repeated slashes collapse, a trailing slash is ignored except after `start` (an empty start
//! method). An unknown path is 404/3001; a known path with another method is 405/2005 with `Allow`.
//! `HEAD` runs the `GET` route (hyper leaves the body out), as load balancers' health checks expect.

use std::sync::{Arc, OnceLock};

use axum::http::Method;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::answer::ok_json;
use crate::app::{App, Handler, HandlerFuture, Req};
use crate::auth::Right;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty;
use crate::{devices, general, health, oauth, openapi, smart};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Lit(&'static str),
    Param,
}

struct Route {
    method: Method,
    /// As written in the table (`/api/v2/Smart/Transactions/:id`), for the API description.
    text: &'static str,
    pattern: Vec<Seg>,
    right: Right,
    handler: Handler,
}

pub struct RouteMatch {
    /// The route as written in the table (`/api/v2/Smart/Transactions/:id`), for logs and metrics.
    pub pattern: &'static str,
    pub handler: Handler,
    pub right: Right,
    pub params: Vec<String>,
}

/// Wraps an `async fn(Arc<App>, Req) -> ApiResult<Response>` as a table entry.
macro_rules! h {
    ($f:path) => {{
        fn wrapped(app: Arc<App>, req: Req) -> HandlerFuture {
            Box::pin($f(app, req))
        }
        wrapped as Handler
    }};
}

fn parse_pattern(pattern: &'static str) -> Vec<Seg> {
    pattern
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(':') {
                Seg::Param
            } else {
                Seg::Lit(s)
            }
        })
        .collect()
}

#[rustfmt::skip]
fn table() -> &'static [Route] {
    static TABLE: OnceLock<Vec<Route>> = OnceLock::new();
    TABLE.get_or_init(|| {
        use Right::*;
        let r = |method: Method, pattern: &'static str, right: Right, handler: Handler| Route {
            method,
            text: pattern,
            pattern: parse_pattern(pattern),
            right,
            handler,
        };
        let get = Method::GET;
        let post = Method::POST;
        let put = Method::PUT;
        let delete = Method::DELETE;
        vec![
            r(get.clone(), "/health", Public, h!(health::health)),
            r(get.clone(), "/ready", Public, h!(health::ready)),
            r(get.clone(), "/metrics", Public, h!(health::metrics)),
            r(post.clone(), "/oauth/token", Public, h!(oauth::token)),
            // General
            r(get.clone(), "/api/v2/General/Merchants", Any, h!(general::list_merchants)),
            r(get.clone(), "/api/v2/General/Merchants/:id", Any, h!(general::get_merchant)),
            r(put.clone(), "/api/v2/General/Merchants/:id", MerchantLevel, h!(general::update_merchant)),
            r(get.clone(), "/api/v2/General/Merchants/:id/MerchantCategories", Any, h!(general::merchant_categories)),
            r(post.clone(), "/api/v2/General/Merchants/:id/getPublicData/:contract", Any, h!(general::public_data)),
            r(get.clone(), "/api/v2/General/Stores", Any, h!(general::list_stores)),
            r(post.clone(), "/api/v2/General/Stores", MerchantLevel, h!(general::create_store)),
            r(get.clone(), "/api/v2/General/Stores/:id", Any, h!(general::get_store)),
            r(put.clone(), "/api/v2/General/Stores/:id", MerchantLevel, h!(general::update_store)),
            r(post.clone(), "/api/v2/General/Stores/:id/setDefault", MerchantLevel, h!(general::set_default_store)),
            // Smart Devices
            r(get.clone(), "/api/v2/Smart/Devices", Any, h!(devices::list)),
            r(post.clone(), "/api/v2/Smart/Devices", MerchantLevel, h!(devices::create)),
            r(get.clone(), "/api/v2/Smart/Devices/:id", Any, h!(devices::get)),
            r(put.clone(), "/api/v2/Smart/Devices/:id", MerchantLevel, h!(devices::update)),
            r(post.clone(), "/api/v2/Smart/Devices/:id/GetSecubaseConfig", Any, h!(devices::secubase_config)),
            r(put.clone(), "/api/v2/Smart/Devices/:id/devicePin", MerchantLevel, h!(devices::set_device_pin)),
            r(get.clone(), "/api/v2/Smart/Devices/:id/devicePinConfig", Any, h!(devices::device_pin_config)),
            r(put.clone(), "/api/v2/Smart/Devices/:id/pin", MerchantLevel, h!(devices::set_user_pin)),
            r(get.clone(), "/api/v2/Smart/Devices/:id/routing/:type", Any, h!(devices::routing)),
            // Loyalty (api.md §9–13)
            r(get.clone(), "/api/v2/Loyalty/Cardgroups", Any, h!(loyalty::cardgroups::list)),
            r(post.clone(), "/api/v2/Loyalty/Cardgroups", MerchantLevel, h!(loyalty::cardgroups::create)),
            r(get.clone(), "/api/v2/Loyalty/Cardgroups/:id", Any, h!(loyalty::cardgroups::get)),
            r(put.clone(), "/api/v2/Loyalty/Cardgroups/:id", MerchantLevel, h!(loyalty::cardgroups::update)),
            r(post.clone(), "/api/v2/Loyalty/Cardgroups/:id/checkPasscodeEnabled", Any, h!(loyalty::cardgroups::check_passcode_enabled)),
            r(get.clone(), "/api/v2/Loyalty/Cards", Any, h!(loyalty::cards::list)),
            r(get.clone(), "/api/v2/Loyalty/Cards/:id", Any, h!(loyalty::cards::get)),
            r(post.clone(), "/api/v2/Loyalty/Cards/:id/assignUser/:account", UserOnly, h!(loyalty::cards::assign_user)),
            r(delete.clone(), "/api/v2/Loyalty/Cards/:id/assignUser/:account", UserOnly, h!(loyalty::cards::unassign_user)),
            r(get.clone(), "/api/v2/Loyalty/Customers", Any, h!(loyalty::customers::list)),
            r(post.clone(), "/api/v2/Loyalty/Customers", Any, h!(loyalty::customers::create)),
            r(get.clone(), "/api/v2/Loyalty/Customers/:id", Any, h!(loyalty::customers::get)),
            r(put.clone(), "/api/v2/Loyalty/Customers/:id", Any, h!(loyalty::customers::update)),
            r(post.clone(), "/api/v2/Loyalty/Customers/:id/assignPaymentContainer/:container", Any, h!(loyalty::customers::payment_container)),
            r(delete.clone(), "/api/v2/Loyalty/Customers/:id/assignPaymentContainer/:container", Any, h!(loyalty::customers::payment_container)),
            r(get.clone(), "/api/v2/Loyalty/Transactions", Any, h!(loyalty::transactions::list)),
            r(get.clone(), "/api/v2/Loyalty/Transactions/:id", Any, h!(loyalty::transactions::get)),
            r(get.clone(), "/api/v2/Loyalty/MerchantCards", Any, h!(loyalty::merchantcards::list)),
            r(get.clone(), "/api/v2/Loyalty/MerchantCards/:id", Any, h!(loyalty::merchantcards::get)),
            r(put.clone(), "/api/v2/Loyalty/MerchantCards/:id", MerchantLevel, h!(loyalty::merchantcards::update)),
            r(get.clone(), "/api/v2/Loyalty/MerchantCards/:merchant/lockReasons", Any, h!(loyalty::merchantcards::lock_reasons)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:merchant/createMerchantcards/:cardgroup", Any, h!(loyalty::merchantcards::create)),
            r(put.clone(), "/api/v2/Loyalty/MerchantCards/:id/cardgroup/:cardgroup", MerchantLevel, h!(loyalty::merchantcards::move_to_cardgroup)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/checkCsc", Any, h!(loyalty::security::check_csc)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/checkPasscode", Any, h!(loyalty::security::check_passcode)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/getCardBalanceReceipt", Any, h!(loyalty::merchantcards::balance_receipt_of)),
            r(get.clone(), "/api/v2/Loyalty/MerchantCards/:id/lock", Any, h!(loyalty::security::lock_status)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/lock", Any, h!(loyalty::security::lock)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/newPasscode", Any, h!(loyalty::security::new_passcode)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/registerCustomer", Any, h!(loyalty::merchantcards::register_customer)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/resetPasscode", Any, h!(loyalty::security::reset_passcode)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/setCustomer/:customer", Any, h!(loyalty::merchantcards::set_customer)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/transaction/:target", Any, h!(loyalty::direct::transaction)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:id/unlock", Any, h!(loyalty::security::unlock)),
            r(post.clone(), "/api/v2/Loyalty/MerchantCards/:any/validateMerchantcard", Any, h!(loyalty::merchantcards::validate)),
            r(get.clone(), "/api/v2/Loyalty/MerchantCards/:id/virtualTerminalData/:merchant", Any, h!(loyalty::merchantcards::virtual_terminal_data)),
            // end Loyalty
            // Smart Transactions (api.md §8)
            r(get.clone(), "/api/v2/Smart/Transactions", Any, h!(smart::list)),
            r(post.clone(), "/api/v2/Smart/Transactions", Any, h!(smart::create)),
            r(get.clone(), "/api/v2/Smart/Transactions/:id", Any, h!(smart::get)),
            r(put.clone(), "/api/v2/Smart/Transactions/:id", Any, h!(smart::replace)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/preTransaction", Any, h!(smart::pre_transaction)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/start/:method", Any, h!(smart::start)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/cancel", Any, h!(smart::cancel)),
            r(post.clone(), "/api/v2/Smart/Transactions/:receipt/canceltrx", DeviceOnly, h!(smart::cancel_trx)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/abort", Any, h!(smart::abort)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/setDelivery", Any, h!(smart::set_delivery)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/prepare/:method", Any, h!(smart::prepare)),
            r(post.clone(), "/api/v2/Smart/Transactions/:device/diagnosis", Any, h!(smart::diagnosis)),
            r(post.clone(), "/api/v2/Smart/Transactions/:device/endOfDay", Any, h!(smart::end_of_day)),
            r(post.clone(), "/api/v2/Smart/Transactions/:id/updatePaymentContainer", Any, h!(smart::update_payment_container)),
            // end Smart Transactions
            // The API description (README "Lists, q and the API description")
            r(get.clone(), "/api/v2/events", Any, h!(crate::events::stream)),
            r(get.clone(), "/api/v2/openapi.json", Public, h!(document)),
            r(get.clone(), "/docs", Public, h!(openapi::docs)),
            r(get.clone(), "/docs/:asset", Public, h!(openapi::docs_asset)),
        ]
    })
}

/// Every route as (method, pattern, right), patterns written with `:name` parameters, in table
/// order: the single source of the paths the API description lists.
pub fn routed() -> Vec<(Method, &'static str, Right)> {
    table()
        .iter()
        .map(|r| (r.method.clone(), r.text, r.right))
        .collect()
}

/// The API description of the table, built once.
fn description() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| openapi::document(&routed()))
}

/// `GET /api/v2/openapi.json`.
async fn document(_app: Arc<App>, _req: Req) -> ApiResult<Response> {
    ok_json(description())
}

/// Splits a raw path into decoded segments, applying the slash rules.
fn segments(raw: &str) -> ApiResult<Vec<String>> {
    let mut segs: Vec<String> = Vec::new();
    for part in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(part)
            .decode_utf8()
            .map_err(|_| ApiError::bad_request("path is not valid UTF-8"))?;
        // A control character (`%00`, `%0A`, `%7F`) is never part of an id, and echoed into a
        // header or a log line it would break them.
        if decoded.chars().any(char::is_control) {
            return Err(ApiError::bad_request("path contains a control character"));
        }
        segs.push(decoded.into_owned());
    }
    // `…/start/` means "start with an empty method".
    if raw.ends_with('/') && segs.last().is_some_and(|s| s.eq_ignore_ascii_case("start")) {
        segs.push(String::new());
    }
    Ok(segs)
}

fn matches(pattern: &[Seg], segs: &[String]) -> Option<Vec<String>> {
    if pattern.len() != segs.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pattern.iter().zip(segs) {
        match p {
            Seg::Lit(lit) if lit.eq_ignore_ascii_case(s) => {}
            Seg::Lit(_) => return None,
            Seg::Param => params.push(s.clone()),
        }
    }
    Some(params)
}

pub fn resolve(method: &Method, raw_path: &str) -> ApiResult<RouteMatch> {
    let segs = segments(raw_path)?;
    let mut allowed: Vec<&Method> = Vec::new();
    for route in table() {
        if let Some(params) = matches(&route.pattern, &segs) {
            if route.method == method || (method == Method::HEAD && route.method == Method::GET) {
                return Ok(RouteMatch {
                    pattern: route.text,
                    handler: route.handler,
                    right: route.right,
                    params,
                });
            }
            allowed.push(&route.method);
            if route.method == Method::GET {
                allowed.push(&Method::HEAD);
            }
        }
    }
    if allowed.is_empty() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("no route for {raw_path}"),
        ));
    }
    let allow = allowed
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut err = ApiError::new(
        Code::MethodNotAllowed,
        format!("method {method} not allowed on this route (allowed: {allow})"),
    );
    err.allow = Some(allow);
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(method: Method, path: &str) -> Result<Vec<String>, Code> {
        resolve(&method, path).map(|m| m.params).map_err(|e| e.code)
    }

    #[test]
    fn literal_segments_match_case_insensitively_and_ids_are_kept_verbatim() {
        assert_eq!(
            params(Method::GET, "/api/v2/general/merchants/MRC_ABC").unwrap(),
            vec!["MRC_ABC".to_string()]
        );
    }

    #[test]
    fn repeated_and_trailing_slashes_are_ignored() {
        assert!(params(Method::POST, "//oauth//token/").is_ok());
    }

    #[test]
    fn unknown_route_is_404_and_wrong_method_is_405() {
        assert_eq!(
            params(Method::GET, "/api/v2/Payment/Customers"),
            Err(Code::NotFound)
        );
        assert_eq!(
            params(Method::DELETE, "/api/v2/General/Stores"),
            Err(Code::MethodNotAllowed)
        );
    }

    #[test]
    fn every_route_is_described_with_its_own_operation_id() {
        assert_eq!(openapi::undescribed(&routed()), Vec::<String>::new());
        let doc = description();
        let mut ids = Vec::new();
        for (method, pattern, _) in routed() {
            let (path, _) = openapi::template(pattern);
            let op = &doc["paths"][&path][method.as_str().to_lowercase()];
            assert!(op.is_object(), "{method} {path}");
            ids.push(op["operationId"].as_str().unwrap_or_default().to_owned());
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn every_reference_in_the_description_resolves() {
        fn walk(v: &Value, doc: &Value) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        let pointer = target.trim_start_matches('#');
                        assert!(doc.pointer(pointer).is_some(), "{target}");
                    }
                    map.values().for_each(|c| walk(c, doc));
                }
                Value::Array(items) => items.iter().for_each(|c| walk(c, doc)),
                _ => {}
            }
        }
        walk(description(), description());
    }
}
