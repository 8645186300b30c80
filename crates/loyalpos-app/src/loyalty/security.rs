//! A merchant card's secrets and lock (api.md §9): CSC check, passcode (PIN) check/set/reset, lock
//! status, lock and unlock. CSCs and passcodes are stored only as salted hashes and compared in
//! constant time; a wrong CSC or passcode answers `false`, or 4206 where it authorises a change.

use loyalpos_domain::card::{LockStatus, lock_reason};
use loyalpos_store::{MerchantcardRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::events;
use crate::loyalty::locate::{CardAddress, locate, locate_for_change};
use crate::loyalty::{Merchantcard, own_merchantcard, with_card};
use crate::secret::{hash_secret, verify_secret};

/// A passcode to set: an integer 0–9999, hashed in its text form.
#[derive(Debug, Clone, Copy)]
pub struct Passcode(i64);

impl Passcode {
    pub fn parse(value: i64) -> ApiResult<Passcode> {
        if (0..=9999).contains(&value) {
            Ok(Passcode(value))
        } else {
            Err(ApiError::bad_request(
                "passcode: must be between 0 and 9999",
            ))
        }
    }
}

/// A documented lock reason (1, 2, 3, 6, 8).
#[derive(Debug, Clone, Copy)]
pub struct LockReason(i64);

impl LockReason {
    pub fn value(self) -> i64 {
        self.0
    }

    pub fn parse(value: Option<i64>) -> ApiResult<LockReason> {
        let reason = value.ok_or_else(|| ApiError::bad_request("reason: missing field"))?;
        match lock_reason(reason) {
            Some(_) => Ok(LockReason(reason)),
            None => Err(ApiError::bad_request(format!(
                "reason: {reason} is not a lock reason (1, 2, 3, 6, 8)"
            ))),
        }
    }
}

pub(crate) fn passcode_matches(card: &MerchantcardRow, passcode: i64) -> bool {
    card.passcode_hash
        .as_deref()
        .is_some_and(|hash| verify_secret(&passcode.to_string(), hash))
}

fn csc_matches(card: &MerchantcardRow, csc: &str) -> bool {
    card.csc_hash
        .as_deref()
        .is_some_and(|hash| verify_secret(csc, hash))
}

/// `checkCsc`: the addressed card exists here and has this CSC.
pub fn check_csc(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    csc: &str,
) -> ApiResult<bool> {
    let found = locate(tx, caller, address, false)?;
    Ok(found.is_some_and(|(mc, _)| csc_matches(&mc, csc)))
}

/// `checkPasscode`: the addressed card exists here and has this passcode.
pub fn check_passcode(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    pin: i64,
) -> ApiResult<bool> {
    let found = locate(tx, caller, address, false)?;
    Ok(found.is_some_and(|(mc, _)| passcode_matches(&mc, pin)))
}

/// Sets the passcode if none is set (`true`); an existing one must be reset first (`false`).
pub fn new_passcode(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    passcode: Passcode,
) -> ApiResult<bool> {
    let (mut mc, _) = locate_for_change(tx, caller, address)?;
    if mc.passcode_hash.is_some() {
        return Ok(false);
    }
    mc.passcode_hash = Some(hash_secret(&passcode.0.to_string()));
    tx.update_merchantcard(&mc)?;
    Ok(true)
}

/// Removes the passcode given the old one (`true`); wrong → 4206; none set → `false`.
pub fn reset_passcode(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    passcode: i64,
) -> ApiResult<bool> {
    let (mut mc, _) = locate_for_change(tx, caller, address)?;
    if mc.passcode_hash.is_none() {
        return Ok(false);
    }
    if !passcode_matches(&mc, passcode) {
        return Err(ApiError::new(
            Code::WrongSecret,
            "passcode does not match the card",
        ));
    }
    mc.passcode_hash = None;
    tx.update_merchantcard(&mc)?;
    Ok(true)
}

/// A card's lock as shown: reason and note only while it is locked.
#[derive(Debug, Clone)]
pub struct LockState {
    pub lock_status: LockStatus,
    pub reason: Option<i64>,
    pub note: Option<String>,
}

pub fn lock_status(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<LockState> {
    let mc = own_merchantcard(tx, caller, id, false)?;
    let locked = is_locked(&mc);
    Ok(LockState {
        reason: mc.lock_reason.filter(|_| locked),
        note: mc.lock_note.filter(|_| locked),
        lock_status: mc.lock_status,
    })
}

pub fn is_locked(card: &MerchantcardRow) -> bool {
    card.lock_status == LockStatus::Locked
}

/// A lock or unlock: `reason` set locks, `None` unlocks. A `csc`, when sent, must match (4206).
#[derive(Debug, Clone)]
pub struct LockChange {
    pub reason: Option<LockReason>,
    pub note: Option<String>,
    pub csc: Option<String>,
}

/// Locks the card with a documented reason (locking a locked card updates reason and note), or
/// unlocks it, clearing reason and note (a sent `reason` is not stored).
pub fn set_lock(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    change: LockChange,
    now: i64,
) -> ApiResult<Merchantcard> {
    let (mut mc, card) = locate_for_change(tx, caller, address)?;
    require_csc(&mc, change.csc.as_deref())?;
    match change.reason {
        Some(LockReason(reason)) => {
            mc.lock_status = LockStatus::Locked;
            mc.lock_reason = Some(reason);
            mc.lock_note = change.note;
        }
        None => {
            mc.lock_status = LockStatus::Unlocked;
            mc.lock_reason = None;
            mc.lock_note = None;
        }
    }
    tx.update_merchantcard(&mc)?;
    events::merchantcard_changed(tx, &mc, now);
    with_card(tx, mc, card)
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
