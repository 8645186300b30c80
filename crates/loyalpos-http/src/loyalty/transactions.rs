//! Loyalty/Transactions (api.md §13): the ledger, read-only.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_app::loyalty::transactions;

use crate::answer::ok_json;
use crate::app::{App, Req};
use crate::error::ApiResult;
use crate::list;
use crate::loyalty::views::ltx_view;
use crate::loyalty::{list_plan, to_value};

const MAIN_FIELDS: &[&str] = &["id", "trans_id", "card.cardnumber", "description"];

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::LOYALTY_TRANSACTIONS)?;
    let merchant_id = req.caller().merchant_id.clone();
    let (plan, total, ltxs) = req
        .read(&app, move |tx| {
            let found = tx.list_ltxs(&merchant_id, plan.query())?;
            let ltxs = if plan.is_paged() {
                transactions::page_with_parts(tx, found.rows)?
            } else {
                transactions::all_with_parts(tx, &merchant_id, found.rows)?
            };
            Ok((plan, found.total, ltxs))
        })
        .await?;
    let items = ltxs
        .iter()
        .map(|l| to_value(&ltx_view(&app.clock, l)))
        .collect::<ApiResult<_>>()?;
    ok_json(&plan.answer(items, total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let (caller, id) = (req.caller().clone(), req.param(0).to_owned());
    let ltx = req
        .read(&app, move |tx| transactions::get(tx, &caller, &id))
        .await?;
    ok_json(&ltx_view(&app.clock, &ltx))
}
