//! Loyalty/Transactions (api.md §13): the ledger, read-only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use loyalpos_store::{BookingRow, LtxRow, Tx};
use serde_json::Value;

use crate::app::{App, Req, ok_json};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::list;
use crate::loyalty::list_params;
use crate::loyalty::views::{LtxParts, ltx_view, render_ltx};
use crate::tenancy::{owned, path_id};

const MAIN_FIELDS: &[&str] = &["id", "trans_id", "card.cardnumber", "description"];

/// The views of all of a merchant's loyalty transactions, newest first, with a fixed number of
/// queries (the list is filtered on these views, so every transaction is rendered).
async fn render_all(tx: &mut dyn Tx, clock: &Clock, merchant_id: &str) -> ApiResult<Vec<Value>> {
    let mut rows = tx.ltxs(merchant_id).await?;
    // Newest first; TA codes are strictly increasing, so they order transactions of one second.
    rows.sort_by_key(|l| std::cmp::Reverse((l.created, l.trans_id)));
    let mut bookings: HashMap<String, Vec<BookingRow>> = HashMap::new();
    for b in tx.bookings_of_merchant(merchant_id).await? {
        bookings.entry(b.ltx_id.clone()).or_default().push(b);
    }
    let card_of: HashMap<String, String> = tx
        .merchantcards(merchant_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.card_id))
        .collect();
    let cards: HashMap<_, _> = tx
        .cards_of_merchant(merchant_id)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let groups: HashMap<_, _> = tx
        .cardgroups(merchant_id)
        .await?
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    let by_id: HashMap<&str, &LtxRow> = rows.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut items = Vec::with_capacity(rows.len());
    for l in &rows {
        let card = card_of.get(&l.merchantcard_id).and_then(|id| cards.get(id));
        let (Some(card), Some(group)) = (card, groups.get(&l.cardgroup_id)) else {
            return Err(ApiError::internal(format!(
                "card or card group of {} missing",
                l.id
            )));
        };
        let related = |id: &Option<String>| id.as_deref().and_then(|id| by_id.get(id).copied());
        let parts = LtxParts {
            card,
            group,
            parent: related(&l.parent_id),
            child: related(&l.child_id),
            bookings: bookings.get(&l.id).map_or(&[], Vec::as_slice),
        };
        items.push(ltx_view(clock, l, &parts));
    }
    Ok(items)
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let params = list_params(&req)?;
    let mut tx = app.store.read().await?;
    let items = render_all(&mut *tx, &app.clock, &req.caller().merchant_id).await?;
    ok_json(&list::apply(items, &params, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let id = path_id(req.param(0), "LTX")?;
    let mut tx = app.store.read().await?;
    let row = owned(
        tx.ltx(id).await?,
        |l| &l.merchant_id,
        req.caller(),
        "loyalty.transactions",
        id,
    )?;
    ok_json(&render_ltx(&mut *tx, &app.clock, &row).await?)
}
