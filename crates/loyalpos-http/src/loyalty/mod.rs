//! Loyalty over HTTP: card groups, cards, merchant cards, customers and the ledger (api.md §9–13).
//! Each handler parses its request, runs one command of `loyalpos_app::loyalty` (the direct
//! transaction: `loyalpos_app::direct`) as a job and renders the outcome.

pub mod cardgroups;
pub mod cards;
pub mod customers;
pub mod direct;
pub mod merchantcards;
pub mod security;
pub mod transactions;
pub mod views;

use serde::Serialize;
use serde_json::Value;

use crate::app::Req;
use crate::error::{ApiError, ApiResult};
use crate::list;

/// The list request of a `GET` list with the resource's pushable paths; a bad parameter is
/// 400/4001.
pub(crate) fn list_plan(req: &Req, pushable: &[list::pushdown::Pushable]) -> ApiResult<list::Plan> {
    list::Plan::new(&req.query, pushable).map_err(|e| ApiError::bad_request(e.0))
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}
