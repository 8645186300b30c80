//! What the back office (office.md) keeps beside the API's data: the users' roles, server-side
//! sessions, failed sign-ins for the lockout, and the audit trail; and the card search of its
//! cards page.

use loyalpos_domain::ids::{MerchantId, MerchantcardId};

use crate::driver::from_record;
use crate::{CustomerRow, LtxRow, MerchantcardRow, Result};

/// A user who may sign in to the office (not disabled): a merchant user, or the installation's
/// operator (`role` `operator`, no merchant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUserRow {
    pub id: String,
    pub merchant_id: Option<MerchantId>,
    pub username: String,
    pub password_hash: String,
    pub role: String,
}
from_record!(OfficeUserRow {
    id,
    merchant_id,
    username,
    password_hash,
    role
});

/// A user of the merchant as the users page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUserListRow {
    pub id: String,
    pub username: String,
    pub role: String,
    pub created: i64,
    pub disabled_at: Option<i64>,
}
from_record!(OfficeUserListRow {
    id,
    username,
    role,
    created,
    disabled_at
});

/// A signed-in session, with its user's current name, role and merchant (none for the operator),
/// and the merchant an operator switched into (with its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeSessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf: String,
    pub lang: Option<String>,
    pub created: i64,
    pub last_seen: i64,
    pub username: String,
    pub role: String,
    pub merchant_id: Option<MerchantId>,
    pub switched_merchant_id: Option<MerchantId>,
    pub switched_merchant_name: Option<String>,
}
from_record!(OfficeSessionRow {
    id_hash,
    user_id,
    csrf,
    lang,
    created,
    last_seen,
    username,
    role,
    merchant_id,
    switched_merchant_id,
    switched_merchant_name
});

/// A merchant as the operator's merchants page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeMerchantRow {
    pub id: MerchantId,
    pub companyname: String,
    pub created: i64,
}
from_record!(OfficeMerchantRow {
    id,
    companyname,
    created
});

/// One entry of the audit trail: who (`actor`: `user:<username>`, `operator:<username>`,
/// `client:<id>`, `device:<id>`)
/// did what to which object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub merchant_id: MerchantId,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}
from_record!(AuditRow {
    id,
    merchant_id,
    at,
    actor,
    action,
    object,
    detail
});

/// One failed sign-in's time.
pub(crate) struct FailureRow {
    pub at: i64,
}
from_record!(FailureRow { at });

/// A merchant card's id and its card's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CardNumberRow {
    pub id: String,
    pub cardnumber: String,
}
from_record!(CardNumberRow { id, cardnumber });

/// The merchant's loyalty transactions of one hour (`hour` = unix seconds / 3600): how many, and
/// their sale revenue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourOfTransactions {
    pub hour: i64,
    pub bookings: i64,
    pub revenue: i64,
}
from_record!(HourOfTransactions {
    hour,
    bookings,
    revenue
});

/// The net amount of the bookings of one kind (`bonus_collected`, `cash_spent`, …) in one hour: a
/// cancellation's mirror booking nets out what it reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourOfBookings {
    pub hour: i64,
    pub kind: String,
    pub amount: i64,
}
from_record!(HourOfBookings { hour, kind, amount });

/// The merchant's completed payments of one hour at one device by one payment method: how many,
/// and what they took (the terminal's amount for `cashless`, else the basket's sum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourOfPayments {
    pub device_id: Option<String>,
    pub hour: i64,
    pub method: Option<String>,
    pub payments: i64,
    pub amount: i64,
}
from_record!(HourOfPayments {
    device_id,
    hour,
    method,
    payments,
    amount
});

/// The kept sums of one ended calendar day (`YYYY-MM-DD` of the zone), in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFiguresRow {
    pub day: String,
    pub turnover: i64,
    pub bookings: i64,
    pub bonus_granted: i64,
    pub bonus_redeemed: i64,
    pub cash_redeemed: i64,
}
from_record!(DayFiguresRow {
    day,
    turnover,
    bookings,
    bonus_granted,
    bonus_redeemed,
    cash_redeemed
});

/// One device's payments by one method on a kept ended day (`YYYY-MM-DD` of the zone), in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPaymentsRow {
    pub day: String,
    pub device_id: String,
    pub method: String,
    pub payments: i64,
    pub amount: i64,
}
from_record!(DayPaymentsRow {
    day,
    device_id,
    method,
    payments,
    amount
});

/// A kept day's name, as read.
pub(crate) struct KeptDayRow {
    pub day: String,
}
from_record!(KeptDayRow { day });

/// An ended calendar day of the zone and the moments it spans, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDay {
    pub day: String,
    pub start: i64,
    pub end: i64,
}

/// What the cards page searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSearch {
    /// Every card of the merchant.
    All,
    /// A whole card number.
    Number(String),
    /// The last digits of a card number.
    NumberEnding(String),
    /// A customer number (exactly) or a text in the customer's contact (name, e-mail), any case.
    Customer(String),
}

pub trait OfficeTx {
    /// The user by username, unless disabled.
    fn office_user(&mut self, username: &str) -> Result<Option<OfficeUserRow>>;
    fn set_user_role(&mut self, user_id: &str, role: &str) -> Result<()>;
    /// The merchant's users, disabled ones included, by username.
    fn merchant_users(&mut self, merchant_id: &MerchantId) -> Result<Vec<OfficeUserListRow>>;
    /// Ends every office session of the user (its password was reset).
    fn end_office_sessions_of(&mut self, user_id: &str) -> Result<()>;

    /// The times of this username's latest failed sign-ins, newest first, at most `limit`.
    fn latest_sign_in_failures(&mut self, username: &str, limit: i64) -> Result<Vec<i64>>;
    fn record_sign_in_failure(&mut self, username: &str, at: i64) -> Result<()>;
    /// Forgets the username's failures (a successful sign-in) and every failure before `before`.
    fn clear_sign_in_failures(&mut self, username: &str, before: i64) -> Result<()>;

    fn insert_office_session(
        &mut self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        lang: Option<&str>,
        now: i64,
    ) -> Result<()>;
    /// The session, unless its user was disabled since.
    fn office_session(&mut self, id_hash: &str) -> Result<Option<OfficeSessionRow>>;
    fn touch_office_session(
        &mut self,
        id_hash: &str,
        last_seen: i64,
        lang: Option<&str>,
    ) -> Result<()>;
    fn delete_office_session(&mut self, id_hash: &str) -> Result<()>;
    /// The merchant an operator's session works in (`None`: none).
    fn set_office_session_merchant(
        &mut self,
        id_hash: &str,
        merchant_id: Option<&MerchantId>,
    ) -> Result<()>;
    /// Writes the installation's operator: a user without a merchant.
    fn insert_operator(
        &mut self,
        id: &str,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<()>;
    /// One page of every merchant of the installation, by id, after merchant `after`.
    fn merchants_page(
        &mut self,
        after: Option<&MerchantId>,
        limit: i64,
    ) -> Result<Vec<OfficeMerchantRow>>;
    /// Deletes sessions idle since before `idle_before` or created before `created_before`.
    fn purge_office_sessions(&mut self, idle_before: i64, created_before: i64) -> Result<u64>;

    fn insert_audit(
        &mut self,
        merchant_id: &MerchantId,
        at: i64,
        actor: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<()>;
    /// The merchant's audit entries older than `before` (all when `None`), newest first.
    fn audit_page(
        &mut self,
        merchant_id: &MerchantId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>>;

    /// The merchant's newest loyalty transactions.
    fn recent_ltxs(&mut self, merchant_id: &MerchantId, limit: i64) -> Result<Vec<LtxRow>>;

    /// The merchant's loyalty transactions created in `[from, to)`, by TA code, after TA code
    /// `after` (a page of the bookings report).
    fn ltxs_in_period(
        &mut self,
        merchant_id: &MerchantId,
        from: i64,
        to: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LtxRow>>;
    /// The card numbers of these merchant cards, by merchant card id.
    fn card_numbers(
        &mut self,
        merchantcard_ids: &[MerchantcardId],
    ) -> Result<Vec<(String, String)>>;

    /// The merchant's loyalty transactions since `since`, per hour.
    fn transactions_per_hour(
        &mut self,
        merchant_id: &MerchantId,
        since: i64,
    ) -> Result<Vec<HourOfTransactions>>;
    /// The merchant's bookings since `since`, per hour and kind.
    fn bookings_per_hour(
        &mut self,
        merchant_id: &MerchantId,
        since: i64,
    ) -> Result<Vec<HourOfBookings>>;
    /// The merchant's Smart Transactions in status `ok` created in `[from, to)`, per device, hour
    /// and payment method.
    fn payments_per_hour(
        &mut self,
        merchant_id: &MerchantId,
        from: i64,
        to: i64,
    ) -> Result<Vec<HourOfPayments>>;
    /// Merchant cards whose last booking is at or after `since`.
    fn cards_in_use_since(&mut self, merchant_id: &MerchantId, since: i64) -> Result<i64>;
    /// The kept figures of the merchant's ended days `from..=to` in `zone`.
    fn day_figures(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DayFiguresRow>>;
    /// Keeps the figures of ended days; a day kept already stays as it is.
    fn keep_day_figures(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        days: &[DayFiguresRow],
    ) -> Result<()>;
    /// Forgets every kept day of the merchant, figures and payments (an import may book into past
    /// days).
    fn forget_day_figures(&mut self, merchant_id: &MerchantId) -> Result<()>;
    /// The merchant's count of changes that made kept payment days obsolete (0 before the first).
    fn payment_generation(&mut self, merchant_id: &MerchantId) -> Result<i64>;
    /// The kept ended days `from..=to` in `zone`, and their payments per device and method.
    fn kept_payment_days(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        from: &str,
        to: &str,
    ) -> Result<(Vec<String>, Vec<DayPaymentsRow>)>;
    /// Keeps summed ended days with their payments, unless the merchant's generation moved since
    /// `generation` was read (a change the sums may have missed); whether they were kept.
    fn keep_payment_days(
        &mut self,
        merchant_id: &MerchantId,
        zone: &str,
        generation: i64,
        days: &[PaymentDay],
        payments: &[DayPaymentsRow],
    ) -> Result<bool>;
    /// Forgets the kept days (of every zone) that contain the moment `at`, and counts the
    /// merchant's generation up: a transaction created then has changed.
    fn forget_payment_day(&mut self, merchant_id: &MerchantId, at: i64) -> Result<()>;
    /// Merchant cards created since `since`.
    fn new_cards_since(&mut self, merchant_id: &MerchantId, since: i64) -> Result<i64>;

    /// One page of the merchant's customers, newest first: all of them, or those whose customer
    /// number is `text` or whose contact contains it (any case).
    fn search_customers(
        &mut self,
        merchant_id: &MerchantId,
        text: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CustomerRow>>;

    /// One page of the merchant's cards that match, newest first.
    fn search_merchantcards(
        &mut self,
        merchant_id: &MerchantId,
        search: &CardSearch,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<MerchantcardRow>>;
}
