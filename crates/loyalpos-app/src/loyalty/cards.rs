//! Cards (api.md §10): the global card behind merchant cards, and its assignment to a merchant
//! user account.

use loyalpos_store::{CardRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::security::passcode_matches;
use crate::secret::is_id;
use crate::tenancy::path_id;

/// A card the caller's merchant sees: one with a merchant card there (404 otherwise).
pub fn visible_card(tx: &mut dyn Tx, caller: &Principal, id: &str) -> ApiResult<CardRow> {
    let id = path_id(id, "CRD")?;
    match tx.card(id)? {
        Some(card) if tx.merchantcard_by_card(&caller.merchant_id, id)?.is_some() => Ok(card),
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
/// a card of another account stays there (409/4103); assigning twice changes nothing.
pub fn assign_account(
    tx: &mut dyn Tx,
    caller: &Principal,
    card_id: &str,
    account: &str,
    pin: Option<i64>,
) -> ApiResult<()> {
    let account = own_account(caller, account)?;
    let mut card = visible_card(tx, caller, card_id)?;
    let mc = tx
        .merchantcard_by_card(&caller.merchant_id, &card.id)?
        .ok_or_else(|| ApiError::not_found("loyalty.cards", &card.id))?;
    if mc.passcode_hash.is_some() && !pin.is_some_and(|p| passcode_matches(&mc, p)) {
        return Err(ApiError::new(
            Code::WrongSecret,
            "pin does not match the card's passcode",
        ));
    }
    match card.account_id.as_deref() {
        Some(a) if a == account => Ok(()),
        Some(_) => Err(ApiError::new(
            Code::AlreadyExists,
            format!("card {} is already assigned to another account", card.id),
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
    let mut card = visible_card(tx, caller, card_id)?;
    if card.account_id.as_deref() != Some(account.as_str()) {
        return Ok(false);
    }
    card.account_id = None;
    tx.update_card(&card)?;
    Ok(true)
}
