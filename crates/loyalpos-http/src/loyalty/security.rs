//! A merchant card's secrets and lock (api.md §9): CSC check, passcode (PIN) check/set/reset, lock
//! status, lock and unlock. CSCs and passcodes are stored only as salted hashes and compared in
//! constant time; a wrong CSC or passcode answers `false`, or 4206 where it authorises a change.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_domain::card::lock_reason;
use loyalpos_store::MerchantcardRow;
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, Req, ok_json};
use crate::error::{ApiError, ApiResult, Code};
use crate::json;
use crate::loyalty::locate::{CardAddress, locate, locate_for_change};
use crate::loyalty::own_merchantcard;
use crate::loyalty::views::render_merchantcard;
use crate::secret::{hash_secret, verify_secret};
use crate::tenancy::merchant_param;

/// Passcodes are integers 0–9999; their text form is what is hashed.
const PASSCODE_RANGE: std::ops::RangeInclusive<i64> = 0..=9999;

fn result(value: bool) -> ApiResult<Response> {
    ok_json(&json!({"result": value}))
}

fn csc_matches(card: &MerchantcardRow, csc: &str) -> bool {
    card.csc_hash
        .as_deref()
        .is_some_and(|hash| verify_secret(csc, hash))
}

fn passcode_matches(card: &MerchantcardRow, passcode: i64) -> bool {
    card.passcode_hash
        .as_deref()
        .is_some_and(|hash| verify_secret(&passcode.to_string(), hash))
}

/// A `csc` sent with a lock or unlock must match (400/4206); a card without a CSC matches none.
fn require_csc(card: &MerchantcardRow, csc: Option<&str>) -> ApiResult<()> {
    match csc {
        Some(csc) if !csc_matches(card, csc) => Err(ApiError::new(
            Code::WrongSecret,
            "csc does not match the card",
        )),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct CheckCscDto {
    cardnumber: Option<String>,
    csc: String,
}

pub async fn check_csc(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckCscDto = json::body(&req.body)?;
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.read().await?;
    let found = locate(&mut *tx, req.caller(), &address, false).await?;
    result(found.is_some_and(|(mc, _)| csc_matches(&mc, &dto.csc)))
}

#[derive(Deserialize)]
struct CheckPasscodeDto {
    cardnumber: Option<String>,
    pin: i64,
}

pub async fn check_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckPasscodeDto = json::body(&req.body)?;
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.read().await?;
    let found = locate(&mut *tx, req.caller(), &address, false).await?;
    result(found.is_some_and(|(mc, _)| passcode_matches(&mc, dto.pin)))
}

#[derive(Deserialize)]
struct NewPasscodeDto {
    merchant: Option<String>,
    cardnumber: Option<String>,
    passcode: i64,
}

/// Sets the passcode if none is set (`true`); an existing one must be reset first (`false`).
pub async fn new_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: NewPasscodeDto = json::body(&req.body)?;
    if !PASSCODE_RANGE.contains(&dto.passcode) {
        return Err(ApiError::bad_request(
            "passcode: must be between 0 and 9999",
        ));
    }
    if let Some(m) = &dto.merchant {
        merchant_param(&app, req.caller(), m)?;
    }
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.write().await?;
    let (mut mc, _) = locate_for_change(&mut *tx, req.caller(), &address).await?;
    if mc.passcode_hash.is_some() {
        return result(false);
    }
    mc.passcode_hash = Some(hash_secret(&dto.passcode.to_string()));
    tx.update_merchantcard(&mc).await?;
    tx.commit().await?;
    result(true)
}

#[derive(Deserialize)]
struct ResetPasscodeDto {
    cardnumber: Option<String>,
    passcode: i64,
}

/// Removes the passcode given the old one (`true`); wrong → 4206; none set → `false`.
pub async fn reset_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: ResetPasscodeDto = json::body(&req.body)?;
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.write().await?;
    let (mut mc, _) = locate_for_change(&mut *tx, req.caller(), &address).await?;
    if mc.passcode_hash.is_none() {
        return result(false);
    }
    if !passcode_matches(&mc, dto.passcode) {
        return Err(ApiError::new(
            Code::WrongSecret,
            "passcode does not match the card",
        ));
    }
    mc.passcode_hash = None;
    tx.update_merchantcard(&mc).await?;
    tx.commit().await?;
    result(true)
}

pub async fn lock_status(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let mc = own_merchantcard(&mut *tx, req.caller(), req.param(0), false).await?;
    let locked = mc.lock_status == "locked";
    ok_json(&json!({
        "lock_status": mc.lock_status,
        "reason": if locked { mc.lock_reason } else { None },
        "note": if locked { mc.lock_note } else { None },
    }))
}

#[derive(Deserialize)]
struct LockDto {
    reason: Option<i64>,
    note: Option<String>,
    csc: Option<String>,
    cardnumber: Option<String>,
}

/// Locks the card with a documented reason (1, 2, 3, 6, 8); locking a locked card updates reason
/// and note.
pub async fn lock(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: LockDto = json::body(&req.body)?;
    let reason = dto
        .reason
        .ok_or_else(|| ApiError::bad_request("reason: missing field"))?;
    if lock_reason(reason).is_none() {
        return Err(ApiError::bad_request(format!(
            "reason: {reason} is not a lock reason (1, 2, 3, 6, 8)"
        )));
    }
    set_lock(app, req, dto, Some(reason)).await
}

/// Unlocks the card; reason and note are cleared (a sent `reason` is not stored).
pub async fn unlock(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: LockDto = json::body(&req.body)?;
    set_lock(app, req, dto, None).await
}

async fn set_lock(
    app: Arc<App>,
    req: Req,
    dto: LockDto,
    reason: Option<i64>,
) -> ApiResult<Response> {
    let address = CardAddress {
        path: req.param(0),
        cardnumber: dto.cardnumber.as_deref(),
    };
    let mut tx = app.store.write().await?;
    let (mut mc, _) = locate_for_change(&mut *tx, req.caller(), &address).await?;
    require_csc(&mc, dto.csc.as_deref())?;
    match reason {
        Some(reason) => {
            mc.lock_status = "locked".into();
            mc.lock_reason = Some(reason);
            mc.lock_note = dto.note;
        }
        None => {
            mc.lock_status = "unlocked".into();
            mc.lock_reason = None;
            mc.lock_note = None;
        }
    }
    tx.update_merchantcard(&mc).await?;
    let view = render_merchantcard(&mut *tx, &app.clock, &mc).await?;
    tx.commit().await?;
    ok_json(&view)
}
