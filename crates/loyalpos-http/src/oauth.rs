//! `POST /oauth/token` (api.md §2): client_credentials, device (two steps), refresh_token,
//! device_pin and appuser. Failures use the OAuth body, not the API envelope.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use loyalpos_store::{AuthorizationRow, ClientRow, DeviceRow, RegistrationRow, TokenRow, Tx};
use serde::Serialize;
use serde_json::Value;

use crate::app::{App, Req};
use crate::auth::TokenKind;
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::secret::{self, lookup_hash, verify_secret};

pub const CLIENT_CREDENTIALS_SCOPE: &str = "https://scope.secucard.com/e/api";
pub const GRANTS: [&str; 5] = [
    "client_credentials",
    "device",
    "refresh_token",
    "device_pin",
    "appuser",
];

/// An OAuth failure (`{"error", "error_description"}`).
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "authorization_pending" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }
    fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    fn invalid_client() -> Self {
        Self::new("invalid_client", "unknown client or wrong secret")
    }
    fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    fn unsupported(d: impl Into<String>) -> Self {
        Self::new("unsupported_grant_type", d)
    }
}

/// Storage failures stay API errors (503/500 in the envelope); everything else is an OAuth answer.
enum Failure {
    OAuth(OAuthError),
    Api(ApiError),
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Self {
        Failure::OAuth(e)
    }
}
impl From<loyalpos_store::StoreError> for Failure {
    fn from(e: loyalpos_store::StoreError) -> Self {
        Failure::Api(e.into())
    }
}

type Fields = HashMap<String, String>;

pub async fn token(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let result = async {
        let fields = parse_fields(&req.headers, &req.body)?;
        grant(&app, &fields).await
    }
    .await;
    match result {
        Ok(body) => Ok(no_store(StatusCode::OK, body)),
        Err(Failure::OAuth(e)) => Ok(no_store(
            e.status,
            serde_json::json!({"error": e.error, "error_description": e.description}),
        )),
        Err(Failure::Api(e)) => Err(e),
    }
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

/// Form or JSON (a body starting with `{` is JSON whatever the header says); HTTP Basic supplies
/// client credentials when the body has none. `deviceinfo[name]` and `{"deviceinfo": {"name"}}` are one key.
fn parse_fields(headers: &HeaderMap, body: &[u8]) -> Result<Fields, OAuthError> {
    let text =
        std::str::from_utf8(body).map_err(|_| OAuthError::invalid_request("body is not UTF-8"))?;
    let mut fields = Fields::new();
    if text.trim_start().starts_with('{') {
        let value = json::parse_body(body).map_err(|e| OAuthError::invalid_request(e.details))?;
        let Value::Object(map) = value else {
            return Err(OAuthError::invalid_request("body must be an object"));
        };
        for (key, v) in map {
            flatten_field(&mut fields, key, v)?;
        }
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
            .map_err(|e| OAuthError::invalid_request(format!("malformed form body: {e}")))?;
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

fn flatten_field(fields: &mut Fields, key: String, value: Value) -> Result<(), OAuthError> {
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
            return Err(OAuthError::invalid_request(format!(
                "{key}: expected a string"
            )));
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

fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a str, OAuthError> {
    fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("missing field {name}")))
}

async fn grant(app: &App, fields: &Fields) -> Result<Value, Failure> {
    let grant_type = field(fields, "grant_type")?;
    let mut tx = app.store.write().await?;
    let client = authenticate_client(&mut *tx, fields).await?;
    if !GRANTS.contains(&grant_type) || !client_allows(&client, grant_type) {
        return Err(OAuthError::unsupported(format!("grant {grant_type} is not enabled")).into());
    }
    let body = match grant_type {
        "client_credentials" => client_credentials(app, &mut *tx, &client).await?,
        "device" => device_grant(app, &mut *tx, &client, fields).await?,
        "refresh_token" => refresh(app, &mut *tx, &client, fields).await?,
        "device_pin" => device_pin(app, &mut *tx, &client, fields).await?,
        _ => appuser(app, &mut *tx, &client, fields).await?,
    };
    tx.commit().await?;
    Ok(body)
}

fn client_allows(client: &ClientRow, grant: &str) -> bool {
    client.grants.split(',').any(|g| g.trim() == grant)
}

async fn authenticate_client(tx: &mut dyn Tx, fields: &Fields) -> Result<ClientRow, Failure> {
    let id = field(fields, "client_id")?;
    let secret = field(fields, "client_secret")?;
    match tx.client(id).await? {
        Some(c) if verify_secret(secret, &c.secret_hash) => Ok(c),
        _ => Err(OAuthError::invalid_client().into()),
    }
}

/// What a new access token acts as.
struct Grantee<'a> {
    kind: TokenKind,
    merchant_id: &'a str,
    client_id: &'a str,
    device_id: Option<&'a str>,
    store_id: Option<&'a str>,
    user_id: Option<&'a str>,
    authorization_id: Option<&'a str>,
}

/// Issues an access token; for an authorisation, the previous token is revoked at once.
async fn issue(app: &App, tx: &mut dyn Tx, g: Grantee<'_>) -> Result<String, Failure> {
    if let Some(auth) = g.authorization_id {
        tx.revoke_tokens_of(auth).await?;
    }
    let token = secret::new_access_token();
    let now = app.clock.now();
    tx.insert_token(&TokenRow {
        token_hash: lookup_hash(&token),
        kind: g.kind.as_str().into(),
        merchant_id: g.merchant_id.into(),
        client_id: g.client_id.into(),
        device_id: g.device_id.map(Into::into),
        store_id: g.store_id.map(Into::into),
        user_id: g.user_id.map(Into::into),
        authorization_id: g.authorization_id.map(Into::into),
        expires_at: Some(now + app.config.token_ttl),
        demo_only: false,
        revoked: false,
        created: now,
    })
    .await?;
    Ok(token)
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: String,
    expires_in: i64,
    token_type: &'static str,
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

fn token_body(
    app: &App,
    access_token: String,
    scope: Option<&'static str>,
    refresh: Option<&str>,
) -> Value {
    serde_json::to_value(TokenBody {
        access_token,
        expires_in: app.config.token_ttl,
        token_type: "bearer",
        scope,
        refresh_token: refresh,
    })
    .unwrap_or(Value::Null)
}

async fn client_credentials(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
) -> Result<Value, Failure> {
    let merchant_id = client
        .merchant_id
        .as_deref()
        .ok_or_else(|| OAuthError::unsupported("client_credentials needs a merchant API client"))?;
    let merchant = tx.merchant(merchant_id).await?;
    let store_id = merchant.and_then(|m| m.default_store_id);
    let grantee = Grantee {
        kind: TokenKind::Client,
        merchant_id,
        client_id: &client.client_id,
        device_id: None,
        store_id: store_id.as_deref(),
        user_id: None,
        authorization_id: None,
    };
    let token = issue(app, tx, grantee).await?;
    Ok(token_body(app, token, Some(CLIENT_CREDENTIALS_SCOPE), None))
}

fn looks_like_device_code(v: &str) -> bool {
    v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Step B when `code` or `uuid` is a device code (the Java SDK swaps the two fields), else step A.
async fn device_grant(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    fields: &Fields,
) -> Result<Value, Failure> {
    let code = fields
        .get("code")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    let uuid = fields
        .get("uuid")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    for candidate in [code, uuid].into_iter().flatten() {
        if let Some(reg) = tx.registration(&lookup_hash(candidate)).await? {
            return poll_registration(app, tx, client, reg).await;
        }
    }
    if [code, uuid]
        .into_iter()
        .flatten()
        .any(looks_like_device_code)
    {
        return Err(OAuthError::invalid_grant("unknown device code").into());
    }
    let uuid = uuid
        .or(code)
        .ok_or_else(|| OAuthError::invalid_request("missing field uuid"))?;
    request_registration(app, tx, client, uuid).await
}

async fn request_registration(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    uuid: &str,
) -> Result<Value, Failure> {
    let device_code = secret::new_device_code();
    let user_code = secret::new_user_code();
    let now = app.clock.now();
    tx.insert_registration(&RegistrationRow {
        device_code_hash: lookup_hash(&device_code),
        user_code: user_code.clone(),
        client_id: client.client_id.clone(),
        uuid: uuid.into(),
        state: "pending".into(),
        merchant_id: None,
        device_id: None,
        store_id: None,
        authorization_id: None,
        expires_at: Some(now + app.config.device_code_ttl),
        reusable: false,
        created: now,
    })
    .await?;
    Ok(serde_json::json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_url": app.config.verification_url,
        "expires_in": app.config.device_code_ttl,
        "interval": app.config.device_poll_interval,
    }))
}

async fn poll_registration(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    mut reg: RegistrationRow,
) -> Result<Value, Failure> {
    let usable_reuse = reg.reusable && app.config.demo;
    if reg.client_id != client.client_id
        || reg.state == "consumed"
        || (reg.reusable && !usable_reuse)
    {
        return Err(OAuthError::invalid_grant("unknown or used device code").into());
    }
    if reg.expires_at.is_some_and(|at| at <= app.clock.now()) {
        return Err(OAuthError::new("expired_token", "the device code has expired").into());
    }
    if reg.state == "pending" {
        return Err(OAuthError::new(
            "authorization_pending",
            "The device registration has not been confirmed yet",
        )
        .into());
    }
    let (Some(merchant_id), Some(device_id)) = (reg.merchant_id.clone(), reg.device_id.clone())
    else {
        return Err(Failure::Api(ApiError::internal(
            "confirmed registration without device",
        )));
    };
    let (authorization_id, refresh) = match (&reg.authorization_id, usable_reuse) {
        (Some(existing), true) => (existing.clone(), crate::demo::DEMO_REFRESH_TOKEN.to_owned()),
        _ => {
            let refresh = secret::new_refresh_token();
            let id = secret::new_id("AUT");
            tx.insert_authorization(&AuthorizationRow {
                id: id.clone(),
                kind: "device".into(),
                merchant_id: merchant_id.clone(),
                client_id: client.client_id.clone(),
                device_id: Some(device_id.clone()),
                store_id: reg.store_id.clone(),
                user_id: None,
                refresh_hash: Some(lookup_hash(&refresh)),
                revoked: false,
                created: app.clock.now(),
            })
            .await?;
            (id, refresh)
        }
    };
    if !reg.reusable {
        reg.state = "consumed".into();
        reg.authorization_id = Some(authorization_id.clone());
        tx.update_registration(&reg).await?;
    }
    let grantee = Grantee {
        kind: TokenKind::Device,
        merchant_id: &merchant_id,
        client_id: &client.client_id,
        device_id: Some(&device_id),
        store_id: reg.store_id.as_deref(),
        user_id: None,
        authorization_id: Some(&authorization_id),
    };
    let token = issue(app, tx, grantee).await?;
    Ok(token_body(app, token, None, Some(&refresh)))
}

async fn refresh(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    fields: &Fields,
) -> Result<Value, Failure> {
    let refresh = field(fields, "refresh_token")?;
    let auth = tx
        .authorization_by_refresh(&lookup_hash(refresh))
        .await?
        .filter(|a| a.client_id == client.client_id)
        .ok_or_else(|| OAuthError::invalid_grant("unknown or revoked refresh token"))?;
    let kind = if auth.kind == "user" {
        TokenKind::User
    } else {
        TokenKind::Device
    };
    let grantee = Grantee {
        kind,
        merchant_id: &auth.merchant_id,
        client_id: &client.client_id,
        device_id: auth.device_id.as_deref(),
        store_id: auth.store_id.as_deref(),
        user_id: auth.user_id.as_deref(),
        authorization_id: Some(&auth.id),
    };
    let token = issue(app, tx, grantee).await?;
    Ok(token_body(app, token, None, None))
}

async fn device_pin(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    fields: &Fields,
) -> Result<Value, Failure> {
    let uuid = field(fields, "uuid")?;
    let pin = field(fields, "device_pin")?;
    let devices = tx
        .device_by_vendor_uid(client.merchant_id.as_deref(), uuid)
        .await?;
    let device: DeviceRow = match devices.as_slice() {
        [only] => only.clone(),
        _ => return Err(OAuthError::invalid_grant("unknown device or wrong PIN").into()),
    };
    let pin_ok = device
        .pin_hash
        .as_deref()
        .is_some_and(|h| verify_secret(pin, h));
    if !pin_ok {
        return Err(OAuthError::invalid_grant("unknown device or wrong PIN").into());
    }
    // One device authorisation per (client, device): a new PIN login revokes the previous token.
    let authorization_id = format!("PIN_{}_{}", client.client_id, device.id);
    if tx.authorization(&authorization_id).await?.is_none() {
        tx.insert_authorization(&AuthorizationRow {
            id: authorization_id.clone(),
            kind: "device".into(),
            merchant_id: device.merchant_id.clone(),
            client_id: client.client_id.clone(),
            device_id: Some(device.id.clone()),
            store_id: Some(device.store_id.clone()),
            user_id: None,
            refresh_hash: None,
            revoked: false,
            created: app.clock.now(),
        })
        .await?;
    }
    let grantee = Grantee {
        kind: TokenKind::Device,
        merchant_id: &device.merchant_id,
        client_id: &client.client_id,
        device_id: Some(&device.id),
        store_id: Some(&device.store_id),
        user_id: None,
        authorization_id: Some(&authorization_id),
    };
    let token = issue(app, tx, grantee).await?;
    Ok(token_body(app, token, None, None))
}

async fn appuser(
    app: &App,
    tx: &mut dyn Tx,
    client: &ClientRow,
    fields: &Fields,
) -> Result<Value, Failure> {
    if !app.config.appuser_enabled {
        return Err(OAuthError::unsupported("the appuser grant is switched off").into());
    }
    let username = field(fields, "username")?;
    let password = field(fields, "password")?;
    let user = tx
        .user_by_username(username)
        .await?
        .filter(|u| verify_secret(password, &u.password_hash))
        .filter(|u| {
            client
                .merchant_id
                .as_deref()
                .is_none_or(|m| m == u.merchant_id)
        })
        .ok_or_else(|| OAuthError::invalid_grant("wrong username or password"))?;
    let merchant = tx.merchant(&user.merchant_id).await?;
    let store_id = merchant.and_then(|m| m.default_store_id);
    let refresh = secret::new_refresh_token();
    let authorization_id = secret::new_id("AUT");
    tx.insert_authorization(&AuthorizationRow {
        id: authorization_id.clone(),
        kind: "user".into(),
        merchant_id: user.merchant_id.clone(),
        client_id: client.client_id.clone(),
        device_id: None,
        store_id: store_id.clone(),
        user_id: Some(user.id.clone()),
        refresh_hash: Some(lookup_hash(&refresh)),
        revoked: false,
        created: app.clock.now(),
    })
    .await?;
    let grantee = Grantee {
        kind: TokenKind::User,
        merchant_id: &user.merchant_id,
        client_id: &client.client_id,
        device_id: None,
        store_id: store_id.as_deref(),
        user_id: Some(&user.id),
        authorization_id: Some(&authorization_id),
    };
    let token = issue(app, tx, grantee).await?;
    Ok(token_body(app, token, None, Some(&refresh)))
}

/// Why a device confirmation was refused (operator CLI).
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("no pending registration with user code {0}")]
    UnknownCode(String),
    #[error("the registration has expired")]
    Expired,
    #[error("unknown merchant {0}")]
    UnknownMerchant(String),
    #[error("store {0} is not a store of this merchant")]
    UnknownStore(String),
    #[error("the registering API client is bound to another merchant")]
    ClientOfOtherMerchant,
    #[error(transparent)]
    Store(#[from] loyalpos_store::StoreError),
}

/// `loyalpos device confirm USER_CODE --merchant MRC_… [--store STO_…]`: binds a pending registration to
/// the merchant and to the device with that uuid, creating the device if needed. Returns the device id.
pub async fn confirm_registration(
    app: &App,
    user_code: &str,
    merchant_id: &str,
    store_id: Option<&str>,
) -> Result<String, ConfirmError> {
    let mut tx = app.store.write().await?;
    let mut reg = tx
        .registration_by_user_code(user_code)
        .await?
        .filter(|r| r.state == "pending")
        .ok_or_else(|| ConfirmError::UnknownCode(user_code.into()))?;
    let now = app.clock.now();
    if reg.expires_at.is_some_and(|at| at <= now) {
        return Err(ConfirmError::Expired);
    }
    let merchant = tx
        .merchant(merchant_id)
        .await?
        .ok_or_else(|| ConfirmError::UnknownMerchant(merchant_id.into()))?;
    let client = tx.client(&reg.client_id).await?;
    if client
        .and_then(|c| c.merchant_id)
        .is_some_and(|m| m != merchant.id)
    {
        return Err(ConfirmError::ClientOfOtherMerchant);
    }
    let store_id = match store_id {
        Some(s) => {
            let store = tx
                .store(s)
                .await?
                .filter(|st| st.merchant_id == merchant.id);
            store
                .ok_or_else(|| ConfirmError::UnknownStore(s.into()))?
                .id
        }
        None => merchant
            .default_store_id
            .clone()
            .ok_or_else(|| ConfirmError::UnknownStore("(default)".into()))?,
    };
    let existing = tx
        .device_by_vendor_uid(Some(&merchant.id), &reg.uuid)
        .await?;
    let device_id = match existing.into_iter().next() {
        Some(d) => d.id,
        None => {
            let device = crate::devices::new_device_row(
                &merchant,
                &store_id,
                "cashier",
                Some(&reg.uuid),
                vendor_of(&reg.uuid),
                now,
            );
            tx.insert_device(&device).await?;
            device.id
        }
    };
    reg.state = "confirmed".into();
    reg.merchant_id = Some(merchant.id.clone());
    reg.device_id = Some(device_id.clone());
    reg.store_id = Some(store_id);
    tx.update_registration(&reg).await?;
    tx.commit().await?;
    Ok(device_id)
}

/// `/vendor/<name>/…` names the vendor.
fn vendor_of(uuid: &str) -> Option<String> {
    let mut parts = uuid.split('/').filter(|s| !s.is_empty());
    while let Some(key) = parts.next() {
        let value = parts.next();
        if key == "vendor" {
            return value.map(str::to_owned);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_is_read_from_the_client_uid() {
        assert_eq!(vendor_of("/vendor/acme/cashier/7").as_deref(), Some("acme"));
        assert_eq!(vendor_of("/serial/1"), None);
    }

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
