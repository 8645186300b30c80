//! Storage for loyalpos.
//!
//! One [`Store`] trait hands out units of work ([`Tx`]); the SQL behind them is written once
//! (`sql/*.rs`) and instantiated for SQLite and PostgreSQL. A write unit of work is exclusive for
//! what it locks and becomes visible and durable only at [`Tx::commit`], which is the seam where
//! group commit batches several units into one fsync.

mod deferral;
mod error;
mod filter;
mod postgres;
mod rows;
mod sqlite;

use std::sync::{Arc, Weak};

use async_trait::async_trait;

pub use deferral::{Deferral, Deferred};
pub use error::StoreError;
pub use filter::{Field, Filter, ListQuery, Listed, Page, Scalar};
pub use rows::*;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database engine is behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;
    /// Applies pending migrations of this backend.
    async fn migrate(&self) -> Result<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;
    /// An unrevoked access token by its hash, in one statement outside any unit of work (every
    /// authenticated request asks this first).
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>>;
    /// A consistent read-only view; never blocks writers.
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// A unit of work that may write. Dropping it without `commit` rolls everything back.
    async fn write(&self) -> Result<Box<dyn Tx>>;
    async fn close(&self);
    /// Units committed and commits (fsyncs) issued so far, where the backend batches commits.
    fn commit_stats(&self) -> Option<CommitStats> {
        None
    }
}

/// Group-commit counters: `units / batches` is how many units of work shared one fsync on average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitStats {
    pub units: u64,
    pub batches: u64,
}

/// Opens the store named by a database URL: `sqlite:PATH` or `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL (expected sqlite:PATH or postgres://…): {url}"
        )))
    }
}

/// One unit of work. Every data method lives in one of the per-area traits below.
#[async_trait]
pub trait Tx:
    TenancyTx + AuthTx + LoyaltyTx + SmartTx + AuditTx + IdempotencyTx + ListTx + Send
{
    /// Makes the unit's writes visible and durable; returns once they are on stable storage. Inside
    /// a [`Deferral`] scope it parks the unit for the scope's owner instead.
    async fn commit(self: Box<Self>) -> Result<()>;
}

#[async_trait]
pub trait TenancyTx: Send {
    async fn insert_merchant(&mut self, row: &MerchantRow) -> Result<()>;
    async fn merchant(&mut self, id: &str) -> Result<Option<MerchantRow>>;
    async fn update_merchant(&mut self, row: &MerchantRow) -> Result<()>;
    async fn demo_merchant_exists(&mut self) -> Result<bool>;

    async fn insert_contract(&mut self, row: &ContractRow) -> Result<()>;
    async fn contract(&mut self, id: &str) -> Result<Option<ContractRow>>;

    async fn insert_store(&mut self, row: &StoreRow) -> Result<()>;
    async fn store(&mut self, id: &str) -> Result<Option<StoreRow>>;
    async fn stores(&mut self, merchant_id: &str) -> Result<Vec<StoreRow>>;
    async fn update_store(&mut self, row: &StoreRow) -> Result<()>;

    async fn insert_device(&mut self, row: &DeviceRow) -> Result<()>;
    async fn device(&mut self, id: &str) -> Result<Option<DeviceRow>>;
    async fn devices(&mut self, merchant_id: &str) -> Result<Vec<DeviceRow>>;
    async fn device_by_vendor_uid(
        &mut self,
        merchant_id: Option<&str>,
        vendor_uid: &str,
    ) -> Result<Vec<DeviceRow>>;
    async fn update_device(&mut self, row: &DeviceRow) -> Result<()>;
    /// Locks the device row for the rest of the unit of work (receipt numbers, end of day).
    async fn lock_device(&mut self, id: &str) -> Result<Option<DeviceRow>>;
}

#[async_trait]
pub trait AuthTx: Send {
    async fn insert_client(&mut self, row: &ClientRow) -> Result<()>;
    async fn client(&mut self, client_id: &str) -> Result<Option<ClientRow>>;

    async fn insert_user(&mut self, row: &UserRow) -> Result<()>;
    async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>>;
    async fn user(&mut self, id: &str) -> Result<Option<UserRow>>;
    async fn merchant_has_user(&mut self, merchant_id: &str) -> Result<bool>;

    async fn insert_authorization(&mut self, row: &AuthorizationRow) -> Result<()>;
    async fn authorization(&mut self, id: &str) -> Result<Option<AuthorizationRow>>;
    async fn authorization_by_refresh(
        &mut self,
        refresh_hash: &str,
    ) -> Result<Option<AuthorizationRow>>;

    async fn insert_token(&mut self, row: &TokenRow) -> Result<()>;
    /// Revokes every live token of an authorisation (one live token per device session).
    async fn revoke_tokens_of(&mut self, authorization_id: &str) -> Result<()>;
    /// True while the device has an unexpired, unrevoked access token.
    async fn device_online(&mut self, device_id: &str, now: i64) -> Result<bool>;

    async fn insert_registration(&mut self, row: &RegistrationRow) -> Result<()>;
    async fn registration(&mut self, device_code_hash: &str) -> Result<Option<RegistrationRow>>;
    async fn registration_by_user_code(
        &mut self,
        user_code: &str,
    ) -> Result<Option<RegistrationRow>>;
    async fn update_registration(&mut self, row: &RegistrationRow) -> Result<()>;
}

#[async_trait]
pub trait LoyaltyTx: Send {
    async fn insert_cardgroup(&mut self, row: &CardgroupRow) -> Result<()>;
    async fn cardgroup(&mut self, id: &str) -> Result<Option<CardgroupRow>>;
    async fn cardgroups(&mut self, merchant_id: &str) -> Result<Vec<CardgroupRow>>;
    async fn update_cardgroup(&mut self, row: &CardgroupRow) -> Result<()>;
    async fn cardgroup_has_cards(&mut self, id: &str) -> Result<bool>;

    async fn insert_card(&mut self, row: &CardRow) -> Result<()>;
    async fn card(&mut self, id: &str) -> Result<Option<CardRow>>;
    async fn card_by_number(&mut self, cardnumber: &str) -> Result<Option<CardRow>>;
    /// Cards that have a merchant card at this merchant.
    async fn cards_of_merchant(&mut self, merchant_id: &str) -> Result<Vec<CardRow>>;
    async fn update_card(&mut self, row: &CardRow) -> Result<()>;

    async fn insert_customer(&mut self, row: &CustomerRow) -> Result<()>;
    async fn customer(&mut self, id: &str) -> Result<Option<CustomerRow>>;
    async fn customers(&mut self, merchant_id: &str) -> Result<Vec<CustomerRow>>;
    async fn update_customer(&mut self, row: &CustomerRow) -> Result<()>;

    async fn insert_merchantcard(&mut self, row: &MerchantcardRow) -> Result<()>;
    async fn merchantcard(&mut self, id: &str) -> Result<Option<MerchantcardRow>>;
    async fn merchantcard_by_card(
        &mut self,
        merchant_id: &str,
        card_id: &str,
    ) -> Result<Option<MerchantcardRow>>;
    /// The merchant's card with this card number, in one statement (every request with a card
    /// ident asks this).
    async fn merchantcard_by_number(
        &mut self,
        merchant_id: &str,
        cardnumber: &str,
    ) -> Result<Option<MerchantcardRow>>;
    async fn merchantcards(&mut self, merchant_id: &str) -> Result<Vec<MerchantcardRow>>;
    /// Reads the merchant card and locks it until the unit of work ends: balance changes of one
    /// card are serialised through this lock.
    async fn lock_merchantcard(&mut self, id: &str) -> Result<Option<MerchantcardRow>>;
    /// Writes the card's non-ledger fields and its balance cache. Only call after `lock_merchantcard`.
    async fn update_merchantcard(&mut self, row: &MerchantcardRow) -> Result<()>;

    /// Allocates the next TA code inside this unit of work (a rollback leaves a gap, never a reuse).
    /// Callers hold the card's lock, so one card's codes follow its booking order.
    async fn next_ta_code(&mut self) -> Result<i64>;
    /// Makes the next TA code larger than `at_least` (imports that keep their codes).
    async fn raise_ta_code(&mut self, at_least: i64) -> Result<()>;
    async fn insert_ltx(&mut self, row: &LtxRow, bookings: &[BookingRow]) -> Result<()>;
    async fn ltx(&mut self, id: &str) -> Result<Option<LtxRow>>;
    async fn ltxs(&mut self, merchant_id: &str) -> Result<Vec<LtxRow>>;
    async fn ltxs_of_card(&mut self, merchantcard_id: &str) -> Result<Vec<LtxRow>>;
    /// Marks an LTX cancelled by `child_id` (the LTX row is not a booking; bookings stay untouched).
    async fn mark_ltx_cancelled(&mut self, id: &str, child_id: &str, at: i64) -> Result<()>;
    async fn bookings_of(&mut self, ltx_id: &str) -> Result<Vec<BookingRow>>;
    async fn bookings_of_card(&mut self, merchantcard_id: &str) -> Result<Vec<BookingRow>>;
    /// Every booking of the merchant's loyalty transactions, by transaction and position (lists).
    async fn bookings_of_merchant(&mut self, merchant_id: &str) -> Result<Vec<BookingRow>>;
}

#[async_trait]
pub trait SmartTx: Send {
    async fn insert_stx(&mut self, row: &StxRow) -> Result<()>;
    async fn stx(&mut self, id: &str) -> Result<Option<StxRow>>;
    /// Reads and locks the smart transaction: transitions of one transaction are serialised.
    async fn lock_stx(&mut self, id: &str) -> Result<Option<StxRow>>;
    async fn stxs(&mut self, merchant_id: &str) -> Result<Vec<StxRow>>;
    /// Finds (does not lock) the transaction of a device's receipt number.
    async fn stx_by_receipt_number(
        &mut self,
        device_id: &str,
        receipt_number: i64,
    ) -> Result<Option<StxRow>>;
    async fn update_stx(&mut self, row: &StxRow) -> Result<()>;
    async fn stxs_of_device_after_receipt(
        &mut self,
        device_id: &str,
        after: i64,
    ) -> Result<Vec<StxRow>>;
    async fn insert_reserved_ltx_id(&mut self, stx_id: &str, ltx_id: &str) -> Result<()>;
    /// Takes (and removes) the demo's reserved LTX id for this smart transaction, if any.
    async fn take_reserved_ltx_id(&mut self, stx_id: &str) -> Result<Option<String>>;
}

/// Installation-wide reads for the invariant checker (`loyalpos check`); never used by the API.
#[async_trait]
pub trait AuditTx: Send {
    async fn all_merchantcards(&mut self) -> Result<Vec<MerchantcardRow>>;
    async fn all_cardgroups(&mut self) -> Result<Vec<CardgroupRow>>;
    async fn all_ltxs(&mut self) -> Result<Vec<LtxRow>>;
    async fn all_bookings(&mut self) -> Result<Vec<BookingRow>>;
    async fn all_stxs(&mut self) -> Result<Vec<StxRow>>;
}

#[async_trait]
pub trait IdempotencyTx: Send {
    async fn idempotency_record(
        &mut self,
        client_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRow>>;
    /// Claims a key; `StoreError::Duplicate` when it is already claimed.
    async fn claim_idempotency_key(&mut self, row: &IdempotencyRow) -> Result<()>;
    /// Records the answer: inserts it, or completes the row this same claim (`claim_id`) wrote;
    /// never touches another request's row.
    async fn record_idempotent_response(&mut self, row: &IdempotencyRow) -> Result<()>;
    /// Deletes records created before `before`; returns how many.
    async fn purge_idempotency_keys(&mut self, before: i64) -> Result<u64>;
}

/// The lists of the API (api.md §5): the merchant's rows that satisfy a pushed-down filter, in the
/// default order (newest first, ties by id; loyalty transactions by TA code), all of them or one
/// page with the total.
#[async_trait]
pub trait ListTx: Send {
    async fn list_stxs(&mut self, merchant_id: &str, q: ListQuery<'_>) -> Result<Listed<StxRow>>;
    async fn list_merchantcards(
        &mut self,
        merchant_id: &str,
        q: ListQuery<'_>,
    ) -> Result<Listed<MerchantcardRow>>;
    /// Cards that have a merchant card at this merchant.
    async fn list_cards(&mut self, merchant_id: &str, q: ListQuery<'_>) -> Result<Listed<CardRow>>;
    async fn list_cardgroups(
        &mut self,
        merchant_id: &str,
        q: ListQuery<'_>,
    ) -> Result<Listed<CardgroupRow>>;
    async fn list_customers(
        &mut self,
        merchant_id: &str,
        q: ListQuery<'_>,
    ) -> Result<Listed<CustomerRow>>;
    async fn list_ltxs(&mut self, merchant_id: &str, q: ListQuery<'_>) -> Result<Listed<LtxRow>>;
    async fn list_stores(
        &mut self,
        merchant_id: &str,
        q: ListQuery<'_>,
    ) -> Result<Listed<StoreRow>>;
    async fn list_devices(
        &mut self,
        merchant_id: &str,
        q: ListQuery<'_>,
    ) -> Result<Listed<DeviceRow>>;
}
