//! Cards (api.md §10): the global card behind merchant cards, and its assignment to a merchant
//! user account.

use loyalpos_store::{CardRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::security::passcode_matches;
use crate::secret::is_id;
use crate::tenancy::path_id;

/// A card the caller's merchant sees, as it sees it: only an assignment to one of its own accounts
/// is shown (a card shared by merchants must not tell one the other's account).
pub fn visible_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardRow> {
    let card = stored_card(tx, caller, id)?;
    own_assignment(tx, &caller.merchant_id, card)
}

/// Cards as the merchant sees them (see [`visible_card`]).
pub fn as_seen_by(
    tx: &mut dyn Tx,
    merchant_id: &str,
    cards: Vec<CardRow>,
) -> ApiResult<Vec<CardRow>> {
    cards
        .into_iter()
        .map(|c| own_assignment(tx, merchant_id, c))
        .collect()
}

/// The card with its stored assignment, if the caller's merchant has a merchant card of it (404
/// otherwise).
fn stored_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardRow> {
    let id = path_id(id, "CRD")?;
    match tx.card(id)? {
        Some(card) if tx.merchantcard_by_card(&caller.merchant_id, id)?.is_some() => Ok(card),
        _ => Err(ApiError::not_found("loyalty.cards", id)),
    }
}

fn own_assignment(tx: &mut dyn Tx, merchant_id: &str, mut card: CardRow) -> ApiResult<CardRow> {
    if let Some(account) = card.account_id.as_deref() {
        let own = tx
            .user(account)?
            .is_some_and(|u| u.merchant_id == merchant_id);
        if !own {
            card.account_id = None;
        }
    }
    Ok(card)
}

/// `me` or the token's own account; any other account is 404 (a malformed id 4003).
fn own_account(caller: &Principal, value: &str) -> ApiResult<String> {
    let user = caller.user_id.as_deref().unwrap_or_default();
    if value.eq_ignore_ascii_case("me") || value == user {
        return Ok(user.to_owned());
    }
    if !is_id(value, "ACC") {
        return Err(ApiError::bad_id(format!("malformed account id {value}")));
    }
    Err(ApiError::not_found("general.accounts", value))
}

/// Assigns the card to the caller's account. A card with a passcode needs it as `pin` (4206);
/// a card of another account stays there (409/4103); assigning twice changes nothing.
pub fn assign_account(
    tx: &mut dyn Tx,
    caller: &Principal,
    card_id: &str,
    account: &str,
    pin: Option<i64>,
) -> ApiResult<()> {
    let account = own_account(caller, account)?;
    let mut card = stored_card(tx, caller, card_id)?;
    let mc = tx
        .merchantcard_by_card(&caller.merchant_id, &card.id)?
        .ok_or_else(|| ApiError::not_found("loyalty.cards", &card.id))?;
    if mc.passcode_hash.is_some() && !pin.is_some_and(|p| passcode_matches(&mc, p)) {
        return Err(ApiError::new(
            Code::WrongSecret,
            "pin does not match the card's passcode",
        ));
    }
    // One answer whichever account — of this merchant or another — holds the card; its id is
    // never told.
    match card.account_id.as_deref() {
        Some(a) if a == account => Ok(()),
        Some(_) => Err(ApiError::new(
            Code::AlreadyExists,
            format!("card {} is assigned to another account", card.id),
        )),
        None => {
            card.account_id = Some(account);
            tx.update_card(&card)?;
            Ok(())
        }
    }
}

/// Removes the card from the caller's account; `false` when it is not assigned to it.
pub fn unassign_account(
    tx: &mut dyn Tx,
    caller: &Principal,
    card_id: &str,
    account: &str,
) -> ApiResult<bool> {
    let account = own_account(caller, account)?;
    let mut card = stored_card(tx, caller, card_id)?;
    if card.account_id.as_deref() != Some(account.as_str()) {
        return Ok(false);
    }
    card.account_id = None;
    tx.update_card(&card)?;
    Ok(true)
}
