//! Locating the merchant card of a `…/MerchantCards/{id}/…` request (api.md §9, **loyalpos rule**):
//! `{id}` is an `MCD_` id of the caller's merchant (404 otherwise) or `me`, in which case the card is
//! found by the body's `cardnumber`. A number that does not belong to the addressed card, or an
//! unknown number, is "no card": each command answers that in its own way (its invalid answer, or
//! 4201 for changes).

use loyalpos_domain::card::CardNumber;
use loyalpos_store::{CardRow, MerchantcardRow, Tx};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult, Code};
use crate::loyalty::own_merchantcard;
use crate::tenancy::path_id;

/// How a request names its card: the path segment and the body's `cardnumber`.
#[derive(Debug, Clone)]
pub struct CardAddress {
    pub path: String,
    pub cardnumber: Option<String>,
}

impl CardAddress {
    pub fn is_me(&self) -> bool {
        self.path.eq_ignore_ascii_case("me")
    }

    /// Format checks (400/4001 for a missing number with `me`, 4003 for a malformed id or number),
    /// done before anything is read.
    pub fn check(&self) -> ApiResult<Option<CardNumber>> {
        if !self.is_me() {
            path_id(&self.path, "MCD")?;
        }
        match &self.cardnumber {
            Some(n) => Ok(Some(CardNumber::parse(n)?)),
            None if self.is_me() => Err(ApiError::bad_request("cardnumber: missing field")),
            None => Ok(None),
        }
    }
}

/// The addressed merchant card and its card, or `None` when the number names no card here.
/// With `lock`, the merchant card is read under its lock.
pub fn locate(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
    lock: bool,
) -> ApiResult<Option<(MerchantcardRow, CardRow)>> {
    match address.check()? {
        Some(number) if address.is_me() => by_number(tx, caller, &number, lock),
        number => {
            let mc = own_merchantcard(tx, caller, &address.path, lock)?;
            let card = card_of(tx, &mc)?;
            match number {
                Some(n) if n.as_str() != card.cardnumber => Ok(None),
                _ => Ok(Some((mc, card))),
            }
        }
    }
}

fn by_number(
    tx: &mut dyn Tx,
    caller: &Principal,
    number: &CardNumber,
    lock: bool,
) -> ApiResult<Option<(MerchantcardRow, CardRow)>> {
    let Some(mc) = tx.merchantcard_by_number(&caller.merchant_id, number.as_str())? else {
        return Ok(None);
    };
    let card = card_of(tx, &mc)?;
    if !lock {
        return Ok(Some((mc, card)));
    }
    let locked = tx
        .lock_merchantcard(&mc.id)?
        .ok_or_else(|| ApiError::internal("merchant card vanished under lock"))?;
    Ok(Some((locked, card)))
}

fn card_of(tx: &mut dyn Tx, mc: &MerchantcardRow) -> ApiResult<CardRow> {
    tx.card(&mc.card_id)?
        .ok_or_else(|| ApiError::internal(format!("card {} missing", mc.card_id)))
}

/// For commands that change the card: no card is 400/4201.
pub fn locate_for_change(
    tx: &mut dyn Tx,
    caller: &Principal,
    address: &CardAddress,
) -> ApiResult<(MerchantcardRow, CardRow)> {
    locate(tx, caller, address, true)?.ok_or_else(|| unknown_card(address))
}

pub fn unknown_card(address: &CardAddress) -> ApiError {
    let what = match &address.cardnumber {
        Some(n) => format!("card {n}"),
        None => "the card".to_owned(),
    };
    ApiError::new(
        Code::CardInvalid,
        format!("{what} is unknown or not valid for this merchant"),
    )
}
