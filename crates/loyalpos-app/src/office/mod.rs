//! The back office's commands (office.md): signing in and the sessions, and what its pages ask and
//! change. A page acts as its signed-in user — a [`Principal`] of kind `user` — through the same
//! commands as the API, so a page can never do what the API would refuse; every change is also
//! written to the audit trail with the user.

pub mod cardgroups;
pub mod cards;
pub mod customers;
pub mod dashboard;
pub mod devices;
pub mod merchants;
pub mod reports;
pub mod signin;
pub mod store_admin;
pub mod transactions;
pub mod users;

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{AuditRow, LtxRow, StoreError, StoreRow, Tx};

use crate::caller::{Principal, TokenKind};
use crate::error::{ApiError, ApiResult};

/// The API client a page's commands are booked under (the audit names the user).
pub const OFFICE_CLIENT: &str = "office";

/// What a user may do in the office (office.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything of the merchant.
    Admin,
    /// Cards, customers, transactions and the devices list; no card-group, user or balance-correction
    /// pages.
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// The signed-in user a page acts as: a merchant user, or the installation's operator inside the
/// merchant it switched into (as that merchant's admin).
#[derive(Debug, Clone)]
pub struct OfficeUser {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub merchant_id: MerchantId,
    /// The installation's operator acting for the merchant (the audit names it as the operator).
    pub operator: bool,
}

impl OfficeUser {
    /// The caller the API's commands see: the user, at its merchant.
    pub fn principal(&self) -> Principal {
        Principal {
            kind: TokenKind::User,
            merchant_id: self.merchant_id.clone(),
            client_id: OFFICE_CLIENT.to_owned(),
            device_id: None,
            store_id: None,
            user_id: Some(self.user_id.clone()),
        }
    }

    /// Admin pages and changes refuse a staff user (403, nothing changed).
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Staff => Err(ApiError::forbidden()),
        }
    }

    fn actor(&self) -> String {
        let kind = if self.operator { "operator" } else { "user" };
        format!("{kind}:{}", self.username)
    }
}

/// Writes one entry of the audit trail in the unit of work of the change it records.
pub fn audit(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    action: &str,
    object: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.insert_audit(
        &user.merchant_id,
        now,
        &user.actor(),
        action,
        object,
        detail,
    )
}

/// The merchant's stores (a device's store is chosen among them).
pub fn stores(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Vec<StoreRow>> {
    Ok(tx.stores(&user.merchant_id)?)
}

/// Bookings on the dashboard.
pub const RECENT_BOOKINGS: i64 = 20;

/// The merchant's newest bookings (the dashboard's list).
pub fn recent_bookings(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Vec<LtxRow>> {
    Ok(tx.recent_ltxs(&user.merchant_id, RECENT_BOOKINGS)?)
}

/// Entries of the audit page.
pub const AUDIT_PAGE: i64 = 50;

/// One page of the merchant's audit trail, newest first, older than entry `before`; the second
/// value tells whether older entries follow.
pub fn audit_page(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    before: Option<i64>,
) -> ApiResult<(Vec<AuditRow>, bool)> {
    let mut rows = tx.audit_page(&user.merchant_id, before, AUDIT_PAGE + 1)?;
    let more = rows.len() as i64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    Ok((rows, more))
}
