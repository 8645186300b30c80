//! Bearer tokens: who is calling (through the store's token cache, README "Caches"), and what
//! that kind of credential may do (api.md §2.8).

use axum::http::HeaderMap;
use loyalpos_app::secret::lookup_hash;
use loyalpos_app::{ApiError, ApiResult, Principal, TokenKind};
use loyalpos_store::TokenRow;

use crate::app::App;

/// What a route demands of the credential beyond a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// No token at all (health, OAuth).
    Public,
    Any,
    /// Merchant client or merchant user tokens; device tokens get 2004.
    MerchantLevel,
    DeviceOnly,
    UserOnly,
}

impl Right {
    pub fn check(self, p: &Principal) -> ApiResult<()> {
        let allowed = match self {
            Right::Public | Right::Any => true,
            Right::MerchantLevel => p.kind != TokenKind::Device,
            Right::DeviceOnly => p.kind == TokenKind::Device,
            Right::UserOnly => p.kind == TokenKind::User,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// `Authorization: Bearer T` wins over `Authenticate: Bearer T` (the docs' spelling).
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    ["authorization", "authenticate"].iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(char::is_whitespace)?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    })
}

pub async fn authenticate(app: &App, headers: &HeaderMap) -> ApiResult<Principal> {
    let token = bearer(headers).ok_or_else(ApiError::unauthenticated)?;
    authenticate_token(app, &token).await
}

/// The caller an access token names, if it is live (REST's bearer token, STOMP's login).
pub async fn authenticate_token(app: &App, token: &str) -> ApiResult<Principal> {
    let hash = lookup_hash(token);
    let row = match app.store.cached_token(&hash) {
        Some(row) => row,
        None => app
            .store
            .read(move |tx| tx.live_token(&hash))
            .await?
            .ok_or_else(ApiError::unauthenticated)?,
    };
    if !token_usable(app, &row) {
        return Err(ApiError::unauthenticated());
    }
    principal_of(row).ok_or_else(ApiError::unauthenticated)
}

fn token_usable(app: &App, row: &TokenRow) -> bool {
    let unexpired = row.expires_at.is_none_or(|at| at > app.clock.now());
    let demo_ok = !row.demo_only || app.config.demo;
    unexpired && demo_ok
}

fn principal_of(row: TokenRow) -> Option<Principal> {
    Some(Principal {
        kind: TokenKind::parse(&row.kind)?,
        merchant_id: row.merchant_id,
        client_id: row.client_id,
        device_id: row.device_id,
        store_id: row.store_id,
        user_id: row.user_id,
    })
}
