//! The grants that issue a token in one step: client_credentials, refresh_token, device_pin, appuser.

use loyalpos_store::{AuthorizationRow, ClientRow, DeviceRow, Tx, UserRow};

use super::{GrantError, GrantPolicy, Grantee, IssuedToken, Refusal, issue};
use crate::caller::TokenKind;
use crate::demo_ids;
use crate::secret::{self, PasswordCheck, lookup_hash, verify_secret};

/// A merchant API client acts for its merchant, at the merchant's default store.
pub fn grant_client_credentials(
    tx: &mut dyn Tx,
    client: &ClientRow,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    let merchant_id = client.merchant_id.as_ref().ok_or_else(|| {
        Refusal::UnsupportedGrant("client_credentials needs a merchant API client".into())
    })?;
    let store_id = tx.merchant(merchant_id)?.and_then(|m| m.default_store_id);
    let grantee = Grantee {
        kind: TokenKind::Client,
        merchant_id,
        client_id: &client.client_id,
        device_id: None,
        store_id: store_id.as_deref(),
        user_id: None,
        authorization_id: None,
    };
    issue(tx, grantee, policy, now)
}

/// A new access token of the client's device authorisation or user login.
pub fn grant_refresh_token(
    tx: &mut dyn Tx,
    client: &ClientRow,
    refresh_token: &str,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    if !policy.demo && refresh_token == demo_ids::DEMO_REFRESH_TOKEN {
        return Err(Refusal::InvalidGrant("unknown or revoked refresh token").into());
    }
    let auth = tx
        .authorization_by_refresh(&lookup_hash(refresh_token))?
        .filter(|a| a.client_id == client.client_id)
        .ok_or(Refusal::InvalidGrant("unknown or revoked refresh token"))?;
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
    issue(tx, grantee, policy, now)
}

/// A terminal logs in with its vendor uid and the PIN set for it.
pub fn grant_device_pin(
    tx: &mut dyn Tx,
    client: &ClientRow,
    uuid: &str,
    pin: &str,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    let device = pin_device(tx, client, uuid, pin)?;
    // One device authorisation per (client, device): a new PIN login revokes the previous token.
    let authorization_id = format!("PIN_{}_{}", client.client_id, device.id);
    if tx.authorization(&authorization_id)?.is_none() {
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
            created: now,
        })?;
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
    issue(tx, grantee, policy, now)
}

/// The one device with this vendor uid (at the client's merchant, if the client has one) whose PIN
/// matches; which of the two failed is not told.
fn pin_device(
    tx: &mut dyn Tx,
    client: &ClientRow,
    uuid: &str,
    pin: &str,
) -> Result<DeviceRow, GrantError> {
    let refused = || GrantError::from(Refusal::InvalidGrant("unknown device or wrong PIN"));
    let devices = tx.device_by_vendor_uid(client.merchant_id.as_ref(), uuid)?;
    let [device] = devices.as_slice() else {
        return Err(refused());
    };
    let pin_ok = device
        .pin_hash
        .as_deref()
        .is_some_and(|h| verify_secret(pin, h));
    if pin_ok {
        Ok(device.clone())
    } else {
        Err(refused())
    }
}

/// A merchant user logs in (the grant's switch is checked by `authorize_client`); the login is an
/// authorisation with its own refresh token.
pub fn grant_appuser(
    tx: &mut dyn Tx,
    client: &ClientRow,
    username: &str,
    password: &str,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    let user = signed_in_user(tx, client, username, password, policy)?;
    let store_id = tx
        .merchant(&user.merchant_id)?
        .and_then(|m| m.default_store_id);
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
        created: now,
    })?;
    let grantee = Grantee {
        kind: TokenKind::User,
        merchant_id: &user.merchant_id,
        client_id: &client.client_id,
        device_id: None,
        store_id: store_id.as_deref(),
        user_id: Some(&user.id),
        authorization_id: Some(&authorization_id),
    };
    let token = issue(tx, grantee, policy, now)?;
    Ok(IssuedToken {
        refresh_token: Some(refresh),
        ..token
    })
}

/// The user whose password matches, at the client's merchant (if the client has one); which of
/// them failed is not told. A password stored in an older form is re-hashed with Argon2id in this
/// same unit of work. The demo user's public password works only on a demo installation.
fn signed_in_user(
    tx: &mut dyn Tx,
    client: &ClientRow,
    username: &str,
    password: &str,
    policy: &GrantPolicy,
) -> Result<UserRow, GrantError> {
    let refused = || GrantError::from(Refusal::InvalidGrant("wrong username or password"));
    let Some(user) = tx.user_by_username(username)? else {
        return Err(refused());
    };
    let allowed = client
        .merchant_id
        .as_deref()
        .is_none_or(|m| m == user.merchant_id)
        && (policy.demo || user.id != demo_ids::DEMO_USER_ID);
    match secret::verify_password(password, &user.password_hash) {
        PasswordCheck::Wrong => Err(refused()),
        _ if !allowed => Err(refused()),
        PasswordCheck::Right => Ok(user),
        PasswordCheck::RightButOutdated => {
            tx.update_user_password(&user.id, &secret::hash_password(password))?;
            Ok(user)
        }
    }
}
