//! Issuing new cards: a fresh card number (`9276` + 12 random digits, unique), the global card
//! (`CRD_`), its merchant card (`MCD_`) in a card group, and a 4-digit CSC that is shown once.
//! Used by `createMerchantcards`, `loyalpos cards issue` and `create_card` idents.

use loyalpos_domain::card::{LockStatus, StockStatus};
use loyalpos_domain::money::Cents;
use loyalpos_store::{CardRow, CardgroupRow, MerchantcardRow, Tx};

use crate::error::{ApiError, ApiResult};
use crate::secret::{hash_secret, new_id, random_digits};

/// The secucard prefix of new card numbers (api.md §1.4).
pub const DEFAULT_PREFIX: &str = "9276";
const CARD_NUMBER_LEN: usize = 16;
/// Collisions are rare (10^12 numbers), so a few draws always suffice unless a long custom prefix
/// leaves little room; the loop is bounded either way.
const MAX_DRAWS: usize = 32;

/// A newly issued card; `csc` is the only copy of the plain CSC.
pub struct Issued {
    pub merchantcard: MerchantcardRow,
    pub card: CardRow,
    pub csc: String,
}

/// Where, when and for whom a card is issued.
pub struct IssueRequest<'a> {
    pub group: &'a CardgroupRow,
    /// `created_for_store`.
    pub store_id: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    /// Digits the number starts with (`DEFAULT_PREFIX` unless the operator says otherwise).
    pub prefix: &'a str,
    pub now: i64,
}

/// A card number with `prefix` that no card has yet (checked in this unit of work; the unique
/// index is the backstop).
pub fn new_card_number(tx: &mut dyn Tx, prefix: &str) -> ApiResult<String> {
    if prefix.is_empty()
        || prefix.len() >= CARD_NUMBER_LEN
        || !prefix.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::bad_request("prefix: expected 1 to 15 digits"));
    }
    for _ in 0..MAX_DRAWS {
        let number = format!("{prefix}{}", random_digits(CARD_NUMBER_LEN - prefix.len()));
        if tx.card_by_number(&number)?.is_none() {
            return Ok(number);
        }
    }
    Err(ApiError::internal(format!(
        "no free card number with prefix {prefix} after {MAX_DRAWS} draws"
    )))
}

/// Issues one card: balances 0, `stock_status: "active"`, unlocked, `is_base_card: true`.
pub fn issue_card(tx: &mut dyn Tx, to: IssueRequest<'_>) -> ApiResult<Issued> {
    let now = to.now;
    let cardnumber = new_card_number(tx, to.prefix)?;
    let card = CardRow {
        id: new_id("CRD").into(),
        cardnumber,
        created: now,
    };
    tx.insert_card(&card)?;
    let csc = random_digits(4);
    let merchantcard = MerchantcardRow {
        id: new_id("MCD").into(),
        merchant_id: to.group.merchant_id.clone(),
        card_id: card.id.clone(),
        cardgroup_id: to.group.id.clone(),
        created_for_merchant_id: to.group.merchant_id.clone(),
        created_for_store_id: to.store_id.map(Into::into),
        customer_id: to.customer_id.map(Into::into),
        customer_assignment_date: to.customer_id.map(|_| now),
        is_base_card: true,
        cash_balance: Cents::ZERO,
        bonus_balance: Cents::ZERO,
        points: 0,
        last_usage: None,
        last_charge: None,
        stock_status: StockStatus::Active,
        lock_status: LockStatus::Unlocked,
        lock_reason: None,
        lock_note: None,
        expiry_date: None,
        csc_hash: Some(hash_secret(&csc)),
        passcode_hash: None,
        created: now,
    };
    tx.insert_merchantcard(&merchantcard)?;
    Ok(Issued {
        merchantcard,
        card,
        csc,
    })
}
