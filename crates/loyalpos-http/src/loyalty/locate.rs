//! Locating the merchant card of a `…/MerchantCards/{id}/…` request (api.md §9, **loyalpos rule**):
//! `{id}` is an `MCD_` id of the caller's merchant (404 otherwise) or `me`, in which case the card is
//! found by the body's `cardnumber`. A number that does not belong to the addressed card, or an
//! unknown number, is "no card": each endpoint answers that in its own way (its invalid answer, or
//! 4201 for changes).

use loyalpos_domain::card::CardNumber;
use loyalpos_store::{CardRow, MerchantcardRow, Tx};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::own_merchantcard;
use crate::tenancy::path_id;

/// How a request names its card: the path segment and the body's `cardnumber`.
pub struct CardAddress<'a> {
    pub path: &'a str,
    pub cardnumber: Option<&'a str>,
}

impl CardAddress<'_> {
    pub fn is_me(&self) -> bool {
        self.path.eq_ignore_ascii_case("me")
    }

    /// Format checks (400/4001 for a missing number with `me`, 4003 for a malformed id or number),
    /// done before anything is read.
    pub fn check(&self) -> ApiResult<Option<CardNumber>> {
        if !self.is_me() {
            path_id(self.path, "MCD")?;
        }
        match self.cardnumber {
            Some(n) => Ok(Some(CardNumber::parse(n)?)),
            None if self.is_me() => Err(ApiError::bad_request("cardnumber: missing field")),
            None => Ok(None),
        }
    }
}

/// The addressed merchant card and its card, or `None` when the number names no card here.
/// With `lock`, the merchant card is read under its lock.
pub async fn locate(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress<'_>,
    lock: bool,
) -> ApiResult<Option<(MerchantcardRow, CardRow)>> {
    let number = address.check()?;
    if address.is_me() {
        let number = number.expect("checked: `me` carries a card number");
        let Some(mc) = tx
            .merchantcard_by_number(&caller.merchant_id, number.as_str())
            .await?
        else {
            return Ok(None);
        };
        let card = tx
            .card(&mc.card_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("card {} missing", mc.card_id)))?;
        if !lock {
            return Ok(Some((mc, card)));
        }
        let locked = tx
            .lock_merchantcard(&mc.id)
            .await?
            .ok_or_else(|| ApiError::internal("merchant card vanished under lock"))?;
        return Ok(Some((locked, card)));
    }
    let mc = own_merchantcard(tx, caller, address.path, lock).await?;
    let card = tx
        .card(&mc.card_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("card {} missing", mc.card_id)))?;
    match number {
        Some(n) if n.as_str() != card.cardnumber => Ok(None),
        _ => Ok(Some((mc, card))),
    }
}

/// For endpoints that change the card: no card is 400/4201.
pub async fn locate_for_change(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress<'_>,
) -> ApiResult<(MerchantcardRow, CardRow)> {
    locate(tx, caller, address, true)
        .await?
        .ok_or_else(|| unknown_card(address))
}

pub fn unknown_card(address: &CardAddress<'_>) -> ApiError {
    let what = match address.cardnumber {
        Some(n) => format!("card {n}"),
        None => "the card".to_owned(),
    };
    ApiError::new(
        Code::CardInvalid,
        format!("{what} is unknown or not valid for this merchant"),
    )
}
