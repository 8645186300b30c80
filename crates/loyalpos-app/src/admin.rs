//! The operator's lists and revocations (`loyalpos client|device|user list`, `client revoke`,
//! `device revoke`, `user disable`, `token revoke`). A revocation is one unit of work: the
//! credential is marked, and every access token (and, for a revoked credential, every refresh
//! token and unused device registration) it holds stops working with the commit — in this process
//! at once, in every other process within the token cache's second (README "Caches").

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{ClientEntry, DeviceEntry, Owner, StoreError, Tx, UserEntry};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("unknown merchant {0}")]
    UnknownMerchant(String),
    #[error("unknown API client {0}")]
    UnknownClient(String),
    #[error("unknown device {0}")]
    UnknownDevice(String),
    #[error("unknown user {0} (neither an account id nor a username)")]
    UnknownUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whose access tokens `token revoke` names: a client id, a device id, a user's id or username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHolder {
    Client(String),
    Device(String),
    User(String),
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The revoked object's id (a user named by username: its account id).
    pub id: String,
    /// Access tokens that stopped working.
    pub tokens: u64,
    /// Authorisations (refresh tokens) that stopped working.
    pub refresh_tokens: u64,
    /// When it had been revoked before (the command then changed only what was left).
    pub earlier: Option<i64>,
}

pub fn list_clients(
    tx: &mut dyn Tx,
    merchant_id: Option<&MerchantId>,
) -> Result<Vec<ClientEntry>, AdminError> {
    known_merchant(tx, merchant_id)?;
    Ok(tx.client_entries(merchant_id)?)
}

pub fn list_devices(
    tx: &mut dyn Tx,
    merchant_id: Option<&MerchantId>,
) -> Result<Vec<DeviceEntry>, AdminError> {
    known_merchant(tx, merchant_id)?;
    Ok(tx.device_entries(merchant_id)?)
}

pub fn list_users(
    tx: &mut dyn Tx,
    merchant_id: Option<&MerchantId>,
) -> Result<Vec<UserEntry>, AdminError> {
    known_merchant(tx, merchant_id)?;
    Ok(tx.user_entries(merchant_id)?)
}

/// A list filtered by an unknown merchant is a typo, not an empty list.
fn known_merchant(tx: &mut dyn Tx, merchant_id: Option<&MerchantId>) -> Result<(), AdminError> {
    match merchant_id {
        Some(id) if tx.merchant(id)?.is_none() => Err(AdminError::UnknownMerchant(id.into())),
        _ => Ok(()),
    }
}

/// The client can no longer get tokens (`invalid_client`), and its tokens, refresh tokens and
/// pending device registrations stop working.
pub fn revoke_client(tx: &mut dyn Tx, client_id: &str, now: i64) -> Result<Revocation, AdminError> {
    let client = tx
        .client_entry(client_id)?
        .ok_or_else(|| AdminError::UnknownClient(client_id.into()))?;
    tx.mark_client_revoked(client_id, now)?;
    revoke_all(tx, Owner::Client(client_id), client.revoked_at)
}

/// The device's tokens and refresh tokens stop working, and it cannot sign in again (device PIN,
/// device registration).
pub fn revoke_device(tx: &mut dyn Tx, device_id: &str, now: i64) -> Result<Revocation, AdminError> {
    let device = tx
        .device_entry(device_id)?
        .ok_or_else(|| AdminError::UnknownDevice(device_id.into()))?;
    tx.mark_device_revoked(device_id, now)?;
    revoke_all(tx, Owner::Device(device_id), device.revoked_at)
}

/// The user cannot sign in with the appuser grant any more, and its tokens and refresh tokens stop
/// working.
pub fn disable_user(
    tx: &mut dyn Tx,
    id_or_username: &str,
    now: i64,
) -> Result<Revocation, AdminError> {
    let user = user(tx, id_or_username)?;
    tx.mark_user_disabled(&user.id, now)?;
    revoke_all(tx, Owner::User(&user.id), user.disabled_at)
}

fn revoke_all(
    tx: &mut dyn Tx,
    owner: Owner<'_>,
    earlier: Option<i64>,
) -> Result<Revocation, AdminError> {
    let tokens = tx.revoke_tokens_by(owner)?;
    let refresh_tokens = tx.revoke_authorizations_by(owner)?;
    let id = match owner {
        Owner::Client(id) | Owner::Device(id) | Owner::User(id) => id.to_owned(),
    };
    Ok(Revocation {
        id,
        tokens,
        refresh_tokens,
        earlier,
    })
}

/// Revokes the holder's live access tokens only: the credential stays valid, so a client signs in
/// again with its secret, a device or user with its refresh token (api.md §2.4).
pub fn revoke_tokens(tx: &mut dyn Tx, holder: &TokenHolder) -> Result<Revocation, AdminError> {
    let id = match holder {
        TokenHolder::Client(id) => {
            tx.client_entry(id)?
                .ok_or_else(|| AdminError::UnknownClient(id.clone()))?
                .client_id
        }
        TokenHolder::Device(id) => {
            tx.device_entry(id)?
                .ok_or_else(|| AdminError::UnknownDevice(id.clone()))?
                .id
        }
        TokenHolder::User(id) => user(tx, id)?.id,
    };
    let owner = match holder {
        TokenHolder::Client(_) => Owner::Client(&id),
        TokenHolder::Device(_) => Owner::Device(&id),
        TokenHolder::User(_) => Owner::User(&id),
    };
    let tokens = tx.revoke_tokens_by(owner)?;
    Ok(Revocation {
        id,
        tokens,
        refresh_tokens: 0,
        earlier: None,
    })
}

fn user(tx: &mut dyn Tx, id_or_username: &str) -> Result<UserEntry, AdminError> {
    tx.user_entry(id_or_username)?
        .ok_or_else(|| AdminError::UnknownUser(id_or_username.into()))
}
