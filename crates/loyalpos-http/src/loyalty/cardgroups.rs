//! Loyalty/Cardgroups (api.md §11): the programme configuration behind every loyalty rule.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::loyalty::cardgroups::{self, CardgroupPatch};
use loyalpos_app::loyalty::own_cardgroup;
use loyalpos_domain::card::{CardNumber, PasscodeAction};
use serde::Deserialize;

use crate::answer::{Answer, ok_json};
use crate::app::{App, Req};
use crate::error::ApiResult;
use crate::json;
use crate::list;
use crate::loyalty::views::cardgroup_view;
use crate::loyalty::{list_plan, to_value};
use crate::wire::ResultBool;

const MAIN_FIELDS: &[&str] = &["id", "display_name"];

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CARDGROUPS)?;
    let merchant_id = req.caller().merchant_id.clone();
    let (plan, found) = req
        .read(&app, move |tx| {
            let found = tx.list_cardgroups(&merchant_id, plan.query())?;
            Ok((plan, found))
        })
        .await?;
    let items = found
        .rows
        .iter()
        .map(|g| to_value(&cardgroup_view(g)))
        .collect::<ApiResult<_>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let row = req
        .read(&app, move |tx| own_cardgroup(tx, &caller, &id))
        .await?;
    ok_json(&cardgroup_view(&row))
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CardgroupPatch = json::body(&req.body)?;
    let caller = req.caller().clone();
    let now = app.clock.now();
    req.write(&app, move |tx| {
        let row = cardgroups::create(tx, &caller.merchant_id, patch, now)?;
        Answer::json(&cardgroup_view(&row))
    })
    .await
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let patch: CardgroupPatch = json::body(&req.body)?;
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    req.write(&app, move |tx| {
        let row = cardgroups::update(tx, &caller, &id, patch)?;
        Answer::json(&cardgroup_view(&row))
    })
    .await
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct CheckPasscodeEnabledDto {
    #[schemars(extend("enum" = ["charge", "discharge", "sale_revenue", "charge_points",
        "discharge_points", "cashreport", "cash_report", null]))]
    action: Option<String>,
    #[schemars(regex(pattern = r"^[0-9]{16}$"))]
    cardnumber: Option<String>,
}

/// The card number is only format-checked: it does not change the answer.
pub async fn check_passcode_enabled(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CheckPasscodeEnabledDto = json::body(&req.body)?;
    let action = dto
        .action
        .as_deref()
        .map(PasscodeAction::parse)
        .transpose()?;
    if let Some(n) = dto.cardnumber.as_deref() {
        CardNumber::parse(n)?;
    }
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let enabled = req
        .read(&app, move |tx| {
            cardgroups::passcode_enabled(tx, &caller, &id, action)
        })
        .await?;
    ok_json(&ResultBool { result: enabled })
}
