//! `POST /oauth/token` (api.md §2): reads the token request (form or JSON), runs the grant
//! (`loyalpos_app::oauth`) as one unit of work and answers with the OAuth bodies. Failures use the
//! OAuth body, not the API envelope.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use loyalpos_app::oauth::{
    self, DeviceCode, DeviceGrant, GrantError, GrantPolicy, GrantType, IssuedToken, Refusal,
};
use loyalpos_store::{ClientRow, Tx};
use serde::Serialize;
use serde_json::Value;

use crate::answer::Answer;
use crate::app::{App, Config, Req};
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::token_limits::Attempt;

pub const CLIENT_CREDENTIALS_SCOPE: &str = "https://scope.secucard.com/e/api";

type Fields = HashMap<String, String>;

pub async fn token(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let attempt = Attempt::new(client_named(&req).as_deref(), req.remote);
    if let Some(seconds) = app.token_failures.blocked(&attempt) {
        return Ok(too_many_failures(seconds, &req.support_id));
    }
    match grant(&app, &req).await {
        Ok(body) => Ok(no_store(StatusCode::OK, body)),
        Err(GrantError::Refused(refusal)) => {
            if matches!(refusal, Refusal::InvalidClient | Refusal::InvalidGrant(_)) {
                app.token_failures.failed(&attempt);
            }
            Ok(refused(&refusal))
        }
        Err(GrantError::Api(e)) => Err(e),
    }
}

/// The `client_id` the request names (form, JSON or HTTP Basic), if it can be read.
fn client_named(req: &Req) -> Option<String> {
    let fields = parse_fields(&req.headers, &req.body).ok()?;
    optional(&fields, "client_id").map(str::to_owned)
}

/// 429/2006 in the API envelope, with the seconds left in the window as `Retry-After`.
fn too_many_failures(seconds: u64, support_id: &str) -> Response {
    let err = ApiError::new(
        Code::RateLimited,
        "too many failed sign-ins for this API client or address; retry later",
    );
    let mut answer = Answer::error(&err, support_id);
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        answer.headers.insert(header::RETRY_AFTER, v);
    }
    answer.into_response()
}

async fn grant(app: &App, req: &Req) -> Result<Value, GrantError> {
    let fields = parse_fields(&req.headers, &req.body)?;
    let grant_type = field(&fields, "grant_type")?.to_owned();
    let client_id = field(&fields, "client_id")?.to_owned();
    let client_secret = field(&fields, "client_secret")?.to_owned();
    let policy = grant_policy(&app.config);
    let page = RegistrationPage::of(&app.config);
    let now = app.clock.now();
    app.store
        .write(move |tx| {
            let (client, grant) =
                oauth::authorize_client(tx, &client_id, &client_secret, &grant_type, &policy)?;
            run_grant(tx, &client, grant, &fields, &policy, &page, now)
        })
        .await
}

fn grant_policy(config: &Config) -> GrantPolicy {
    GrantPolicy {
        token_ttl: config.token_ttl,
        device_code_ttl: config.device_code_ttl,
        demo: config.demo,
        appuser_enabled: config.appuser_enabled,
    }
}

/// The grant's own fields are read only once the client may use the grant.
fn run_grant(
    tx: &mut dyn Tx,
    client: &ClientRow,
    grant: GrantType,
    fields: &Fields,
    policy: &GrantPolicy,
    page: &RegistrationPage,
    now: i64,
) -> Result<Value, GrantError> {
    let issued = match grant {
        GrantType::ClientCredentials => {
            let issued = oauth::grant_client_credentials(tx, client, policy, now)?;
            return Ok(token_body(issued, Some(CLIENT_CREDENTIALS_SCOPE)));
        }
        GrantType::Device => {
            let (code, uuid) = (optional(fields, "code"), optional(fields, "uuid"));
            for (name, value) in [("code", code), ("uuid", uuid)] {
                if value.is_some_and(|v| v.chars().count() > MAX_UUID_CHARS) {
                    let limit = format!("{name} longer than {MAX_UUID_CHARS} characters");
                    return Err(invalid_request(limit).into());
                }
            }
            match oauth::grant_device(tx, client, code, uuid, policy, now)? {
                DeviceGrant::Requested(codes) => return Ok(device_code_body(codes, page)),
                DeviceGrant::Granted(issued) => issued,
            }
        }
        GrantType::RefreshToken => {
            let refresh = field(fields, "refresh_token")?;
            oauth::grant_refresh_token(tx, client, refresh, policy, now)?
        }
        GrantType::DevicePin => {
            let uuid = field(fields, "uuid")?;
            let pin = field(fields, "device_pin")?;
            oauth::grant_device_pin(tx, client, uuid, pin, policy, now)?
        }
        GrantType::AppUser => {
            let username = field(fields, "username")?;
            let password = field(fields, "password")?;
            oauth::grant_appuser(tx, client, username, password, policy, now)?
        }
    };
    Ok(token_body(issued, None))
}

fn refused(refusal: &Refusal) -> Response {
    let (status, error) = match refusal {
        Refusal::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        Refusal::InvalidClient => (StatusCode::BAD_REQUEST, "invalid_client"),
        Refusal::InvalidGrant(_) => (StatusCode::BAD_REQUEST, "invalid_grant"),
        Refusal::UnsupportedGrant(_) => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        Refusal::ExpiredToken => (StatusCode::BAD_REQUEST, "expired_token"),
        // a register keeps polling on 401
        Refusal::AuthorizationPending => (StatusCode::UNAUTHORIZED, "authorization_pending"),
    };
    let body = OAuthError {
        error,
        error_description: refusal.to_string(),
    };
    no_store(status, serde_json::to_value(body).unwrap_or(Value::Null))
}

/// An OAuth error (RFC 6749 §5.2): the token endpoint's refusals are not the API's envelope.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "OAuthError")]
pub(crate) struct OAuthError {
    error: &'static str,
    error_description: String,
}

fn no_store(status: StatusCode, body: Value) -> Response {
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let json = HeaderValue::from_static("application/json");
    let mut response = (status, [(header::CONTENT_TYPE, json)], bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "TokenResponse")]
pub(crate) struct TokenBody {
    access_token: String,
    expires_in: i64,
    #[schemars(extend("const" = "bearer"))]
    token_type: &'static str,
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

fn token_body(issued: IssuedToken, scope: Option<&'static str>) -> Value {
    serde_json::to_value(TokenBody {
        access_token: issued.access_token,
        expires_in: issued.expires_in,
        token_type: "bearer",
        scope,
        refresh_token: issued.refresh_token,
    })
    .unwrap_or(Value::Null)
}

/// Where and how often a register in the device flow is told to look.
struct RegistrationPage {
    verification_url: String,
    interval: i64,
}

impl RegistrationPage {
    fn of(config: &Config) -> Self {
        RegistrationPage {
            verification_url: config.verification_url.clone(),
            interval: config.device_poll_interval,
        }
    }
}

/// The device flow's first answer: the codes a register shows and polls with.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "DeviceRegistration")]
pub(crate) struct DeviceRegistration {
    device_code: String,
    user_code: String,
    verification_url: String,
    expires_in: i64,
    interval: i64,
}

fn device_code_body(codes: DeviceCode, page: &RegistrationPage) -> Value {
    serde_json::to_value(DeviceRegistration {
        device_code: codes.device_code,
        user_code: codes.user_code,
        verification_url: page.verification_url.clone(),
        expires_in: codes.expires_in,
        interval: page.interval,
    })
    .unwrap_or(Value::Null)
}

/// Form or JSON (a body starting with `{` is JSON whatever the header says); HTTP Basic supplies
/// client credentials when the body has none. `deviceinfo[name]` and `{"deviceinfo": {"name"}}` are one key.
fn parse_fields(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Refusal> {
    let text = std::str::from_utf8(body).map_err(|_| invalid_request("body is not UTF-8"))?;
    let mut fields = Fields::new();
    if text.trim_start().starts_with('{') {
        let value = json::parse_body(body).map_err(|e| invalid_request(e.details))?;
        let Value::Object(map) = value else {
            return Err(invalid_request("body must be an object"));
        };
        for (key, v) in map {
            flatten_field(&mut fields, key, v)?;
        }
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
            .map_err(|e| invalid_request(format!("malformed form body: {e}")))?;
        fields.extend(pairs);
    }
    if !fields.contains_key("client_id")
        && let Some((id, secret)) = basic_credentials(headers)
    {
        fields.insert("client_id".into(), id);
        fields.insert("client_secret".into(), secret);
    }
    Ok(fields)
}

fn invalid_request(description: impl Into<String>) -> Refusal {
    Refusal::InvalidRequest(description.into())
}

fn flatten_field(fields: &mut Fields, key: String, value: Value) -> Result<(), Refusal> {
    match value {
        Value::Null => {}
        Value::String(s) => {
            fields.insert(key, s);
        }
        Value::Number(n) => {
            fields.insert(key, n.to_string());
        }
        Value::Bool(b) => {
            fields.insert(key, b.to_string());
        }
        Value::Object(inner) => {
            for (k, v) in inner {
                flatten_field(fields, format!("{key}[{k}]"), v)?;
            }
        }
        Value::Array(_) => {
            return Err(invalid_request(format!("{key}: expected a string")));
        }
    }
    Ok(())
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Longest device `uuid` (or `code` standing for one) a registration may name; it is stored.
const MAX_UUID_CHARS: usize = 255;

/// An empty field counts as absent.
fn optional<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a str, Refusal> {
    optional(fields, name).ok_or_else(|| invalid_request(format!("missing field {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_object_fields_flatten_to_bracket_keys() {
        let body = br#"{"grant_type":"appuser","deviceinfo":{"name":"kasse"},"n":5}"#;
        let fields = parse_fields(&HeaderMap::new(), body).unwrap();
        assert_eq!(fields["deviceinfo[name]"], "kasse");
        assert_eq!(fields["n"], "5");
    }

    #[test]
    fn form_bodies_and_basic_credentials_are_read() {
        let mut headers = HeaderMap::new();
        let creds = base64::engine::general_purpose::STANDARD.encode("id1:sec1");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {creds}").parse().unwrap(),
        );
        let fields = parse_fields(
            &headers,
            b"grant_type=client_credentials&deviceinfo%5Bname%5D=a+b",
        )
        .unwrap();
        assert_eq!(fields["client_id"], "id1");
        assert_eq!(fields["deviceinfo[name]"], "a b");
    }
}
