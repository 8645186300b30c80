//! Loyalty: card groups, cards, merchant cards, customers and the ledger (api.md §9–13).

pub mod cardgroups;
pub mod cards;
pub mod customers;
pub mod direct;
pub mod issue;
pub mod ledger;
pub mod locate;
pub mod merchantcards;
pub mod security;
pub mod transactions;
pub mod views;

use loyalpos_store::{CardgroupRow, CustomerRow, MerchantcardRow, Tx};
use serde::Serialize;
use serde_json::Value;

use crate::app::Req;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::list;
use crate::tenancy::{owned, path_id};

/// The list request of a `GET` list with the resource's pushable paths; a bad parameter is
/// 400/4001.
pub(crate) fn list_plan(req: &Req, pushable: &[list::pushdown::Pushable]) -> ApiResult<list::Plan> {
    list::Plan::new(&req.query, pushable).map_err(|e| ApiError::bad_request(e.0))
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

pub(crate) async fn own_cardgroup(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
) -> ApiResult<CardgroupRow> {
    let id = path_id(id, "CRG")?;
    owned(
        tx.cardgroup(id).await?,
        |g| &g.merchant_id,
        caller,
        "loyalty.cardgroups",
        id,
    )
}

pub(crate) async fn own_customer(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
) -> ApiResult<CustomerRow> {
    let id = path_id(id, "CUS")?;
    owned(
        tx.customer(id).await?,
        |c| &c.merchant_id,
        caller,
        "loyalty.customers",
        id,
    )
}

/// A merchant card of the caller's merchant by `MCD_` id. With `lock`, the row is read under the
/// card's lock (every write to a merchant card goes through the lock, balances or not).
pub(crate) async fn own_merchantcard(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<MerchantcardRow> {
    let id = path_id(id, "MCD")?;
    let row = if lock {
        tx.lock_merchantcard(id).await?
    } else {
        tx.merchantcard(id).await?
    };
    owned(row, |m| &m.merchant_id, caller, "loyalty.merchantcards", id)
}
