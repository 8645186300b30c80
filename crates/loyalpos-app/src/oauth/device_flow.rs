//! The two-step device registration (api.md §2.3): a register asks for a device code, the operator
//! confirms its user code, the register's poll then opens a device authorisation.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{AuthorizationRow, ClientRow, RegistrationRow, StoreError, Tx};

use super::{GrantError, GrantPolicy, Grantee, IssuedToken, Refusal, issue};
use crate::caller::TokenKind;
use crate::devices::new_device_row;
use crate::error::ApiError;
use crate::events;
use crate::secret::{self, lookup_hash};

/// One answer for a code that does not exist, belongs to another client or was used: which of
/// them must not be told (issue 11, item 10).
const UNUSABLE_DEVICE_CODE: &str = "unknown or used device code";

/// What a `device` grant request gave: new codes (step A) or the token of a confirmed one (step B).
#[derive(Debug, Clone)]
pub enum DeviceGrant {
    Requested(DeviceCode),
    Granted(IssuedToken),
}

/// A new pending registration's codes.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    /// Seconds until the registration expires.
    pub expires_in: i64,
}

/// Step B when `code` or `uuid` is a device code (the Java SDK swaps the two fields), else step A.
pub fn grant_device(
    tx: &mut dyn Tx,
    client: &ClientRow,
    code: Option<&str>,
    uuid: Option<&str>,
    policy: &GrantPolicy,
    now: i64,
) -> Result<DeviceGrant, GrantError> {
    for candidate in [code, uuid].into_iter().flatten() {
        if let Some(reg) = tx.registration(&lookup_hash(candidate))? {
            return poll_registration(tx, client, reg, policy, now).map(DeviceGrant::Granted);
        }
    }
    if [code, uuid]
        .into_iter()
        .flatten()
        .any(looks_like_device_code)
    {
        return Err(Refusal::InvalidGrant(UNUSABLE_DEVICE_CODE).into());
    }
    let uuid = uuid
        .or(code)
        .ok_or_else(|| Refusal::InvalidRequest("missing field uuid".into()))?;
    let requested = request_registration(tx, client, uuid, policy, now)?;
    Ok(DeviceGrant::Requested(requested))
}

fn looks_like_device_code(v: &str) -> bool {
    v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn request_registration(
    tx: &mut dyn Tx,
    client: &ClientRow,
    uuid: &str,
    policy: &GrantPolicy,
    now: i64,
) -> Result<DeviceCode, StoreError> {
    let device_code = secret::new_device_code();
    let user_code = secret::new_user_code();
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
        expires_at: Some(now + policy.device_code_ttl),
        reusable: false,
        created: now,
    })?;
    Ok(DeviceCode {
        device_code,
        user_code,
        expires_in: policy.device_code_ttl,
    })
}

fn poll_registration(
    tx: &mut dyn Tx,
    client: &ClientRow,
    mut reg: RegistrationRow,
    policy: &GrantPolicy,
    now: i64,
) -> Result<IssuedToken, GrantError> {
    // The docs' device code is reusable, and only on a demo installation.
    let usable_reuse = reg.reusable && policy.demo;
    if reg.client_id != client.client_id
        || reg.state == "consumed"
        || (reg.reusable && !usable_reuse)
    {
        return Err(Refusal::InvalidGrant(UNUSABLE_DEVICE_CODE).into());
    }
    if reg.expires_at.is_some_and(|at| at <= now) {
        return Err(Refusal::ExpiredToken.into());
    }
    if reg.state == "pending" {
        return Err(Refusal::AuthorizationPending.into());
    }
    let (Some(merchant_id), Some(device_id)) = (reg.merchant_id.clone(), reg.device_id.clone())
    else {
        return Err(GrantError::Api(ApiError::internal(
            "confirmed registration without device",
        )));
    };
    let (authorization_id, refresh) = match (&reg.authorization_id, usable_reuse) {
        (Some(existing), true) => (
            existing.clone(),
            crate::demo_ids::DEMO_REFRESH_TOKEN.to_owned(),
        ),
        _ => open_device_authorization(tx, client, &reg, &merchant_id, &device_id, now)?,
    };
    if !reg.reusable {
        reg.state = "consumed".into();
        reg.authorization_id = Some(authorization_id.clone());
        tx.update_registration(&reg)?;
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
    let token = issue(tx, grantee, policy, now)?;
    Ok(IssuedToken {
        refresh_token: Some(refresh),
        ..token
    })
}

/// Returns the new authorisation's id and refresh token.
fn open_device_authorization(
    tx: &mut dyn Tx,
    client: &ClientRow,
    reg: &RegistrationRow,
    merchant_id: &MerchantId,
    device_id: &str,
    now: i64,
) -> Result<(String, String), StoreError> {
    let refresh = secret::new_refresh_token();
    let id = secret::new_id("AUT");
    tx.insert_authorization(&AuthorizationRow {
        id: id.clone(),
        kind: "device".into(),
        merchant_id: merchant_id.into(),
        client_id: client.client_id.clone(),
        device_id: Some(device_id.into()),
        store_id: reg.store_id.clone(),
        user_id: None,
        refresh_hash: Some(lookup_hash(&refresh)),
        revoked: false,
        created: now,
    })?;
    Ok((id, refresh))
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
    #[error("device {0} was revoked; it cannot be registered again")]
    RevokedDevice(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refuses a pending registration (the back office's "reject"): its device code is used up, so
/// the register's next poll answers `invalid_grant`.
pub fn reject_registration(tx: &mut dyn Tx, user_code: &str, now: i64) -> Result<(), ConfirmError> {
    let mut reg = pending_registration(tx, user_code, now)?;
    reg.state = "consumed".into();
    tx.update_registration(&reg)?;
    Ok(())
}

fn pending_registration(
    tx: &mut dyn Tx,
    user_code: &str,
    now: i64,
) -> Result<RegistrationRow, ConfirmError> {
    // Codes are issued in lower case; registers and people show or type them in upper case too.
    let reg = tx
        .registration_by_user_code(&user_code.trim().to_ascii_lowercase())?
        .filter(|r| r.state == "pending")
        .ok_or_else(|| ConfirmError::UnknownCode(user_code.into()))?;
    if reg.expires_at.is_some_and(|at| at <= now) {
        return Err(ConfirmError::Expired);
    }
    Ok(reg)
}

/// `loyalpos device confirm USER_CODE --merchant MRC_… [--store STO_…]`: binds a pending
/// registration to the merchant and to the device with that uuid, creating the device if needed
/// (at the given store, else the merchant's default store). Returns the device id.
pub fn confirm_registration(
    tx: &mut dyn Tx,
    user_code: &str,
    merchant_id: &MerchantId,
    store_id: Option<&str>,
    now: i64,
) -> Result<String, ConfirmError> {
    let mut reg = pending_registration(tx, user_code, now)?;
    let merchant = tx
        .merchant(merchant_id)?
        .ok_or_else(|| ConfirmError::UnknownMerchant(merchant_id.into()))?;
    let client = tx.client(&reg.client_id)?;
    if client
        .and_then(|c| c.merchant_id)
        .is_some_and(|m| m != merchant.id)
    {
        return Err(ConfirmError::ClientOfOtherMerchant);
    }
    let store_id = match store_id {
        Some(s) => {
            tx.store(&s.into())?
                .filter(|st| st.merchant_id == merchant.id)
                .ok_or_else(|| ConfirmError::UnknownStore(s.into()))?
                .id
        }
        None => merchant
            .default_store_id
            .clone()
            .ok_or_else(|| ConfirmError::UnknownStore("(default)".into()))?,
    };
    let existing = tx.device_by_vendor_uid(Some(&merchant.id), &reg.uuid)?;
    let device_id = match existing.into_iter().next() {
        Some(d) if tx.device_revoked(&d.id)? => {
            return Err(ConfirmError::RevokedDevice(d.id.into()));
        }
        Some(d) => d.id,
        None => {
            let device = new_device_row(
                &merchant,
                &store_id,
                "cashier",
                Some(&reg.uuid),
                vendor_of(&reg.uuid),
                now,
            );
            tx.insert_device(&device)?;
            events::device_changed(tx, &device, now);
            device.id
        }
    };
    reg.state = "confirmed".into();
    reg.merchant_id = Some(merchant.id);
    reg.device_id = Some(device_id.clone());
    reg.store_id = Some(store_id);
    tx.update_registration(&reg)?;
    Ok(device_id.into())
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
    fn only_32_hex_digits_look_like_a_device_code() {
        assert!(looks_like_device_code("2429e1d92f2f76cc3bbdc0333457ef25"));
        assert!(!looks_like_device_code("/vendor/acme/cashier/7"));
    }
}
