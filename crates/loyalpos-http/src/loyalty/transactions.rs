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
use crate::loyalty::list_plan;
use crate::loyalty::views::{LtxParts, ltx_view, render_ltx};
use crate::tenancy::{owned, path_id};

const MAIN_FIELDS: &[&str] = &["id", "trans_id", "card.cardnumber", "description"];

/// The views of many of a merchant's loyalty transactions (the list's candidates), in their order,
/// with a fixed number of queries plus one per related transaction outside `rows`.
async fn render_all(
    tx: &mut dyn Tx,
    clock: &Clock,
    merchant_id: &str,
    rows: &[LtxRow],
) -> ApiResult<Vec<Value>> {
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
    let mut outside: Vec<LtxRow> = Vec::new();
    {
        let listed: std::collections::HashSet<&str> = rows.iter().map(|l| l.id.as_str()).collect();
        let missing: Vec<&String> = rows
            .iter()
            .flat_map(|l| l.parent_id.iter().chain(l.child_id.iter()))
            .filter(|id| !listed.contains(id.as_str()))
            .collect();
        for id in missing {
            outside.extend(tx.ltx(id).await?);
        }
    }
    let by_id: HashMap<&str, &LtxRow> = rows
        .iter()
        .chain(outside.iter())
        .map(|l| (l.id.as_str(), l))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for l in rows {
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
    let plan = list_plan(&req, list::pushdown::LOYALTY_TRANSACTIONS)?;
    let merchant_id = &req.caller().merchant_id;
    let mut tx = app.store.read().await?;
    let found = tx.list_ltxs(merchant_id, plan.query()).await?;
    let items = if plan.is_paged() {
        // One page: read the parts of these transactions only.
        let mut items = Vec::with_capacity(found.rows.len());
        for l in &found.rows {
            items.push(render_ltx(&mut *tx, &app.clock, l).await?);
        }
        items
    } else {
        render_all(&mut *tx, &app.clock, merchant_id, &found.rows).await?
    };
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
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
