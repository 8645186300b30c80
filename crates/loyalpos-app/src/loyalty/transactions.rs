//! Loyalty transactions (api.md §13): the ledger, read-only.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{CardId, CardgroupId, LtxId, MerchantcardId};
use std::collections::{HashMap, HashSet};

use loyalpos_store::{BookingRow, CardRow, CardgroupRow, LtxRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::tenancy::{owned, path_id};

/// A loyalty transaction with everything its view shows.
#[derive(Debug, Clone)]
pub struct Ltx {
    pub row: LtxRow,
    pub card: CardRow,
    pub group: CardgroupRow,
    /// The transaction this one cancels.
    pub parent: Option<LtxRow>,
    /// The transaction that cancelled this one.
    pub child: Option<LtxRow>,
    /// The bookings in booking order.
    pub bookings: Vec<BookingRow>,
}

/// A loyalty transaction of the caller's merchant by `LTX_` id.
pub fn get(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<Ltx> {
    let id = path_id(id, "LTX")?;
    let row = owned(
        tx.ltx(&id.into())?,
        |l| &l.merchant_id,
        caller,
        "loyalty.transactions",
        id,
    )?;
    let bookings = tx.bookings_of(&row.id)?;
    with_parts(tx, row, bookings)
}

/// A loyalty transaction by id, whoever's it is (an event's object); `None` when unknown.
pub fn by_id(tx: &mut dyn Tx, id: &LtxId) -> ApiResult<Option<Ltx>> {
    let Some(row) = tx.ltx(id)? else {
        return Ok(None);
    };
    let bookings = tx.bookings_of(&row.id)?;
    with_parts(tx, row, bookings).map(Some)
}

/// The transactions of one list page, each with its parts.
pub fn page_with_parts(tx: &mut dyn Tx, rows: Vec<LtxRow>) -> ApiResult<Vec<Ltx>> {
    let mut bookings = bookings_by_ltx(tx, &rows)?;
    rows.into_iter()
        .map(|row| {
            let own = bookings.remove(&row.id).unwrap_or_default();
            with_parts(tx, row, own)
        })
        .collect()
}

fn with_parts(tx: &mut dyn Tx, row: LtxRow, bookings: Vec<BookingRow>) -> ApiResult<Ltx> {
    let merchantcard = tx.merchantcard(&row.merchantcard_id)?.ok_or_else(|| {
        ApiError::internal(format!("merchant card {} missing", row.merchantcard_id))
    })?;
    let card = tx
        .card(&merchantcard.card_id)?
        .ok_or_else(|| ApiError::internal("card missing"))?;
    let group = tx
        .cardgroup(&row.cardgroup_id)?
        .ok_or_else(|| ApiError::internal("card group missing"))?;
    let parent = related(tx, row.parent_id.as_deref())?;
    let child = related(tx, row.child_id.as_deref())?;
    Ok(Ltx {
        bookings,
        row,
        card,
        group,
        parent,
        child,
    })
}

fn related(tx: &mut dyn Tx, id: Option<&str>) -> ApiResult<Option<LtxRow>> {
    Ok(match id {
        Some(id) => tx.ltx(&LtxId::new(id))?,
        None => None,
    })
}

/// Many of a merchant's transactions (a list's candidates) with their parts, in their order: a
/// fixed number of queries plus one per related transaction outside `rows`.
pub fn all_with_parts(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    rows: Vec<LtxRow>,
) -> ApiResult<Vec<Ltx>> {
    let mut bookings = bookings_by_ltx(tx, &rows)?;
    let card_of: HashMap<MerchantcardId, CardId> = tx
        .merchantcards(merchant_id)?
        .into_iter()
        .map(|m| (m.id, m.card_id))
        .collect();
    let cards: HashMap<CardId, CardRow> = tx
        .cards_of_merchant(merchant_id)?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let groups: HashMap<CardgroupId, CardgroupRow> = tx
        .cardgroups(merchant_id)?
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    let outside = related_outside(tx, &rows)?;
    let by_id: HashMap<&str, &LtxRow> = rows
        .iter()
        .chain(outside.iter())
        .map(|l| (l.id.as_str(), l))
        .collect();
    let find = |id: &Option<LtxId>| {
        id.as_ref()
            .and_then(|id| by_id.get(id.as_str()).map(|l| (*l).clone()))
    };
    let mut shown = Vec::with_capacity(rows.len());
    for l in &rows {
        let card = card_of.get(&l.merchantcard_id).and_then(|id| cards.get(id));
        let (Some(card), Some(group)) = (card, groups.get(&l.cardgroup_id)) else {
            return Err(ApiError::internal(format!(
                "card or card group of {} missing",
                l.id
            )));
        };
        shown.push(Ltx {
            card: card.clone(),
            group: group.clone(),
            parent: find(&l.parent_id),
            child: find(&l.child_id),
            bookings: bookings.remove(&l.id).unwrap_or_default(),
            row: l.clone(),
        });
    }
    Ok(shown)
}

/// The transactions that `rows` name as parent or child but do not contain.
fn related_outside(tx: &mut dyn Tx, rows: &[LtxRow]) -> ApiResult<Vec<LtxRow>> {
    let listed: HashSet<&str> = rows.iter().map(|l| l.id.as_str()).collect();
    let mut outside = Vec::new();
    for id in rows
        .iter()
        .flat_map(|l| l.parent_id.iter().chain(l.child_id.iter()))
        .filter(|id| !listed.contains(id.as_str()))
    {
        outside.extend(tx.ltx(id)?);
    }
    Ok(outside)
}

/// How many transaction ids one bookings query names (bound parameters are limited per statement).
const IDS_PER_QUERY: usize = 500;

/// The bookings of these transactions only, grouped by transaction in booking order.
fn bookings_by_ltx(tx: &mut dyn Tx, rows: &[LtxRow]) -> ApiResult<HashMap<LtxId, Vec<BookingRow>>> {
    let mut grouped: HashMap<LtxId, Vec<BookingRow>> = HashMap::new();
    for chunk in rows.chunks(IDS_PER_QUERY) {
        let ids: Vec<LtxId> = chunk.iter().map(|l| l.id.clone()).collect();
        for b in tx.bookings_of_ltxs(&ids)? {
            grouped.entry(b.ltx_id.clone()).or_default().push(b);
        }
    }
    Ok(grouped)
}
