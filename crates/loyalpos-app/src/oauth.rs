//! OAuth token grants (api.md §2): which client may use which grant, what each grant issues, and
//! the rule of one live access token per authorisation. Reading the token request and writing the
//! OAuth answers belong to the edge.

mod device_flow;
mod grants;

use loyalpos_store::{ClientRow, StoreError, TokenRow, Tx};

use crate::caller::TokenKind;
use crate::demo_ids;
use crate::error::ApiError;
use crate::secret::{self, lookup_hash, verify_secret};

pub use device_flow::{
    ConfirmError, DeviceCode, DeviceGrant, confirm_registration, grant_device, reject_registration,
};
pub use grants::{grant_appuser, grant_client_credentials, grant_device_pin, grant_refresh_token};

pub const GRANTS: [&str; 5] = [
    "client_credentials",
    "device",
    "refresh_token",
    "device_pin",
    "appuser",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
    Device,
    RefreshToken,
    DevicePin,
    AppUser,
}

impl GrantType {
    pub fn parse(name: &str) -> Option<GrantType> {
        match name {
            "client_credentials" => Some(GrantType::ClientCredentials),
            "device" => Some(GrantType::Device),
            "refresh_token" => Some(GrantType::RefreshToken),
            "device_pin" => Some(GrantType::DevicePin),
            "appuser" => Some(GrantType::AppUser),
            _ => None,
        }
    }
}

/// The installation's settings the grants follow.
#[derive(Debug, Clone, Copy)]
pub struct GrantPolicy {
    /// Seconds an access token lives.
    pub token_ttl: i64,
    /// Seconds a device registration waits for its confirmation.
    pub device_code_ttl: i64,
    /// Demo installations accept the docs' device code again and again.
    pub demo: bool,
    pub appuser_enabled: bool,
}

/// Why a token request is refused; answered with the OAuth body (api.md §2.7).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("unknown client or wrong secret")]
    InvalidClient,
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("{0}")]
    UnsupportedGrant(String),
    #[error("the device code has expired")]
    ExpiredToken,
    #[error("The device registration has not been confirmed yet")]
    AuthorizationPending,
}

/// A failed grant: refused, or failed like any command (storage, internal: the API envelope).
#[derive(Debug)]
pub enum GrantError {
    Refused(Refusal),
    Api(ApiError),
}

impl From<Refusal> for GrantError {
    fn from(r: Refusal) -> Self {
        GrantError::Refused(r)
    }
}

impl From<StoreError> for GrantError {
    fn from(e: StoreError) -> Self {
        GrantError::Api(e.into())
    }
}

/// A newly issued access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Only the grants that open an authorisation hand out its refresh token.
    pub refresh_token: Option<String>,
}

/// Authenticates the API client and checks that it may use the grant (and that the grant is on).
pub fn authorize_client(
    tx: &mut dyn Tx,
    client_id: &str,
    client_secret: &str,
    grant_type: &str,
    policy: &GrantPolicy,
) -> Result<(ClientRow, GrantType), GrantError> {
    // The docs' clients have public secrets: outside demo mode they are unknown clients, even in
    // a database that once held the demo tenant.
    if !policy.demo && demo_ids::is_demo_client(client_id) {
        return Err(Refusal::InvalidClient.into());
    }
    let client = match tx.client(client_id)? {
        Some(c) if verify_secret(client_secret, &c.secret_hash) => c,
        _ => return Err(Refusal::InvalidClient.into()),
    };
    let grant = GrantType::parse(grant_type)
        .filter(|_| client_allows(&client, grant_type))
        .ok_or_else(|| Refusal::UnsupportedGrant(format!("grant {grant_type} is not enabled")))?;
    if grant == GrantType::AppUser && !policy.appuser_enabled {
        return Err(Refusal::UnsupportedGrant("the appuser grant is switched off".into()).into());
    }
    Ok((client, grant))
}

fn client_allows(client: &ClientRow, grant: &str) -> bool {
    client.grants.split(',').any(|g| g.trim() == grant)
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

/// Issues an access token; for an authorisation, the previous token is revoked at once. A revoked
/// device or disabled user gets none, whichever grant asks (`loyalpos device revoke`, `user disable`).
fn issue(
    tx: &mut dyn Tx,
    g: Grantee<'_>,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    if let Some(device) = g.device_id
        && tx.device_revoked(device)?
    {
        return Err(Refusal::InvalidGrant("the device was revoked").into());
    }
    if let Some(user) = g.user_id
        && tx.user_disabled(user)?
    {
        return Err(Refusal::InvalidGrant("the user was disabled").into());
    }
    if let Some(auth) = g.authorization_id {
        tx.revoke_tokens_of(auth)?;
    }
    let token = secret::new_access_token();
    tx.insert_token(&TokenRow {
        token_hash: lookup_hash(&token),
        kind: g.kind.as_str().into(),
        merchant_id: g.merchant_id.into(),
        client_id: g.client_id.into(),
        device_id: g.device_id.map(Into::into),
        store_id: g.store_id.map(Into::into),
        user_id: g.user_id.map(Into::into),
        authorization_id: g.authorization_id.map(Into::into),
        expires_at: Some(now + policy.token_ttl),
        // A token of a docs' client dies with demo mode.
        demo_only: demo_ids::is_demo_client(g.client_id),
        revoked: false,
        created: now,
    })?;
    Ok(IssuedToken {
        access_token: token,
        expires_in: policy.token_ttl,
        refresh_token: None,
    })
}
