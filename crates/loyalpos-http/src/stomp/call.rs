//! A SEND frame as the REST call it stands for (push.md §2.2): the destination
//! `/exchange/connect.api/{api|app}:{cmd}:{Product}.{Resource}[.{action}]` and the body
//! `{"pid", "sid", "query", "data"}` become a method, a path below `/api/v2` and a body, which the
//! one dispatcher then serves exactly as it serves REST.

use axum::http::Method;
use loyalpos_app::{ApiError, Code};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value};

/// The REST request of a SEND.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Call {
    pub method: Method,
    /// From `/api/v2/…` on, with the list parameters of a `get` as its query.
    pub path: String,
    pub body: Vec<u8>,
}

const EXCHANGE: &str = "/exchange/connect.api/";

/// What a path segment taken from a SEND body must not carry unescaped (it stays one segment).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

pub(crate) fn call_of(destination: &str, body: &[u8]) -> Result<Call, ApiError> {
    let target = Target::parse(destination).ok_or_else(|| unknown(destination))?;
    let sent = Sent::parse(body)?;
    let base = format!(
        "/api/v2/{}/{}",
        segment(&target.product),
        segment(&target.resource)
    );
    let with_pid = |pid: &str| format!("{base}/{}", segment(pid));
    let (method, path, body) = match (target.cmd.as_str(), &sent.pid, &target.action) {
        ("get", None, None) => (Method::GET, with_query(base, &sent.query)?, Vec::new()),
        ("get", Some(pid), None) => (Method::GET, with_pid(pid), Vec::new()),
        ("add", None, None) => (Method::POST, base, sent.data),
        ("update", Some(pid), None) => (Method::PUT, with_pid(pid), sent.data),
        ("delete", Some(pid), None) => (Method::DELETE, with_pid(pid), Vec::new()),
        ("exec", Some(pid), Some(action)) => {
            let mut path = format!("{}/{}", with_pid(pid), segment(action));
            if let Some(sid) = &sent.sid {
                path = format!("{path}/{}", segment(sid));
            }
            (Method::POST, path, sent.data)
        }
        _ => return Err(unknown(destination)),
    };
    Ok(Call { method, path, body })
}

/// `exec:Auth.Sessions.refresh` (push.md §2.2): not a REST call but the connection's own business.
/// `Some` with the refresh interval in seconds (`data.refresh_interval`, default 390) when the SEND
/// names it.
pub(crate) fn refresh_of(destination: &str, body: &[u8]) -> Option<Result<i64, ApiError>> {
    let target = Target::parse(destination)?;
    let is_refresh = target.cmd == "exec"
        && target.product.eq_ignore_ascii_case("Auth")
        && target.resource.eq_ignore_ascii_case("Sessions")
        && target
            .action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("refresh"));
    is_refresh.then(|| refresh_interval(body))
}

fn refresh_interval(body: &[u8]) -> Result<i64, ApiError> {
    let data = Sent::parse(body)?.data;
    if data.iter().all(u8::is_ascii_whitespace) {
        return Ok(loyalpos_app::devices::DEFAULT_REFRESH_INTERVAL);
    }
    let refused = || ApiError::bad_request("refresh_interval: expected whole seconds");
    match serde_json::from_slice::<Value>(&data).map_err(|_| refused())? {
        Value::Object(fields) => match fields.get("refresh_interval") {
            None | Some(Value::Null) => Ok(loyalpos_app::devices::DEFAULT_REFRESH_INTERVAL),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(refused),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| refused()),
            Some(_) => Err(refused()),
        },
        _ => Err(refused()),
    }
}

/// push.md §2.5: an unknown destination is answered (code 4004), the connection stays.
pub(crate) fn unknown(destination: &str) -> ApiError {
    ApiError::new(
        Code::TooLarge,
        format!("unknown destination {destination:?}"),
    )
}

fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The parts of a destination this server serves (`api:`; `app:` names an app, and none is served).
struct Target {
    cmd: String,
    product: String,
    resource: String,
    action: Option<String>,
}

impl Target {
    fn parse(destination: &str) -> Option<Target> {
        let head = destination.get(..EXCHANGE.len())?;
        if !head.eq_ignore_ascii_case(EXCHANGE) {
            return None;
        }
        let mut parts = destination[EXCHANGE.len()..].splitn(3, ':');
        let (kind, cmd, name) = (parts.next()?, parts.next()?, parts.next()?);
        if !kind.eq_ignore_ascii_case("api") {
            return None;
        }
        let mut names = name.split('.');
        let (product, resource) = (names.next()?, names.next()?);
        let action = names.next().map(str::to_owned);
        if product.is_empty() || resource.is_empty() || names.next().is_some() {
            return None;
        }
        Some(Target {
            cmd: cmd.to_ascii_lowercase(),
            product: product.into(),
            resource: resource.into(),
            action: action.filter(|a| !a.is_empty()),
        })
    }
}

/// The SEND body: ids, list parameters and the payload.
struct Sent {
    pid: Option<String>,
    sid: Option<String>,
    query: Map<String, Value>,
    data: Vec<u8>,
}

impl Sent {
    fn parse(body: &[u8]) -> Result<Sent, ApiError> {
        let fields = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice(body) {
                Ok(Value::Object(fields)) => fields,
                _ => return Err(ApiError::bad_request("the SEND body is not a JSON object")),
            }
        };
        let query = match fields.get("query") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(query)) => query.clone(),
            Some(_) => return Err(ApiError::bad_request("query: expected an object")),
        };
        Ok(Sent {
            pid: id(fields.get("pid"), "pid")?,
            sid: id(fields.get("sid"), "sid")?,
            query,
            data: payload(fields.get("data"))?,
        })
    }
}

/// `pid`/`sid`: a string, `""` or absent for none.
fn id(value: Option<&Value>, name: &str) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::bad_request(format!("{name}: expected a string"))),
    }
}

/// `data`: an object, a JSON string holding one (the PHP SDK's `json_encode($dto)`), or `""`.
fn payload(value: Option<&Value>) -> Result<Vec<u8>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(text.clone().into_bytes()),
        Some(data @ (Value::Object(_) | Value::Array(_))) => {
            serde_json::to_vec(data).map_err(|e| ApiError::internal(e.to_string()))
        }
        Some(_) => Err(ApiError::bad_request(
            "data: expected an object or a JSON string",
        )),
    }
}

/// A `get` list's parameters as the query string (`count`, `offset`, `sort`, `fields`, `q`).
fn with_query(path: String, query: &Map<String, Value>) -> Result<String, ApiError> {
    if query.is_empty() {
        return Ok(path);
    }
    let pairs: Vec<(&str, String)> = query
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k.as_str(), s.clone()),
            other => (k.as_str(), other.to_string()),
        })
        .collect();
    let encoded =
        serde_urlencoded::to_string(&pairs).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(format!("{path}?{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(destination: &str, body: &str) -> Call {
        call_of(destination, body.as_bytes()).expect("a call")
    }

    #[test]
    fn the_sdks_start_is_the_rest_start_with_the_method_as_sid() {
        let c = call(
            "/exchange/connect.api/api:exec:Smart.Transactions.Start",
            r#"{"pid":"STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2","sid":"cash","data":""}"#,
        );
        assert_eq!(c.method, Method::POST);
        assert_eq!(
            c.path,
            "/api/v2/Smart/Transactions/STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2/Start/cash"
        );
        assert!(c.body.is_empty());
    }

    #[test]
    fn data_may_be_an_object_or_a_json_string_holding_one() {
        let as_string = call(
            "/exchange/connect.api/api:add:Smart.Transactions",
            r#"{"pid":"","data":"{\"intent\":\"sale\"}"}"#,
        );
        let as_object = call(
            "/exchange/connect.api/api:add:Smart.Transactions",
            r#"{"data":{"intent":"sale"}}"#,
        );
        assert_eq!(as_string.body, br#"{"intent":"sale"}"#);
        assert_eq!(as_object.body, as_string.body);
        assert_eq!(as_object.path, "/api/v2/Smart/Transactions");
        assert_eq!(as_object.method, Method::POST);
    }

    #[test]
    fn get_update_and_delete_map_to_their_methods() {
        let list = call(
            "/exchange/connect.api/api:get:Loyalty.MerchantCards",
            r#"{"query":{"count":2,"q":"card.cardnumber:9276004428481652"}}"#,
        );
        assert_eq!(list.method, Method::GET);
        assert_eq!(
            list.path,
            "/api/v2/Loyalty/MerchantCards?count=2&q=card.cardnumber%3A9276004428481652"
        );
        let one = call(
            "/EXCHANGE/connect.api/API:GET:Smart.Transactions",
            r#"{"pid":"STX_1"}"#,
        );
        assert_eq!(
            (one.method, one.path.as_str()),
            (Method::GET, "/api/v2/Smart/Transactions/STX_1")
        );
        let put = call(
            "/exchange/connect.api/api:update:Smart.Transactions",
            r#"{"pid":"STX_1","data":{}}"#,
        );
        assert_eq!(put.method, Method::PUT);
        let delete = call(
            "/exchange/connect.api/api:delete:Loyalty.Customers",
            r#"{"pid":"CUS_1"}"#,
        );
        assert_eq!(
            (delete.method, delete.path.as_str()),
            (Method::DELETE, "/api/v2/Loyalty/Customers/CUS_1")
        );
    }

    #[test]
    fn an_id_stays_one_path_segment() {
        let c = call(
            "/exchange/connect.api/api:get:Smart.Transactions",
            r#"{"pid":"../General/Merchants?x=1"}"#,
        );
        assert_eq!(
            c.path,
            "/api/v2/Smart/Transactions/..%2FGeneral%2FMerchants%3Fx=1"
        );
    }

    #[test]
    fn unknown_and_app_destinations_answer_4004() {
        for destination in [
            "/queue/elsewhere",
            "/exchange/connect.api/app:exec:Some.App",
            "/exchange/connect.api/api:frobnicate:Smart.Transactions",
            "/exchange/connect.api/api:get:Smart",
            "/exchange/connect.api/api:exec:Smart.Transactions.start",
            "/exchange/connect.api/api:get:A.B.C.D",
        ] {
            let err = call_of(destination, b"{}").expect_err(destination);
            assert_eq!(err.code, Code::TooLarge, "{destination}");
        }
    }

    #[test]
    fn the_sdks_session_refresh_is_recognised_with_its_interval() {
        let refresh = "/exchange/connect.api/api:exec:Auth.Sessions.refresh";
        let interval = |body: &str| refresh_of(refresh, body.as_bytes()).map(|r| r.ok());
        assert_eq!(
            interval(r#"{"pid":"me","data":{"refresh_interval":120}}"#),
            Some(Some(120))
        );
        assert_eq!(
            interval(r#"{"pid":"me","data":"{\"refresh_interval\":\"60\"}"}"#),
            Some(Some(60))
        );
        assert_eq!(interval(r#"{"pid":"me"}"#), Some(Some(390)));
        assert_eq!(
            interval(r#"{"pid":"me","data":{"refresh_interval":1.5}}"#),
            Some(None)
        );
        let start = "/exchange/connect.api/api:exec:Smart.Transactions.Start";
        assert!(refresh_of(start, b"{}").is_none());
    }

    #[test]
    fn a_body_that_is_no_json_object_answers_4001() {
        let err = call_of("/exchange/connect.api/api:get:Smart.Transactions", b"[1]")
            .expect_err("refused");
        assert_eq!(err.code, Code::BadRequest);
        let empty = call("/exchange/connect.api/api:get:Smart.Transactions", "");
        assert_eq!(empty.path, "/api/v2/Smart/Transactions");
    }
}
