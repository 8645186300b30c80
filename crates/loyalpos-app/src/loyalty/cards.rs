//! Cards (api.md §10): the global card behind merchant cards, and its assignment to a merchant
//! user account.

use loyalpos_store::{AssignedCardRow, CardRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::security::passcode_matches;
use crate::secret::is_id;
use crate::tenancy::path_id;

/// A card the caller's merchant sees, with the merchant's own assignment only: a card shared by
/// merchants is assigned per merchant, so one never sees (or is blocked by) the other's account.
pub fn visible_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<AssignedCardRow> {
    let card = stored_card(tx, caller, id)?;
    let account_id = tx.card_account(&caller.merchant_id, &card.id)?;
    Ok(AssignedCardRow { card, account_id })
}

/// The card, if the caller's merchant has a merchant card of it (404 otherwise).
fn stored_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardRow> {
    let id = path_id(id, "CRD")?;
    match tx.card(&id.into())? {
        Some(card)
            if tx
                .merchantcard_by_card(&caller.merchant_id, &id.into())?
                .is_some() =>
        {
            Ok(card)
        }
        _ => Err(ApiError::not_found("loyalty.cards", id)),
    }
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
/// a card assigned to another account of the same merchant stays there (409/4103); assigning twice
/// changes nothing. Other merchants' assignments of a shared card play no part.
pub fn assign_account(
    tx: &mut dyn Tx,
    caller: &Principal,
    card_id: &str,
    account: &str,
    pin: Option<i64>,
) -> ApiResult<()> {
    let account = own_account(caller, account)?;
    let card = stored_card(tx, caller, card_id)?;
    let mc = tx
        .merchantcard_by_card(&caller.merchant_id, &card.id)?
        .ok_or_else(|| ApiError::not_found("loyalty.cards", &card.id))?;
    if mc.passcode_hash.is_some() && !pin.is_some_and(|p| passcode_matches(&mc, p)) {
        return Err(ApiError::new(
            Code::WrongSecret,
            "pin does not match the card's passcode",
        ));
    }
    match tx.card_account(&caller.merchant_id, &card.id)?.as_deref() {
        Some(a) if a == account => Ok(()),
        Some(_) => Err(ApiError::new(
            Code::AlreadyExists,
            format!("card {} is assigned to another account", card.id),
        )),
        None => {
            tx.set_card_account(&caller.merchant_id, &card.id, Some(&account))?;
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
    let card = stored_card(tx, caller, card_id)?;
    if tx.card_account(&caller.merchant_id, &card.id)?.as_deref() != Some(account.as_str()) {
        return Ok(false);
    }
    tx.set_card_account(&caller.merchant_id, &card.id, None)?;
    Ok(true)
}
