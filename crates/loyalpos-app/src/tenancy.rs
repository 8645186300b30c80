//! Tenancy rules (api.md §4): the token's merchant decides; another merchant's object is 404.

use loyalpos_store::{ContractRow, DeviceRow, MerchantId, MerchantRow, StoreRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::secret::is_id;

/// Resolves a merchant id read from a path or body: `me`, the token's merchant, or (demo only) an
/// alias of the demo merchant. Anything else well-formed is 404; malformed is 4003.
pub fn merchant_param(demo: bool, caller: &Principal, value: &str) -> ApiResult<MerchantId> {
    if value.eq_ignore_ascii_case("me") || value == caller.merchant_id {
        return Ok(caller.merchant_id.clone());
    }
    if demo
        && crate::demo_ids::MERCHANT_ALIASES.contains(&value)
        && caller.merchant_id == crate::demo_ids::MERCHANT_ID
    {
        return Ok(caller.merchant_id.clone());
    }
    if !MerchantId::is_valid(value) {
        return Err(ApiError::bad_id(format!("malformed merchant id {value}")));
    }
    Err(ApiError::not_found("general.merchants", value))
}

/// Checks the format of a path id.
pub fn path_id<'a>(value: &'a str, prefix: &str) -> ApiResult<&'a str> {
    if is_id(value, prefix) {
        Ok(value)
    } else {
        Err(ApiError::bad_id(format!(
            "malformed id {value} (expected {prefix}_…)"
        )))
    }
}

pub fn own_merchant(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<MerchantRow> {
    tx.merchant(&caller.merchant_id)?
        .ok_or_else(|| ApiError::not_found("general.merchants", caller.merchant_id.as_str()))
}

/// Returns the row if it belongs to the caller's merchant, else 404 exactly like an unknown id.
pub fn owned<T>(
    row: Option<T>,
    merchant_of: impl Fn(&T) -> &MerchantId,
    caller: &Principal,
    object: &str,
    id: &str,
) -> ApiResult<T> {
    match row {
        Some(r) if *merchant_of(&r) == caller.merchant_id => Ok(r),
        _ => Err(ApiError::not_found(object, id)),
    }
}

/// A store of the caller's merchant by id (4003 malformed, 404 unknown or foreign).
pub fn own_store(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<StoreRow> {
    let id = path_id(id, "STO")?;
    owned(
        tx.store(&id.into())?,
        |s| &s.merchant_id,
        caller,
        "general.stores",
        id,
    )
}

/// A contract of the caller's merchant by id (4003 malformed, 404 unknown or foreign).
pub fn own_contract(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<ContractRow> {
    let id = path_id(id, "GCR")?;
    owned(
        tx.contract(&id.into())?,
        |c| &c.merchant_id,
        caller,
        "general.contracts",
        id,
    )
}

/// A device of the caller's merchant by id (4003 malformed, 404 unknown or foreign).
pub fn own_device(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<DeviceRow> {
    let id = path_id(id, "SDV")?;
    owned(
        tx.device(&id.into())?,
        |d| &d.merchant_id,
        caller,
        "smart.devices",
        id,
    )
}
