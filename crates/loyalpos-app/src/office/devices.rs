//! The devices page (office.md §2 "Devices"): the merchant's devices with their online state, and
//! the SecuOffice step of api.md §2 — confirming (or rejecting) a register's registration by the
//! user code it shows — plus renaming a device, moving it to another store and revoking it. All
//! changes are admin work.

use loyalpos_store::{ListQuery, Page, Tx};

use crate::admin::{AdminError, revoke_device};
use crate::devices::{self, DeviceChanges, DeviceState};
use crate::error::{ApiError, ApiResult, Code};
use crate::oauth::{ConfirmError, confirm_registration, reject_registration};
use crate::office::{OfficeUser, audit};

/// Devices on one page.
pub const DEVICES_PAGE: u64 = 50;

/// Page `page` (from 0) of the merchant's devices, newest first; `true` when another follows.
pub fn devices(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    page: u32,
    now: i64,
) -> ApiResult<(Vec<DeviceState>, bool)> {
    let query = ListQuery {
        filter: None,
        page: Some(Page {
            offset: u64::from(page) * DEVICES_PAGE,
            count: DEVICES_PAGE + 1,
            total: false,
        }),
    };
    let mut rows = devices::devices(tx, &user.principal(), query, now)?.rows;
    let more = rows.len() as u64 > DEVICES_PAGE;
    rows.truncate(DEVICES_PAGE as usize);
    Ok((rows, more))
}

/// Confirms the pending registration with this user code for the user's merchant (at `store`,
/// else the default store); returns the device id.
pub fn confirm(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    user_code: &str,
    store: Option<&str>,
    now: i64,
) -> ApiResult<String> {
    user.require_admin()?;
    let store = store.filter(|s| !s.is_empty());
    let device = confirm_registration(tx, user_code, &user.merchant_id, store, now)
        .map_err(|e| refused(e, user_code))?;
    audit(tx, user, "device_confirm", &device, user_code, now)?;
    Ok(device)
}

/// Rejects the pending registration with this user code: the register's poll is refused.
pub fn reject(tx: &mut dyn Tx, user: &OfficeUser, user_code: &str, now: i64) -> ApiResult<()> {
    user.require_admin()?;
    reject_registration(tx, user_code, now).map_err(|e| refused(e, user_code))?;
    audit(tx, user, "device_reject", user_code, "", now)?;
    Ok(())
}

/// Revokes a device of the merchant: its tokens stop working at once.
pub fn revoke(tx: &mut dyn Tx, user: &OfficeUser, id: &str, now: i64) -> ApiResult<()> {
    user.require_admin()?;
    let device = devices::device(tx, &user.principal(), id, now)?;
    revoke_device(tx, &device.device.id, now).map_err(|e| match e {
        AdminError::Store(e) => ApiError::from(e),
        other => ApiError::not_found("smart.devices", &other.to_string()),
    })?;
    audit(tx, user, "device_revoke", id, "", now)?;
    Ok(())
}

/// The longest device name the office sets (a loyalpos rule: a name is a label in lists and on the
/// till, not a document).
pub const MAX_DEVICE_NAME: usize = 80;

/// Names a device of the merchant: the device's `description`, set as `PUT /Smart/Devices/{id}`
/// sets it. The name is trimmed and must be 1 to [`MAX_DEVICE_NAME`] characters.
pub fn rename(tx: &mut dyn Tx, user: &OfficeUser, id: &str, name: &str, now: i64) -> ApiResult<()> {
    user.require_admin()?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_DEVICE_NAME {
        return Err(ApiError::bad_request(format!(
            "name: 1 to {MAX_DEVICE_NAME} characters"
        )));
    }
    let changes = DeviceChanges {
        description: Some(name.to_owned()),
        ..DeviceChanges::default()
    };
    let state = devices::update_device(tx, &user.principal(), id, changes, now)?;
    audit(tx, user, "device_rename", &state.device.id, name, now)?;
    Ok(())
}

/// Moves a device of the merchant to another of the merchant's stores, as `PUT /Smart/Devices/{id}`
/// with `store` does (another merchant's store is as unknown as a wrong id: 404).
pub fn move_to_store(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    store: &str,
    now: i64,
) -> ApiResult<()> {
    user.require_admin()?;
    let changes = DeviceChanges {
        store: Some(store.trim().to_owned()),
        ..DeviceChanges::default()
    };
    let state = devices::update_device(tx, &user.principal(), id, changes, now)?;
    let store = &state.device.store_id;
    let detail = match &state.store_name {
        Some(name) => format!("{store} ({name})"),
        None => store.to_string(),
    };
    audit(tx, user, "device_move", &state.device.id, &detail, now)?;
    Ok(())
}

/// A registration of another merchant's client is as unknown as a wrong code.
fn refused(err: ConfirmError, user_code: &str) -> ApiError {
    match err {
        ConfirmError::UnknownCode(_) | ConfirmError::ClientOfOtherMerchant => {
            ApiError::not_found("device registration", user_code)
        }
        ConfirmError::Store(e) => e.into(),
        other => ApiError::new(Code::BadRequest, other.to_string()),
    }
}
