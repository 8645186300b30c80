//! A merchant card's secrets and lock (api.md §9): CSC check, passcode (PIN) check/set/reset, lock
//! status, lock and unlock. A wrong CSC or passcode answers `false`, or 4206 where it authorises a
//! change.

use std::sync::Arc;

use crate::wire::ResultBool;
use axum::response::Response;
use loyalpos_app::loyalty::locate::CardAddress;
use loyalpos_app::loyalty::security::{self, LockChange, LockReason, Passcode};
use loyalpos_app::tenancy::merchant_param;
use loyalpos_domain::card::LockStatus;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::ApiResult;
use crate::json;
use crate::loyalty::views::render_merchantcard;

fn address(req: &Req, cardnumber: Option<String>) -> CardAddress {
    CardAddress {
        path: req.param(0).to_owned(),
        cardnumber,
    }
}

fn result(value: bool) -> ApiResult<Answer> {
    Answer::json(&ResultBool { result: value })
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct CheckCscDto {
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
    csc: String,
}

pub async fn check_csc(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckCscDto = json::body(&req.body)?;
    let (caller, address) = (req.caller().clone(), address(&req, dto.cardnumber));
    let matches = req
        .read(&app, move |tx| {
            security::check_csc(tx, &caller, &address, &dto.csc)
        })
        .await?;
    ok_json(&ResultBool { result: matches })
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct CheckPasscodeDto {
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
    #[schemars(range(min = 0, max = 9999))]
    pin: i64,
}

pub async fn check_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckPasscodeDto = json::body(&req.body)?;
    let (caller, address) = (req.caller().clone(), address(&req, dto.cardnumber));
    let matches = req
        .read(&app, move |tx| {
            security::check_passcode(tx, &caller, &address, dto.pin)
        })
        .await?;
    ok_json(&ResultBool { result: matches })
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct NewPasscodeDto {
    #[schemars(regex(pattern = r"^([Mm][Ee]|MRC_[A-Z0-9]{30})$"))]
    merchant: Option<String>,
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
    passcode: i64,
}

pub async fn new_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: NewPasscodeDto = json::body(&req.body)?;
    let passcode = Passcode::parse(dto.passcode)?;
    let caller = req.caller().clone();
    if let Some(m) = &dto.merchant {
        merchant_param(app.config.demo, &caller, m)?;
    }
    let address = address(&req, dto.cardnumber);
    req.write(&app, move |tx| {
        result(security::new_passcode(tx, &caller, &address, passcode)?)
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct ResetPasscodeDto {
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
    passcode: i64,
}

pub async fn reset_passcode(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: ResetPasscodeDto = json::body(&req.body)?;
    let (caller, address) = (req.caller().clone(), address(&req, dto.cardnumber));
    req.write(&app, move |tx| {
        result(security::reset_passcode(
            tx,
            &caller,
            &address,
            dto.passcode,
        )?)
    })
    .await
}

pub async fn lock_status(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let lock = req
        .read(&app, move |tx| security::lock_status(tx, &caller, &id))
        .await?;
    ok_json(&LockStatusView {
        lock_status: lock.lock_status.as_str(),
        reason: lock.reason,
        note: lock.note,
    })
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "LockStatus")]
pub(crate) struct LockStatusView {
    #[schemars(extend("enum" = LockStatus::NAMES))]
    lock_status: &'static str,
    reason: Option<i64>,
    note: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct LockDto {
    reason: Option<i64>,
    note: Option<String>,
    csc: Option<String>,
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
}

pub async fn lock(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: LockDto = json::body(&req.body)?;
    let reason = LockReason::parse(dto.reason)?;
    set_lock(app, req, dto, Some(reason)).await
}

pub async fn unlock(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: LockDto = json::body(&req.body)?;
    set_lock(app, req, dto, None).await
}

async fn set_lock(
    app: Arc<App>,
    req: Req,
    dto: LockDto,
    reason: Option<LockReason>,
) -> ApiResult<Response> {
    let (caller, address) = (req.caller().clone(), address(&req, dto.cardnumber));
    let change = LockChange {
        reason,
        note: dto.note,
        csc: dto.csc,
    };
    let (clock, now) = (app.clock.clone(), app.clock.now());
    req.write(&app, move |tx| {
        let card = security::set_lock(tx, &caller, &address, change, now)?;
        Answer::json(&render_merchantcard(&clock, &card))
    })
    .await
}
