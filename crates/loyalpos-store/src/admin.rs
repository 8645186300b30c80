//! What the operator's list and revoke commands read and write (`loyalpos client|device|user list`,
//! `client revoke`, `device revoke`, `user disable`, `token revoke`): the credentials with their
//! state, and the revocations. Sign-ins ask [`AdminTx::device_revoked`] and
//! [`AdminTx::user_disabled`]; a revoked client is unknown to [`crate::AuthTx::client`].

use crate::driver::from_record;
use crate::{MerchantId, Result};

/// An API client as the operator lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEntry {
    pub client_id: String,
    /// `None`: an installation-wide client.
    pub merchant_id: Option<MerchantId>,
    /// Comma-separated grant types.
    pub grants: String,
    pub created: i64,
    pub revoked_at: Option<i64>,
}

/// A device as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    pub id: String,
    pub merchant_id: MerchantId,
    pub store_id: String,
    pub vendor_uid: Option<String>,
    pub created: i64,
    pub revoked_at: Option<i64>,
}

/// A merchant user as the operator lists it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    pub id: String,
    pub merchant_id: MerchantId,
    pub username: String,
    pub created: i64,
    pub disabled_at: Option<i64>,
}

from_record!(ClientEntry {
    client_id,
    merchant_id,
    grants,
    created,
    revoked_at
});
from_record!(DeviceEntry {
    id,
    merchant_id,
    store_id,
    vendor_uid,
    created,
    revoked_at
});
from_record!(UserEntry {
    id,
    merchant_id,
    username,
    created,
    disabled_at
});

/// Whose credentials a revocation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Client(&'a str),
    Device(&'a str),
    User(&'a str),
}

pub trait AdminTx {
    /// Every API client, or a merchant's, oldest first.
    fn client_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<ClientEntry>>;
    /// A client, revoked or not.
    fn client_entry(&mut self, client_id: &str) -> Result<Option<ClientEntry>>;
    /// Every device, or a merchant's, oldest first.
    fn device_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<DeviceEntry>>;
    fn device_entry(&mut self, id: &str) -> Result<Option<DeviceEntry>>;
    /// Every user, or a merchant's, oldest first.
    fn user_entries(&mut self, merchant_id: Option<&MerchantId>) -> Result<Vec<UserEntry>>;
    /// A user by account id or, failing that, by username; disabled or not.
    fn user_entry(&mut self, id_or_username: &str) -> Result<Option<UserEntry>>;

    /// True once the device was revoked (read uncached: a revocation counts at once).
    fn device_revoked(&mut self, id: &str) -> Result<bool>;
    /// True once the user was disabled.
    fn user_disabled(&mut self, id: &str) -> Result<bool>;

    /// Marks the client revoked at `at` (a revoked client keeps its first revocation time).
    fn mark_client_revoked(&mut self, client_id: &str, at: i64) -> Result<()>;
    fn mark_device_revoked(&mut self, id: &str, at: i64) -> Result<()>;
    fn mark_user_disabled(&mut self, id: &str, at: i64) -> Result<()>;

    /// Revokes every live access token of the owner; returns how many.
    fn revoke_tokens_by(&mut self, owner: Owner<'_>) -> Result<u64>;
    /// Revokes the owner's authorisations (their refresh tokens stop working) and ends its device
    /// registrations that were not used yet; returns how many authorisations.
    fn revoke_authorizations_by(&mut self, owner: Owner<'_>) -> Result<u64>;
}
