//! The installation's operator (office.md §1, `loyalpos user create --operator`): it sees every
//! merchant, read-only, and switches into one to work in it as that merchant's admin. The merchant
//! it is in is kept in its server-side session; switching in and leaving are written to the
//! merchant's audit trail with the operator.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{OfficeMerchantRow, Tx};

use super::audit;
use super::signin::{Account, Session};
use crate::error::{ApiError, ApiResult};

/// Merchants on a page of the merchants list.
pub const MERCHANTS_PAGE: i64 = 50;

/// Only the operator sees the installation's merchants (a merchant user: 403).
pub fn require_operator(account: &Account) -> ApiResult<()> {
    if account.operator {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// One page of every merchant, by id, after merchant `after`; the second value tells whether more
/// follow.
pub fn merchants_page(
    tx: &mut dyn Tx,
    account: &Account,
    after: Option<&MerchantId>,
) -> ApiResult<(Vec<OfficeMerchantRow>, bool)> {
    require_operator(account)?;
    let mut rows = tx.merchants_page(after, MERCHANTS_PAGE + 1)?;
    let more = rows.len() as i64 > MERCHANTS_PAGE;
    rows.truncate(MERCHANTS_PAGE as usize);
    Ok((rows, more))
}

/// The operator's session works in `merchant_id` from now on (it leaves the one it was in).
pub fn switch_into(
    tx: &mut dyn Tx,
    session: &Session,
    merchant_id: &MerchantId,
    now: i64,
) -> ApiResult<()> {
    require_operator(&session.account)?;
    if tx.merchant(merchant_id)?.is_none() {
        return Err(ApiError::not_found("merchant", merchant_id.as_str()));
    }
    leave(tx, session, now)?;
    tx.set_office_session_merchant(&session.id_hash, Some(merchant_id))?;
    let user = session.account.acting_for(merchant_id.clone());
    audit(
        tx,
        &user,
        "operator_switch_in",
        merchant_id.as_str(),
        "",
        now,
    )?;
    Ok(())
}

/// The operator's session leaves the merchant it is in (back to the read-only merchants list).
pub fn leave(tx: &mut dyn Tx, session: &Session, now: i64) -> ApiResult<()> {
    require_operator(&session.account)?;
    tx.set_office_session_merchant(&session.id_hash, None)?;
    if let Some(user) = &session.user {
        audit(
            tx,
            user,
            "operator_leave",
            user.merchant_id.as_str(),
            "",
            now,
        )?;
    }
    Ok(())
}
